// GraphQL of readable references: `lookup(ref)`, and the `ref` alternative to a global id that
// the incident fields take, so a person's "clicks@aug" costs one request.
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { NodeRef } from '../lineage/graph.js';
import { decodeNodeRef, loadNode, requireVisibleNode } from '../lineage/schema.js';
import { REF_FORMS } from './service.js';

/** Resolves a readable reference for the caller: nodes in projects they cannot read are not found. */
export function resolveRef(ctx: Context, ref: string, field: string): Promise<NodeRef> {
  return ctx.services.refs.resolve(ctx.access, ref, field);
}

/**
 * The start node of a field that takes either a global id or a readable reference: exactly one
 * of them, visible to the caller.
 */
export async function startNode(
  ctx: Context,
  args: { id?: string | number | null; ref?: string | null },
  fields: { id: string; ref: string },
): Promise<NodeRef> {
  const hasId = args.id != null;
  const hasRef = args.ref != null;
  if (hasId === hasRef) throw new ValidationError(fields.id, `give exactly one of ${fields.id} (a global id) or ${fields.ref} (${REF_FORMS})`);
  if (hasId) return requireVisibleNode(ctx, decodeNodeRef(String(args.id), fields.id), String(args.id));
  return requireVisibleNode(ctx, await resolveRef(ctx, args.ref!, fields.ref), args.ref!);
}

/** A global id of a lineage node, or null when the text is not one (so it is read as a reference). */
function asGlobalId(text: string): NodeRef | null {
  try {
    return decodeNodeRef(text, 'ref');
  } catch (err) {
    if (err instanceof ValidationError) return null;
    throw err;
  }
}

builder.queryFields((t) => ({
  lookup: t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description:
      'The run, dataset version or model version a readable reference names: "clicks@aug" (dataset version), "recommender@production" (the version an alias holds), ' +
      '"recommender/3" (model version), "churn/xgb-baseline" (the latest run of that name in a project), or a global id. ' +
      'A reference that reads two ways is refused; prefix it with dataset:, model: or run:. Null when nothing visible matches.',
    args: { ref: t.arg.string({ required: true, description: `One of ${REF_FORMS}, or a global id.` }) },
    resolve: async (_root, args, ctx) => {
      let node: NodeRef;
      try {
        node = asGlobalId(args.ref) ?? (await resolveRef(ctx, args.ref, 'ref'));
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
      return (await loadNode(ctx, node)) as never;
    },
  }),
}));
