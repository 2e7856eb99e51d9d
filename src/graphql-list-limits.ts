// Every list a request sends has a maximum: lists whose length sets how many objects come
// back (ids) have a small one of their own, every other list the global MAX_LIST_ITEMS. Each
// refusal is LIMIT_EXCEEDED naming the argument or variable; the cost model multiplies by the
// length of `ids` lists (see graphql-limits.ts).
import { type DocumentNode, GraphQLError, Kind, type ListValueNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * The longest list accepted anywhere in a request: a backstop ten times the largest batch a
 * service takes (10,000 points), so services still report their own, more specific limits.
 */
export const MAX_LIST_ITEMS = 100_000;

/** Root fields whose list argument sets the size of the answer, with that list's maximum. */
export const LIST_ARGUMENT_LIMITS: Readonly<Record<string, { arg: string; max: number }>> = {
  'Query.nodes': { arg: 'ids', max: 100 },
  'Query.compareRuns': { arg: 'ids', max: 100 },
  'Query.metricHistories': { arg: 'runIds', max: 100 },
};

function listLimitError(where: string, length: number, max: number, limit: string): GraphQLError {
  return new GraphQLError(`${where}: at most ${max} items (got ${length}) (limit "${limit}" is ${max})`, {
    extensions: { code: 'LIMIT_EXCEEDED', limit, max, field: where },
  });
}

/** The size `field`'s list argument gives its answer: the literal's length, or the argument's maximum for a variable. */
export function listArgumentSize(
  typeName: string | null,
  field: { name: { value: string }; arguments?: readonly { name: { value: string }; value: { kind: Kind } }[] },
): number | null {
  const rule = typeName ? LIST_ARGUMENT_LIMITS[`${typeName}.${field.name.value}`] : undefined;
  if (!rule) return null;
  const arg = field.arguments?.find((a) => a.name.value === rule.arg);
  if (!arg) return null;
  if (arg.value.kind === Kind.LIST) return Math.max(1, (arg.value as ListValueNode).values.length);
  return rule.max;
}

/** Refusals for list literals in the document: too long anywhere, or past their argument's own maximum. */
export function literalListErrors(
  typeName: string | null,
  field: { name: { value: string }; arguments?: readonly { name: { value: string }; value: { kind: Kind } }[] },
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const rule = typeName ? LIST_ARGUMENT_LIMITS[`${typeName}.${field.name.value}`] : undefined;
  for (const arg of field.arguments ?? []) {
    if (arg.value.kind !== Kind.LIST) continue;
    const length = (arg.value as ListValueNode).values.length;
    const where = `${field.name.value}(${arg.name.value})`;
    if (rule && rule.arg === arg.name.value && length > rule.max)
      errors.push(listLimitError(where, length, rule.max, `${typeName}.${field.name.value}.${arg.name.value}`));
    else if (length > MAX_LIST_ITEMS) errors.push(listLimitError(where, length, MAX_LIST_ITEMS, 'listItems'));
  }
  return errors;
}

/** The first list in the variables longer than MAX_LIST_ITEMS, walked without recursion. */
function longListIn(variables: Record<string, unknown>): { path: string; length: number } | null {
  const stack: [unknown, string, number][] = Object.entries(variables).map(([name, value]) => [value, `$${name}`, 0]);
  while (stack.length) {
    const [value, path, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object' || depth > 64) continue;
    if (Array.isArray(value)) {
      if (value.length > MAX_LIST_ITEMS) return { path, length: value.length };
      value.forEach((item, i) => stack.push([item, `${path}[${i}]`, depth + 1]));
    } else {
      for (const [key, item] of Object.entries(value)) stack.push([item, `${path}.${key}`, depth + 1]);
    }
  }
  return null;
}

function rootFields(document: DocumentNode, operation: OperationDefinitionNode) {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])));
  const fields = [];
  const seen = new Set<string>();
  const pending: SelectionSetNode[] = [operation.selectionSet];
  while (pending.length) {
    for (const sel of pending.pop()!.selections) {
      if (sel.kind === Kind.FIELD) fields.push(sel);
      else if (sel.kind === Kind.INLINE_FRAGMENT) pending.push(sel.selectionSet);
      else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const set = fragments.get(sel.name.value);
        if (set) pending.push(set);
      }
    }
  }
  return fields;
}

/** Checks the lists sent as variables, once their values are known (at execution). */
export function variableListError(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): GraphQLError | null {
  if (!variables) return null;
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  for (const field of operation?.operation === 'query' ? rootFields(document, operation) : []) {
    const rule = LIST_ARGUMENT_LIMITS[`Query.${field.name.value}`];
    const arg = rule && field.arguments?.find((a) => a.name.value === rule.arg);
    if (!rule || !arg || arg.value.kind !== Kind.VARIABLE) continue;
    const value = variables[arg.value.name.value];
    if (Array.isArray(value) && value.length > rule.max)
      return listLimitError(`$${arg.value.name.value}`, value.length, rule.max, `Query.${field.name.value}.${rule.arg}`);
  }
  const long = longListIn(variables);
  return long ? listLimitError(long.path, long.length, MAX_LIST_ITEMS, 'listItems') : null;
}
