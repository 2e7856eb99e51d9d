// Everything the OpenLineage mapping wrote for one event stream, read straight from the database
// and described by natural keys (run labels, dataset names, version labels) instead of ids, so
// graphs built on different servers, or from the same events in another order, compare equal.
import { createHash } from 'node:crypto';
import type { EventStream } from './event-stream.js';
import { normalise } from './event-stream.js';
import type { TestServer } from './server.js';

export async function pipelineGraph(server: TestServer, stream: EventStream) {
  const { sql } = server.app.db;
  const like = `%${stream.tenant}%`;
  const uuids = [...stream.runLabels.keys()];
  const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
  const runs = await sql.query<Record<string, unknown>>(
    `SELECT r.run_uuid, p.name AS project, r.job_namespace, r.job_name, r.state::text, r.state_at, r.started_at, r.ended_at, r.nominal_start_time,
            r.nominal_end_time, r.parent_run_uuid, r.error_message, r.run_facets, r.job_facets, r.first_event_at,
            j.namespace || '/' || j.name AS job, v.version AS job_version
     FROM pipeline_runs r JOIN projects p ON p.id = r.project_id LEFT JOIN jobs j ON j.id = r.job_id LEFT JOIN job_versions v ON v.id = r.job_version_id
     WHERE r.run_uuid = ANY($1::text[]) ORDER BY r.run_uuid`,
    [uuids],
  );
  const datasets = await sql.query<Record<string, unknown>>(
    `SELECT d.namespace, d.name, p.name AS project, d.claimed, d.facets, d.created_at FROM datasets d JOIN projects p ON p.id = d.project_id
     WHERE d.namespace LIKE $1 ORDER BY d.namespace, d.name`,
    [like],
  );
  const versions = await sql.query<Record<string, unknown>>(
    `SELECT d.namespace, d.name, v.version, v.created_at, v.facets, v.schema FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
     WHERE d.namespace LIKE $1 ORDER BY d.namespace, d.name, v.version`,
    [like],
  );
  const io = await sql.query<Record<string, unknown>>(
    `SELECT r.run_uuid, d.namespace, d.name, x.direction, x.first_seen_at FROM pipeline_run_datasets x
     JOIN pipeline_runs r ON r.id = x.pipeline_run_id JOIN datasets d ON d.id = x.dataset_id
     WHERE r.run_uuid = ANY($1::text[]) ORDER BY 1, 2, 3, 4`,
    [uuids],
  );
  const jobs = await sql.query<Record<string, unknown>>(
    `SELECT j.namespace, j.name, p.name AS project, j.facets, j.created_at, j.updated_at FROM jobs j JOIN projects p ON p.id = j.project_id
     WHERE j.namespace LIKE $1`,
    [like],
  );
  const jobVersions = await sql.query<Record<string, unknown>>(
    `SELECT j.namespace, j.name, v.version, v.facets, v.created_at,
            (SELECT array_agg(d.namespace || '/' || d.name || ' ' || x.direction ORDER BY d.namespace, d.name, x.direction) FROM job_datasets x JOIN datasets d ON d.id = x.dataset_id
              WHERE x.job_version_id = v.id) AS static_lineage
     FROM job_versions v JOIN jobs j ON j.id = v.job_id WHERE j.namespace LIKE $1`,
    [like],
  );
  const columns = await sql.query<Record<string, unknown>>(
    `SELECT d.namespace, d.name, c.field, c.input_namespace, c.input_name, c.input_field, c.transformation_type, c.transformation_subtype,
            c.transformation_description, c.masking, d.column_lineage_at
     FROM column_lineage_edges c JOIN datasets d ON d.id = c.dataset_id WHERE d.namespace LIKE $1`,
    [like],
  );
  // Each end of an edge by its natural key.
  const node = (t: string, i: string) => `CASE ${t}
      WHEN 'PipelineRun' THEN (SELECT 'run ' || run_uuid FROM pipeline_runs WHERE id = ${i})
      WHEN 'DatasetVersion' THEN (SELECT 'version ' || d.namespace || '/' || d.name || '@' || v.version FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ${i})
      WHEN 'CodeCommit' THEN (SELECT 'commit ' || repository || '@' || commit FROM code_commits WHERE id = ${i})
      ELSE ${t} || ' ' || ${i} END`;
  const edges = await sql.query<{ edge: string; created_at: unknown }>(
    `SELECT (${node('e.from_type', 'e.from_id')}) || ' -' || e.kind || '-> ' || (${node('e.to_type', 'e.to_id')}) || coalesce(' as ' || e.role, '') AS edge, e.created_at
     FROM lineage_edges e
     WHERE (e.from_type = 'PipelineRun' AND e.from_id IN (SELECT id FROM pipeline_runs WHERE run_uuid = ANY($1::text[])))
        OR (e.to_type = 'PipelineRun' AND e.to_id IN (SELECT id FROM pipeline_runs WHERE run_uuid = ANY($1::text[])))`,
    [uuids],
  );
  const dated = <T extends Record<string, unknown>>(rows: T[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date || /_at$|_time$/.test(k) ? iso(v) : v])));
  // A job version's UUID hashes the job's (tenant-specific) namespace: named by its facets instead.
  const versionLabels = new Map(
    jobVersions.map((v) => [
      v.version as string,
      `${v.name} ${createHash('sha256')
        .update(JSON.stringify(normalise(v.facets, stream)))
        .digest('hex')
        .slice(0, 12)}`,
    ]),
  );
  for (const v of jobVersions) v.version = versionLabels.get(v.version as string);
  for (const r of runs) r.job_version = versionLabels.get(r.job_version as string) ?? r.job_version;
  const graph = normalise(
    {
      runs: dated(runs),
      datasets: dated(datasets),
      versions: dated(versions),
      io: dated(io),
      edges: edges.map((e) => `${e.edge} @${iso(e.created_at)}`),
      jobs: dated(jobs),
      jobVersions: dated(jobVersions),
      columns: dated(columns),
    },
    stream,
  );
  // Sorted once normalised: run ids differ between streams, their labels do not.
  const sorted = <T>(rows: T[]) =>
    rows
      .map((r) => [JSON.stringify(r), r] as const)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, r]) => r);
  return Object.fromEntries(Object.entries(graph).map(([k, rows]) => [k, sorted(rows as unknown[])])) as typeof graph;
}
