// GraphQL of the audit log: global admins page through it, newest first.
import { builder } from '../../builder.js';
import { requireForwardPaging, requirePageSize } from '../../validation.js';
import { type AuditEvent, decodeAuditCursor } from './service.js';

const AuditEventRef = builder.objectRef<AuditEvent>('AuditEvent');
AuditEventRef.implement({
  description: 'One executed mutation: who, when, what, on which targets, and how it ended.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Sequence number; later events have larger ids.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When the mutation finished.' }),
    actor: t.exposeString('actor', { nullable: true, description: 'The token user, or "local[:name]" when authentication is off.' }),
    operation: t.exposeString('operation', { description: 'The mutation field, e.g. "logBatch".' }),
    targetIds: t.exposeStringList('targetIds', { description: 'Ids and names from the input and the payload (run ids, project names, users).' }),
    outcome: t.exposeString('outcome', { description: '"OK", or the error code it failed with (e.g. FORBIDDEN).' }),
  }),
});

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  description: 'All given conditions must hold.',
  fields: (t) => ({
    actor: t.string({ description: 'Exact actor.' }),
    operation: t.string({ description: 'Exact mutation name.' }),
    targetId: t.string({ description: 'One of the target ids.' }),
    outcome: t.string({ description: '"OK" or an error code.' }),
    since: t.field({ type: 'DateTime', description: 'At or after this instant.' }),
    until: t.field({ type: 'DateTime', description: 'Before this instant.' }),
  }),
});

builder.queryFields((t) => ({
  auditEvents: t.connection({
    type: AuditEventRef,
    description: 'The audit log, newest first. Global admins only.',
    args: { filter: t.arg({ type: AuditEventFilter, description: 'Narrows the events.' }) },
    resolve: async (_root, args, ctx) => {
      requireForwardPaging(args);
      const first = requirePageSize('first', args.first, 100);
      const afterId = decodeAuditCursor(args.after);
      const { events, hasNextPage } = await ctx.services.audit.list(ctx.access, first, afterId, args.filter ?? {});
      const edges = events.map((e) => ({ node: e, cursor: Buffer.from(e.id).toString('base64url') }));
      return {
        edges,
        pageInfo: { hasNextPage, hasPreviousPage: afterId !== null, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      };
    },
  }),
}));
