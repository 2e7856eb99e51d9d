// Relay connections that page forwards only, with cursors that carry one integer (an id or
// a version number) unless a field needs more.
import { ValidationError } from './errors.js';
import { requireForwardPaging, requirePageSize } from './validation.js';

export function forwardConnection<T>(edges: { node: T; cursor: string }[], hasNextPage: boolean, after: unknown) {
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: after !== null && after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export const numberCursor = (n: number) => Buffer.from(String(n)).toString('base64url');

export function decodeNumberCursor(after: string | null | undefined): number | null {
  if (!after) return null;
  const n = Number(Buffer.from(after, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n)) throw new ValidationError('after', 'is not a cursor returned by this field');
  return n;
}

/** Cursors of connections ordered by a unique name (projects, registered models). */
export const nameCursor = (name: string) => Buffer.from(name).toString('base64url');

export function decodeNameCursor(after: string | null | undefined): string | null {
  return after ? Buffer.from(after, 'base64url').toString('utf8') : null;
}

/** The page size and decoded integer cursor of a connection field's arguments. */
export function numberPageArgs(args: { first?: number | null; after?: string | null; last?: number | null; before?: string | null }, fallback = 50) {
  requireForwardPaging(args);
  return { first: requirePageSize('first', args.first, fallback), after: decodeNumberCursor(args.after) };
}
