// SQL for logged-model search: MLflow's conditions over attributes, tags, params and metrics, a
// dataset filter on metrics, ordering by attribute or metric, and offset pages.
import type { SqlQueryable } from '../../db/sql.js';
import type { LoggedModel } from '../../generated/prisma/client.js';
import { compileConditions, SqlParams } from '../search/compile.js';
import type { Condition } from '../search/conditions.js';

const MODEL_COLUMNS = `m.id, m.project_id AS "projectId", m.name, m.source_run_id AS "sourceRunId", m.source_run_text AS "sourceRunText",
  m.model_type AS "modelType", m.status, m.status_message AS "statusMessage", m.created_by AS "createdBy", m.created_at AS "createdAt",
  m.updated_at AS "updatedAt", m.deleted_at AS "deletedAt"`;

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

export const ATTRIBUTE_SQL: Record<string, string> = {
  name: 'm.name',
  model_id: 'm.id',
  model_type: 'm.model_type',
  status: 'm.status',
  source_run_id: 'm.source_run_text',
  creation_timestamp: ms('m.created_at'),
  last_updated_timestamp: ms('m.updated_at'),
};

const COLUMNS = {
  id: 'm.id',
  attributes: ATTRIBUTE_SQL,
  keyed: {
    tag: { table: 'logged_model_tags', owner: 'model_id', value: 'value' },
    param: { table: 'logged_model_params', owner: 'model_id', value: 'value' },
    metric: { table: 'logged_model_metrics', owner: 'model_id', value: 'value' },
  },
};

export interface DatasetRef {
  name: string;
  digest: string | null;
}

/** An attribute, or a metric key (its latest value, on a dataset when named), ascending or not. */
export interface LoggedModelOrder {
  field: { attribute: string } | { metric: string; dataset: DatasetRef | null };
  ascending: boolean;
}

export interface LoggedModelSearch {
  projectIds: readonly number[];
  conditions: readonly Condition[];
  /** Models with a metric measured on one of these datasets (any, when empty). */
  datasets: readonly DatasetRef[];
  order: readonly LoggedModelOrder[];
  limit: number;
  offset: number;
}

function onDatasets(datasets: readonly DatasetRef[], params: SqlParams, alias: string): string {
  return datasets
    .map(
      (d) => `(${alias}.dataset_name = ${params.add(d.name)}::text${d.digest === null ? '' : ` AND ${alias}.dataset_digest = ${params.add(d.digest)}::text`})`,
    )
    .join(' OR ');
}

export async function searchLoggedModels(sql: SqlQueryable, search: LoggedModelSearch): Promise<LoggedModel[]> {
  const params = new SqlParams();
  const where = [`m.project_id = ANY(${params.add(search.projectIds)}::int[])`, 'm.deleted_at IS NULL', compileConditions(search.conditions, COLUMNS, params)];
  if (search.datasets.length) {
    where.push(`EXISTS (SELECT 1 FROM logged_model_metrics dm WHERE dm.model_id = m.id AND (${onDatasets(search.datasets, params, 'dm')}))`);
  }
  const order = search.order.map(({ field, ascending }) => {
    const direction = ascending ? 'ASC NULLS LAST' : 'DESC NULLS LAST';
    if ('attribute' in field) return `${ATTRIBUTE_SQL[field.attribute]} ${direction}`;
    const dataset = field.dataset ? ` AND (${onDatasets([field.dataset], params, 'om')})` : '';
    // The latest point of the metric (on the dataset, when named) is the model's value for it.
    return `(SELECT om.value FROM logged_model_metrics om WHERE om.model_id = m.id AND om.key = ${params.add(field.metric)}::text${dataset} ORDER BY om.ts DESC, om.step DESC LIMIT 1) ${direction}`;
  });
  order.push('m.created_at DESC', 'm.id ASC');
  return sql.query<LoggedModel>(
    `SELECT ${MODEL_COLUMNS} FROM logged_models m WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ${params.add(search.limit)} OFFSET ${params.add(search.offset)}`,
    params.values,
  );
}
