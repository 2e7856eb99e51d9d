// SQL reads of registered models and their versions by id, for the loaders behind lineage
// labels, aliases and node(id): one index lookup each, without Prisma's per-query overhead.
import { columnList, type SqlQueryable, takePrefixed } from '../../db/sql.js';
import type { ModelAlias, ModelVersion, Prisma, RegisteredModel, Run } from '../../generated/prisma/client.js';
import { runColumnsAs } from '../runs/store.js';
import { compileConditions, SqlParams } from '../search/compile.js';
import type { Condition } from '../search/conditions.js';

export async function modelsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<RegisteredModel[]> {
  return sql.query<RegisteredModel>(`SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE m.id = ANY($1::int[])`, [ids]);
}

const MODEL_FIELDS = [
  ['id', 'id'],
  ['name', 'name'],
  ['project_id', 'projectId'],
  ['description', 'description'],
  ['latest_version', 'latestVersion'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
] as const;
const VERSION_FIELDS = [
  ['id', 'id'],
  ['model_id', 'modelId'],
  ['version', 'version'],
  ['run_id', 'runId'],
  ['artifact_id', 'artifactId'],
  ['logged_model_id', 'loggedModelId'],
  ['source', 'source'],
  ['description', 'description'],
  ['created_by', 'createdBy'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
] as const;
const MODEL_COLUMNS = columnList('m', MODEL_FIELDS);
const VERSION_COLUMNS = columnList('v', VERSION_FIELDS);
/**
 * The project a version came from: its run's, else its logged model's, else its model's own
 * (a version MLflow registered from a bare source URI).
 */
const ORIGIN_PROJECT = 'COALESCE(r.project_id, lm.project_id, m.project_id)';
const VERSION_JOINS = `JOIN registered_models m ON m.id = v.model_id LEFT JOIN runs r ON r.id = v.run_id LEFT JOIN logged_models lm ON lm.id = v.logged_model_id`;

/** A model version with its model and the project it came from (visibility needs both projects). */
export interface VersionWithModel {
  version: ModelVersion;
  model: RegisteredModel;
  runProjectId: number;
}

/** Versions by id with the model each belongs to and its run's project, in one statement (labels and visibility need them). */
export async function modelVersionsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<VersionWithModel[]> {
  const rows = await sql.query<ModelVersion & { model: RegisteredModel; runProjectId: number }>(
    `SELECT ${VERSION_COLUMNS}, ${ORIGIN_PROJECT} AS "runProjectId",
            json_build_object('id', m.id, 'name', m.name, 'projectId', m.project_id, 'description', m.description,
                              'latestVersion', m.latest_version, 'createdAt', m.created_at, 'updatedAt', m.updated_at) AS model
     FROM model_versions v ${VERSION_JOINS} WHERE v.id = ANY($1::int[])`,
    [ids],
  );
  return rows.map(({ model, runProjectId, ...version }) => ({
    version,
    model: { ...model, createdAt: new Date(model.createdAt), updatedAt: new Date(model.updatedAt) },
    runProjectId,
  }));
}

/** A model with the aliases it holds now, each alias's version (with its origin project) and the run that version came from. */
export interface ModelWithAliases {
  model: RegisteredModel;
  aliases: ModelAlias[];
  versions: VersionWithModel[];
  runs: Run[];
}

// One row per alias (one row of NULLs when it holds none), each carrying its version and run.
const MODEL_WITH_ALIASES = `SELECT ${columnList('m', MODEL_FIELDS, 'm.')}, a.alias AS "a.alias", a.version_id AS "a.versionId", a.updated_at AS "a.updatedAt",
    ${columnList('v', VERSION_FIELDS, 'v.')}, ${ORIGIN_PROJECT} AS "runProjectId", ${runColumnsAs('r.')}
  FROM registered_models m LEFT JOIN model_aliases a ON a.model_id = m.id LEFT JOIN model_versions v ON v.id = a.version_id
    LEFT JOIN runs r ON r.id = v.run_id LEFT JOIN logged_models lm ON lm.id = v.logged_model_id
  WHERE m.name = $1 ORDER BY a.alias`;

/**
 * The named model, its aliases, their versions and those versions' runs, in one statement:
 * model@alias reads (registeredModel(name) { alias(name) { run { ... } } }) otherwise wait on
 * four reads in a row. Unchecked: the registry service decides what the caller sees of it.
 */
export async function modelWithAliasesByName(sql: SqlQueryable, name: string): Promise<ModelWithAliases | null> {
  const rows = await sql.query<Record<string, unknown>>(MODEL_WITH_ALIASES, [name], { prepareAs: 'registry.modelWithAliases' });
  if (!rows.length) return null;
  const model = takePrefixed<RegisteredModel>(rows[0]!, 'm.');
  const found: ModelWithAliases = { model, aliases: [], versions: [], runs: [] };
  const runIds = new Set<number>();
  const versionIds = new Set<number>();
  for (const row of rows) {
    if (row['a.alias'] == null) continue;
    const version = takePrefixed<ModelVersion>(row, 'v.');
    found.aliases.push({ modelId: model.id, alias: row['a.alias'] as string, versionId: version.id, updatedAt: row['a.updatedAt'] as Date });
    if (!versionIds.has(version.id)) found.versions.push({ version, model, runProjectId: row.runProjectId as number });
    versionIds.add(version.id);
    const run = row['r.id'] == null ? null : takePrefixed<Run>(row, 'r.');
    if (run && !runIds.has(run.id)) found.runs.push(run);
    if (run) runIds.add(run.id);
  }
  return found;
}

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

const MODEL_SEARCH = {
  id: 'm.id',
  attributes: { name: 'm.name', creation_timestamp: ms('m.created_at'), last_updated_timestamp: ms('m.updated_at') },
  keyed: { tag: { table: 'registered_model_tags', owner: 'model_id', value: 'value' } },
};

/**
 * The source MLflow shows for a version: as given when registered through MLflow, else the
 * directory of its model file in the run's artifacts (mlflow-artifacts:/<experiment>/<run>/artifacts/<dir>).
 */
const VERSION_SOURCE = `COALESCE(v.source, 'mlflow-artifacts:/' || (CASE WHEN rp.name = 'Default' THEN '0' ELSE rp.id::text END) || '/'
  || lpad(to_hex(v.run_id), 32, '0') || '/artifacts' || COALESCE('/' || NULLIF(regexp_replace(a.name, '/?[^/]*$', ''), ''), ''))`;

const VERSION_SEARCH = {
  id: 'v.id',
  attributes: {
    name: 'm.name',
    version_number: 'v.version::float8',
    run_id: `lpad(to_hex(v.run_id), 32, '0')`,
    source_path: VERSION_SOURCE,
    creation_timestamp: ms('v.created_at'),
    last_updated_timestamp: ms('v.updated_at'),
  },
  keyed: { tag: { table: 'model_version_tags', owner: 'version_id', value: 'value' } },
};

export interface RegistrySearch {
  /** Projects the caller may read; null for all. */
  projectIds: number[] | null;
  conditions: readonly Condition[];
  order: readonly { field: string; direction: 'ASC' | 'DESC' }[];
  limit: number;
  offset: number;
}

const MODEL_ORDER: Record<string, string> = { name: 'm.name COLLATE "C"', creation_timestamp: 'm.created_at', last_updated_timestamp: 'm.updated_at' };
const VERSION_ORDER: Record<string, string> = {
  name: 'm.name COLLATE "C"',
  version_number: 'v.version',
  creation_timestamp: 'v.created_at',
  last_updated_timestamp: 'v.updated_at',
  run_id: 'v.run_id',
};

export async function searchModels(sql: SqlQueryable, search: RegistrySearch): Promise<RegisteredModel[]> {
  const params = new SqlParams();
  const where = [compileConditions(search.conditions, MODEL_SEARCH, params)];
  if (search.projectIds) where.push(`m.project_id = ANY(${params.add(search.projectIds)}::int[])`);
  const order = search.order.map((o) => `${MODEL_ORDER[o.field]} ${o.direction}`);
  if (!search.order.some((o) => o.field === 'name')) order.push(`${MODEL_ORDER.name} ASC`);
  return sql.query<RegisteredModel>(
    `SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')}
     LIMIT ${params.add(search.limit)} OFFSET ${params.add(search.offset)}`,
    params.values,
  );
}

/** Versions the caller may see (both their model's project and the one they came from are readable) that match. */
export async function searchVersions(sql: SqlQueryable, search: RegistrySearch): Promise<ModelVersion[]> {
  const params = new SqlParams();
  const where = [compileConditions(search.conditions, VERSION_SEARCH, params)];
  if (search.projectIds) {
    const readable = params.add(search.projectIds);
    where.push(`m.project_id = ANY(${readable}::int[]) AND ${ORIGIN_PROJECT} = ANY(${readable}::int[])`);
  }
  const order = search.order.map((o) => `${VERSION_ORDER[o.field]} ${o.direction}`);
  if (!search.order.some((o) => o.field === 'name')) order.push(`${VERSION_ORDER.name} ASC`);
  if (!search.order.some((o) => o.field === 'version_number')) order.push('v.version DESC');
  return sql.query<ModelVersion>(
    `SELECT ${VERSION_COLUMNS} FROM model_versions v ${VERSION_JOINS}
       LEFT JOIN projects rp ON rp.id = r.project_id LEFT JOIN artifacts a ON a.id = v.artifact_id
     WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ${params.add(search.limit)} OFFSET ${params.add(search.offset)}`,
    params.values,
  );
}

/** Locks a model's row for the transaction, so alias changes of one model happen one at a time. */
export async function lockModelRow(tx: Prisma.TransactionClient, modelId: number): Promise<void> {
  await tx.$queryRaw`SELECT id FROM registered_models WHERE id = ${modelId} FOR UPDATE`;
}

/** Locks a promotion request's row for the transaction (approvals of one request happen one at a time). */
export async function lockPromotionRequestRow(tx: Prisma.TransactionClient, requestId: number): Promise<void> {
  await tx.$queryRaw`SELECT id FROM promotion_requests WHERE id = ${requestId} FOR UPDATE`;
}
