// Relay connection results for forward-only paging.

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
