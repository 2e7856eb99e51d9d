// SQL for project search (MLflow's search_experiments): conditions, byte-order name sorting and offset pages.
import type { SqlQueryable } from '../../db/sql.js';
import type { Project } from '../../generated/prisma/client.js';
import { compileConditions, SqlParams } from '../search/compile.js';
import type { Condition } from '../search/conditions.js';

const PROJECT_COLUMNS = `p.id, p.name, p.description, p.artifact_location AS "artifactLocation", p.created_at AS "createdAt",
  p.updated_at AS "updatedAt", p.deleted_at AS "deletedAt"`;

/**
 * A project by name or id: the first read of nearly every request that names a project (searches,
 * startRun's refusals, every MLflow route), so a prepared statement rather than Prisma's
 * per-query compile and interpretation, which cost more than the unique-index read itself.
 */
export async function projectByName(sql: SqlQueryable, name: string): Promise<Project | null> {
  return (await sql.query<Project>(`SELECT ${PROJECT_COLUMNS} FROM projects p WHERE p.name = $1`, [name], { prepareAs: 'projects.byName' }))[0] ?? null;
}

export async function projectById(sql: SqlQueryable, id: number): Promise<Project | null> {
  return (await sql.query<Project>(`SELECT ${PROJECT_COLUMNS} FROM projects p WHERE p.id = $1`, [id], { prepareAs: 'projects.byId' }))[0] ?? null;
}

/** The experiment id MLflow shows: "0" for the Default project, else the project's number. */
const EXPERIMENT_ID = `(CASE WHEN p.name = 'Default' THEN '0' ELSE p.id::text END)`;
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

const COLUMNS = {
  id: 'p.id',
  attributes: { name: 'p.name', experiment_id: EXPERIMENT_ID, creation_time: ms('p.created_at'), last_update_time: ms('p.updated_at') },
  keyed: { tag: { table: 'project_tags', owner: 'project_id', value: 'value' } },
};

// Names sort by code point (as MLflow's server does: "Abc" before "a"), whatever the database's collation.
const ORDER_SQL: Record<string, string> = {
  name: 'p.name COLLATE "C"',
  experiment_id: `(CASE WHEN p.name = 'Default' THEN 0 ELSE p.id END)`,
  creation_time: 'p.created_at',
  last_update_time: 'p.updated_at',
};

export interface ProjectSearch {
  /** The projects the caller may read; null for all. */
  projectIds: number[] | null;
  conditions: readonly Condition[];
  order: readonly { field: string; direction: 'ASC' | 'DESC' }[];
  view: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
  limit: number;
  offset: number;
}

export async function searchProjects(sql: SqlQueryable, search: ProjectSearch): Promise<Project[]> {
  const params = new SqlParams();
  const where = [compileConditions(search.conditions, COLUMNS, params)];
  if (search.projectIds) where.push(`p.id = ANY(${params.add(search.projectIds)}::int[])`);
  if (search.view === 'ACTIVE_ONLY') where.push('p.deleted_at IS NULL');
  if (search.view === 'DELETED_ONLY') where.push('p.deleted_at IS NOT NULL');
  // MLflow's default: newest first; ties (and every order) end on the experiment id.
  const order = search.order.length ? search.order.map((o) => `${ORDER_SQL[o.field]} ${o.direction}`) : ['p.created_at DESC'];
  order.push(`${ORDER_SQL.experiment_id} ASC`);
  return sql.query<Project>(
    `SELECT ${PROJECT_COLUMNS} FROM projects p WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ${params.add(search.limit)} OFFSET ${params.add(search.offset)}`,
    params.values,
  );
}
