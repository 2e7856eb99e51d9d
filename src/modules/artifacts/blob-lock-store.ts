// One PostgreSQL advisory lock per blob digest, held for a transaction. The garbage collector
// takes it to check that no artifact refers to a blob and delete it; a registration that
// reuses bytes already stored takes it to check that they are still there and insert its row.
// So either the collector sees the row and keeps the blob, or the registration sees the blob
// gone and fails (retryably): never a row whose bytes were collected.
const NAMESPACE = 0x41525446; // "ARTF"

interface RawQuery {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

export async function lockBlob(tx: RawQuery, digest: string): Promise<void> {
  // Digests sharing their first 32 bits share a lock: harmless, they only wait for each other.
  await tx.$queryRawUnsafe('SELECT 1 FROM pg_advisory_xact_lock($1::int, $2::int)', NAMESPACE, Number.parseInt(digest.slice(0, 8), 16) | 0);
}
