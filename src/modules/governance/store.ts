// SQL the governance rules need beyond plain Prisma calls: metric summaries by key name, and the project row lock.
import type { SqlQueryable } from '../../db/sql.js';
import type { Prisma } from '../../generated/prisma/client.js';

export interface MetricSummaryValues {
  key: string;
  last: number;
  min: number | null;
  max: number | null;
}

/** The latest, lowest and highest value of each named metric of a run (absent keys are left out). */
export async function metricSummariesOf(sql: SqlQueryable, runId: number, keys: readonly string[]): Promise<MetricSummaryValues[]> {
  if (keys.length === 0) return [];
  return sql.query<MetricSummaryValues>(
    `SELECT k.name AS key, s.last_value AS last, s.min_value AS min, s.max_value AS max
     FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
     WHERE s.run_id = $1 AND k.name = ANY($2::text[]) ORDER BY k.name`,
    [runId, keys],
  );
}

/** Locks a project's row for the transaction. */
export async function lockProjectRow(tx: Prisma.TransactionClient, projectId: number): Promise<void> {
  await tx.$queryRaw`SELECT id FROM projects WHERE id = ${projectId} FOR UPDATE`;
}
