// What a query asks of a field's result, for a resolver that can read ahead in one statement
// what its child fields would otherwise load one level at a time.
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/** Whether the field being resolved selects any of `names` directly (through fragments too). */
export function selectsAny(info: GraphQLResolveInfo, names: readonly string[]): boolean {
  const seen = new Set<string>();
  const inSet = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((sel) => {
      if (sel.kind === Kind.FIELD) return names.includes(sel.name.value);
      if (sel.kind === Kind.INLINE_FRAGMENT) return inSet(sel.selectionSet);
      if (seen.has(sel.name.value)) return false;
      seen.add(sel.name.value);
      return inSet(info.fragments[sel.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => inSet(node.selectionSet));
}
