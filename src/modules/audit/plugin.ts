// Writes one audit event per root mutation field after it ran, whatever the outcome, before the
// response leaves: the caller cannot observe a mutation whose audit row is not yet stored.
import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLResolveInfo,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  valueFromASTUntyped,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../../context.js';
import { expectedError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { PendingAudit } from './pending.js';
import type { AuditRecord, AuditService } from './service.js';

// Input keys that name what a mutation acts on (datasets and models are named, not given by id).
const TARGET_KEY = /^(id|ids|name|project|user|dataset|model|.*Id|.*Ids)$/;

function collectTargets(value: unknown, out: Set<string>, key = '', depth = 0): void {
  if (depth > 4 || out.size >= 50 || value == null) return;
  if (Array.isArray(value)) {
    for (const item of value.slice(0, 50)) collectTargets(item, out, key, depth + 1);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectTargets(v, out, k, depth + 1);
  } else if ((typeof value === 'string' || typeof value === 'number') && TARGET_KEY.test(key)) {
    out.add(String(value));
  }
}

function errorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    const expected = expectedError(current);
    if (expected) return expected.code;
    const code = (current as { extensions?: { code?: unknown } }).extensions?.code;
    if (typeof code === 'string') return code;
    current = (current as { originalError?: unknown }).originalError;
  }
  return 'INTERNAL_SERVER_ERROR';
}

/** The root fields of a mutation, fragments expanded, in order. */
function rootFields(op: OperationDefinitionNode, document: DocumentNode): FieldNode[] {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const fields: FieldNode[] = [];
  const stack = [...op.selectionSet.selections];
  while (stack.length) {
    const sel = stack.shift()!;
    if (sel.kind === Kind.FIELD) fields.push(sel);
    else if (sel.kind === Kind.INLINE_FRAGMENT) stack.push(...sel.selectionSet.selections);
    else stack.push(...(fragments.get(sel.name.value)?.selectionSet.selections ?? []));
  }
  return fields.filter((f) => f.name.value !== '__typename');
}

const responseKey = (field: FieldNode) => field.alias?.value ?? field.name.value;

function argumentTargets(field: FieldNode, variables: Record<string, unknown>): Set<string> {
  const targets = new Set<string>();
  for (const arg of field.arguments ?? []) collectTargets(valueFromASTUntyped(arg.value, variables), targets, arg.name.value);
  return targets;
}

function records(fields: readonly FieldNode[], variables: Record<string, unknown>, result: ExecutionResult): Omit<AuditRecord, 'actor'>[] {
  return fields.map((field) => {
    const key = responseKey(field);
    const targets = argumentTargets(field, variables);
    collectTargets((result.data as Record<string, unknown> | null | undefined)?.[key], targets);
    const error = result.errors?.find((e) => e.path?.[0] === key);
    return { operation: field.name.value, targetIds: [...targets], outcome: error ? errorCode(error) : 'OK' };
  });
}

/**
 * The audit row this plugin opened for a root mutation field, for a service that writes it
 * with the operation's own statement (see pending.ts); `createdType` names the type of the
 * object the operation creates, whose global id the row then also names.
 */
export function pendingAuditFor(ctx: Context, info: GraphQLResolveInfo, createdType: string | null = null): PendingAudit | null {
  if (info.path.prev !== undefined) return null;
  const pending = ctx.pendingAudits.get(String(info.path.key)) ?? null;
  pending?.names(createdType);
  return pending;
}

export function useAuditLog(audit: AuditService, log: Logger): Plugin<Context> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const op = getOperationAST(args.document, args.operationName);
      if (!op || op.operation !== 'mutation') return;
      setExecuteFn(async (execArgs) => {
        const ctx = execArgs.contextValue as Context;
        const variables = (execArgs.variableValues ?? {}) as Record<string, unknown>;
        const fields = rootFields(op, execArgs.document);
        for (const field of fields) {
          ctx.pendingAudits.set(responseKey(field), audit.open(ctx.access, field.name.value, [...argumentTargets(field, variables)]));
        }
        const result = (await executeFn(execArgs)) as ExecutionResult;
        // No data: the variables failed coercion and no resolver ran, like a validation failure.
        if (result.data === undefined) return result;
        const rows = records(fields, variables, result);
        // The database was unreachable: nothing ran, and no row could be stored either.
        if (rows.every((r) => r.outcome === 'UNAVAILABLE')) return result;
        // Rows a service already wrote with its own statement are not written again.
        const unwritten = rows.filter((_, i) => !ctx.pendingAudits.get(responseKey(fields[i]!))?.written);
        try {
          await audit.record(ctx.access, unwritten);
        } catch (error) {
          // The mutation already happened; losing its audit row must at least be loud.
          log.error('audit write failed', { err: error, operation: op.name?.value ?? null });
        }
        return result;
      });
    },
  };
}
