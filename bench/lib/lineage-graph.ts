// The lineage workload of the benchmarks: a graph of about 1.2 million nodes and 3.1 million
// edges in lineage_edges, shaped like a busy ML platform, and a real row behind every node.
// Built with set-based SQL (generate_series) once per database. Every edge step inserts with
// ON CONFLICT DO NOTHING and the rows go in one transaction, so an interrupted build resumes
// by running again; a complete one is left alone.
import type { Sql } from '../../src/db/sql.js';
import { progressBar } from './progress.js';

// Synthetic node ids live far above real ones.
export const OFFSET = 100_000_000;
export const N = { datasetVersions: 200_000, commits: 50_000, runs: 450_000, artifacts: 400_000, modelVersions: 130_000 };
const T0 = '2024-01-01T00:00:00Z';
const SPAN_SECONDS = 2 * 365 * 86_400; // ids are in time order over two years

// A cheap deterministic hash of (i, salt) in [0, m): the same graph every build.
const h = (i: string, salt: number, m: string) => `(((${i})::bigint * 2654435761 + ${salt} * 40503) % 2147483647 % (${m}))`;
// When node i of a kind with n nodes was created.
const at = (i: string, n: number) => `(timestamptz '${T0}' + ((${i})::float8 / ${n} * ${SPAN_SECONDS}) * interval '1 second')`;

const edgeSteps: { name: string; sql: string }[] = [
  {
    // Datasets come in families of ten versions, each derived from the one before (raw ->
    // cleaned -> features ...); one version in twenty also joins in an earlier family's data.
    name: 'DatasetVersion -DERIVED_INTO-> DatasetVersion',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'DatasetVersion', ${OFFSET} + p, 'DatasetVersion', ${OFFSET} + i, 'DERIVED_INTO', ${at('i', N.datasetVersions)}
      FROM generate_series(2, ${N.datasetVersions}) i
      CROSS JOIN LATERAL (SELECT i - 1 AS p WHERE i % 10 <> 1
                          UNION ALL SELECT i - 10 - ${h('i', 2, 'least(i - 11, 5000)')} WHERE i % 20 = 0 AND i > 20) parents
      ON CONFLICT DO NOTHING`,
  },
  {
    // Runs read four dataset versions, mostly recent ones (as of the run's time).
    name: 'DatasetVersion -INPUT_TO-> Run',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, role, created_at)
      SELECT 'DatasetVersion', ${OFFSET} + greatest(1, d.cap - ${h('r * 4 + k', 3, 'least(d.cap, 20000)')}), 'Run', ${OFFSET} + r, 'INPUT_TO',
             (ARRAY['train', 'validation', 'test', 'holdout'])[k + 1], ${at('r', N.runs)}
      FROM generate_series(1, ${N.runs}) r
      CROSS JOIN LATERAL (SELECT greatest(1, (r::float8 / ${N.runs} * ${N.datasetVersions})::int) AS cap) d
      CROSS JOIN generate_series(0, 3) k
      ON CONFLICT DO NOTHING`,
  },
  {
    name: 'CodeCommit -INPUT_TO-> Run',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'CodeCommit', ${OFFSET} + greatest(1, (r::float8 / ${N.runs} * ${N.commits})::int - ${h('r', 4, '50')}), 'Run', ${OFFSET} + r, 'INPUT_TO', ${at('r', N.runs)}
      FROM generate_series(1, ${N.runs}) r
      ON CONFLICT DO NOTHING`,
  },
  {
    // Sweeps: one run in ten is the child of a run shortly before it.
    name: 'Run -PARENT_OF-> Run',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'Run', ${OFFSET} + r - 1 - ${h('r', 5, '20')}, 'Run', ${OFFSET} + r, 'PARENT_OF', ${at('r', N.runs)}
      FROM generate_series(100, ${N.runs}, 10) r
      ON CONFLICT DO NOTHING`,
  },
  {
    name: 'Run -PRODUCED-> Artifact',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'Run', ${OFFSET} + greatest(1, (a::float8 / ${N.artifacts} * ${N.runs})::int), 'Artifact', ${OFFSET} + a, 'PRODUCED', ${at('a', N.artifacts)}
      FROM generate_series(1, ${N.artifacts}) a
      ON CONFLICT DO NOTHING`,
  },
  {
    name: 'Artifact -REGISTERED_AS-> ModelVersion',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'Artifact', ${OFFSET} + greatest(1, (m::float8 / ${N.modelVersions} * ${N.artifacts})::int), 'ModelVersion', ${OFFSET} + m, 'REGISTERED_AS', ${at('m', N.modelVersions)}
      FROM generate_series(1, ${N.modelVersions}) m
      ON CONFLICT DO NOTHING`,
  },
  {
    // Fine-tuning: one run in five starts from a recent model version (chains of models).
    name: 'ModelVersion -INPUT_TO-> Run',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, role, created_at)
      SELECT 'ModelVersion', ${OFFSET} + mv, 'Run', ${OFFSET} + r, 'INPUT_TO', 'base-model', ${at('r', N.runs)}
      FROM generate_series(5000, ${N.runs}, 5) r
      CROSS JOIN LATERAL (SELECT greatest(1, (r::float8 / ${N.runs} * ${N.modelVersions})::int - 1 - ${h('r', 6, '200')}) AS mv) m
      ON CONFLICT DO NOTHING`,
  },
];

// Every node of the graph is also a real row (run, dataset version, artifact, model version,
// commit) in a project of its own, so the GraphQL API can answer about it: labels, the
// incident questions, and 500 registered models with their alias histories.
export const MODELS = 500;
const DATASET_FAMILIES = N.datasetVersions / 10;
const runOfArtifact = (a: string) => `${OFFSET} + greatest(1, ((${a})::float8 / ${N.artifacts} * ${N.runs})::int)`;
const artifactOfVersion = (m: string) => `${OFFSET} + greatest(1, ((${m})::float8 / ${N.modelVersions} * ${N.artifacts})::int)`;
const entitySteps: { name: string; sql: string }[] = [
  {
    name: 'code commits',
    sql: `INSERT INTO code_commits (id, repository, commit, created_at)
      SELECT ${OFFSET} + i, 'git@example.com:ml/platform.git', substr(md5(i::text) || md5('c' || i), 1, 40), ${at('i', N.commits)}
      FROM generate_series(1, ${N.commits}) i`,
  },
  {
    name: 'datasets, ten versions each',
    sql: `WITH p AS (SELECT id FROM projects WHERE name = 'bench-lineage'),
      d AS (INSERT INTO datasets (id, name, project_id, description, created_at)
            SELECT ${OFFSET} + f, 'bench-lineage-ds-' || f, p.id, 'synthetic dataset family', ${at('(f - 1) * 10 + 1', N.datasetVersions)}
            FROM generate_series(1, ${DATASET_FAMILIES}) f, p RETURNING 1)
      INSERT INTO dataset_versions (id, dataset_id, version, digest, source_uri, row_count, coverage_start, coverage_end, created_by, created_at)
      SELECT ${OFFSET} + i, ${OFFSET} + (i - 1) / 10 + 1, 'v' || ((i - 1) % 10 + 1), md5(i::text) || md5('d' || i), 's3://bench/datasets/' || i,
             1000 + i, date_trunc('month', t) - interval '1 month', date_trunc('month', t), 'bench', t
      FROM generate_series(1, ${N.datasetVersions}) i CROSS JOIN LATERAL (SELECT ${at('i', N.datasetVersions)} AS t) c`,
  },
  {
    name: 'dataset derivations',
    sql: `INSERT INTO dataset_derivations (child_id, parent_id, created_at)
      SELECT to_id, from_id, created_at FROM lineage_edges WHERE kind = 'DERIVED_INTO' AND to_id > ${OFFSET}`,
  },
  {
    name: 'runs',
    sql: `INSERT INTO runs (id, project_id, client_run_id, name, status, "user", started_at, ended_at, created_at, updated_at)
      SELECT ${OFFSET} + r, p.id, 'lineage-' || r, 'lineage-run-' || r, 'FINISHED', 'bench', t, t + interval '1 hour', t, t
      FROM generate_series(1, ${N.runs}) r CROSS JOIN LATERAL (SELECT ${at('r', N.runs)} AS t) c,
           (SELECT id FROM projects WHERE name = 'bench-lineage') p`,
  },
  {
    name: 'run inputs',
    sql: `INSERT INTO run_dataset_inputs (run_id, dataset_version_id, role, created_at)
      SELECT to_id, from_id, role, created_at FROM lineage_edges WHERE kind = 'INPUT_TO' AND from_type = 'DatasetVersion' AND to_id > ${OFFSET}`,
  },
  {
    name: 'artifacts',
    sql: `INSERT INTO artifacts (id, run_id, name, kind, digest, size_bytes, media_type, created_at)
      SELECT ${OFFSET} + a, ${runOfArtifact('a')}, 'model-' || a || '.safetensors', 'MODEL', md5(a::text) || md5('a' || a), 1048576,
             'application/octet-stream', ${at('a', N.artifacts)}
      FROM generate_series(1, ${N.artifacts}) a`,
  },
  {
    // Version v belongs to model (v - 1) % 500 + 1, so each model gets about 260 versions.
    name: `${MODELS} registered models and their versions`,
    sql: `WITH p AS (SELECT id FROM projects WHERE name = 'bench-lineage'),
      m AS (INSERT INTO registered_models (id, name, project_id, description, latest_version, created_at)
            SELECT ${OFFSET} + m, 'bench-lineage-model-' || m, p.id, 'synthetic model', (${N.modelVersions} - m) / ${MODELS} + 1, ${at('m', N.modelVersions)}
            FROM generate_series(1, ${MODELS}) m, p RETURNING 1)
      INSERT INTO model_versions (id, model_id, version, run_id, artifact_id, created_by, created_at)
      SELECT ${OFFSET} + v, ${OFFSET} + (v - 1) % ${MODELS} + 1, (v - 1) / ${MODELS} + 1, ${runOfArtifact(`${artifactOfVersion('v')} - ${OFFSET}`)},
             ${artifactOfVersion('v')}, 'bench', ${at('v', N.modelVersions)}
      FROM generate_series(1, ${N.modelVersions}) v`,
  },
  {
    name: 'fine-tuning inputs',
    sql: `INSERT INTO run_model_inputs (run_id, model_version_id, role, created_at)
      SELECT to_id, from_id, role, created_at FROM lineage_edges WHERE kind = 'INPUT_TO' AND from_type = 'ModelVersion' AND to_id > ${OFFSET}`,
  },
  {
    // "production" moves to every 10th version and "staging" to every 5th, each move an event.
    name: 'alias histories',
    sql: `INSERT INTO model_alias_events (model_id, alias, action, from_version_id, to_version_id, actor, reason, at)
      SELECT model_id, alias, 'SET', lag(id) OVER (PARTITION BY model_id, alias ORDER BY version), id, 'bench', 'scheduled promotion',
             created_at + interval '1 day'
      FROM model_versions v CROSS JOIN (VALUES ('production', 10), ('staging', 5)) a(alias, every)
      WHERE v.id > ${OFFSET} AND v.version % a.every = 0`,
  },
  {
    name: 'current aliases',
    sql: `INSERT INTO model_aliases (model_id, alias, version_id, updated_at)
      SELECT DISTINCT ON (model_id, alias) model_id, alias, to_version_id, at FROM model_alias_events
      WHERE model_id > ${OFFSET} ORDER BY model_id, alias, at DESC`,
  },
];

const COMPLETE_EDGES = 3_000_000;

async function edgeCount(sql: Sql): Promise<number> {
  const rows = await sql.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM lineage_edges WHERE to_id > ${OFFSET}`);
  return Number(rows[0]!.n);
}

export async function buildLineageGraph(sql: Sql): Promise<{ nodes: number; edges: number }> {
  let edges = await edgeCount(sql);
  if (edges < COMPLETE_EDGES) {
    const bar = progressBar('lineage graph edges', edgeSteps.length);
    for (const [i, step] of edgeSteps.entries()) {
      bar.update(i, step.name);
      await sql.query(step.sql);
    }
    bar.update(edgeSteps.length);
    await sql.query('ANALYZE lineage_edges');
    edges = await edgeCount(sql);
  }
  const haveRows = (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM registered_models WHERE id > ${OFFSET}`))[0]!.n > 0;
  if (!haveRows) {
    await sql.query(
      `INSERT INTO projects (name, description) VALUES ('bench-lineage', 'rows behind the lineage benchmark graph') ON CONFLICT (name) DO NOTHING`,
    );
    const bar = progressBar('lineage graph rows', entitySteps.length);
    // All or nothing: a half-built set would make the next run skip the rest.
    await sql.transaction(async (tx) => {
      for (const [i, step] of entitySteps.entries()) {
        bar.update(i, step.name);
        await tx.query(step.sql);
      }
    });
    bar.update(entitySteps.length);
    await sql.query('ANALYZE');
  }
  const nodes = await sql.query<{ n: number }>(
    `SELECT count(*)::bigint AS n FROM (SELECT from_type, from_id FROM lineage_edges WHERE from_id > ${OFFSET}
     UNION SELECT to_type, to_id FROM lineage_edges WHERE to_id > ${OFFSET}) x`,
  );
  return { nodes: Number(nodes[0]!.n), edges };
}
