// Labels of lineage nodes for the compliance bundle, one query per node type present.
import type { SqlQueryable } from '../../db/sql.js';
import type { NodeRef, NodeType } from '../lineage/graph.js';

const LABELS: Record<NodeType, string> = {
  Run: `SELECT id, name AS label FROM runs WHERE id = ANY($1::int[])`,
  DatasetVersion: `SELECT v.id, d.name || '@' || v.version AS label FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ANY($1::int[])`,
  Artifact: `SELECT id, name AS label FROM artifacts WHERE id = ANY($1::int[])`,
  ModelVersion: `SELECT v.id, m.name || ' v' || v.version AS label FROM model_versions v JOIN registered_models m ON m.id = v.model_id WHERE v.id = ANY($1::int[])`,
  CodeCommit: `SELECT id, repository || '@' || left(commit, 12) AS label FROM code_commits WHERE id = ANY($1::int[])`,
  PipelineRun: `SELECT id, job_namespace || '/' || job_name AS label FROM pipeline_runs WHERE id = ANY($1::int[])`,
};

/** "Type:id" -> a readable label, for nodes the caller may see (the walk already redacted the others). */
export async function labelNodes(sql: SqlQueryable, nodes: readonly NodeRef[]): Promise<Map<string, string>> {
  const byType = new Map<NodeType, number[]>();
  for (const n of nodes) byType.set(n.type, [...(byType.get(n.type) ?? []), n.id]);
  const out = new Map<string, string>();
  await Promise.all(
    [...byType].map(async ([type, ids]) => {
      for (const row of await sql.query<{ id: number; label: string }>(LABELS[type], [ids])) out.set(`${type}:${row.id}`, row.label);
    }),
  );
  return out;
}

/** Every metric's summary of a run, by key name. */
export async function metricSummariesOf(sql: SqlQueryable, runId: number) {
  return sql.query<{ key: string; last: number; min: number | null; max: number | null; count: number; last_step: number }>(
    `SELECT k.name AS key, s.last_value AS last, s.min_value AS min, s.max_value AS max, s.count, s.last_step
     FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id WHERE s.run_id = $1 ORDER BY k.name`,
    [runId],
  );
}
