// Absolute links to the dashboard pages of things, for messages and webhook payloads: the
// configured public URL (RUNLEDGER_PUBLIC_URL), else the address the server listens on.
export interface Links {
  /** The base URL, without a trailing slash. */
  base(): string;
  /** A promotion request's page, where approvers act. */
  promotion(number: number): string;
  /** A run's page (runs are addressed by their global id there). */
  run(id: number): string;
}

export function createLinks(base: () => string): Links {
  const root = () => base().replace(/\/+$/, '');
  return {
    base: root,
    promotion: (number) => `${root()}/promotions/${number}`,
    run: (id) => `${root()}/runs/${encodeURIComponent(Buffer.from(`Run:${id}`).toString('base64'))}`,
  };
}
