import { SqlParams } from '../runs/filter/compile.js';
import type { Condition, ConditionKind } from './conditions.js';

export { SqlParams };

export interface KeyedTable {
  /** The table of key/value rows, e.g. project_tags. */
  table: string;
  /** Its column naming the entity, e.g. project_id. */
  owner: string;
  /** Its value column: text for tags and params, float8 for metrics. */
  value: string;
}

export interface ConditionColumns {
  /** The entity's id as the key tables name it, e.g. p.id. */
  id: string;
  /** SQL for each attribute a spec allows (number attributes must be numeric SQL). */
  attributes: Record<string, string>;
  keyed: Partial<Record<Exclude<ConditionKind, 'attribute'>, KeyedTable>>;
}

const SQL_OP: Record<string, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=', LIKE: 'LIKE', ILIKE: 'ILIKE' };

function compare(lhs: string, c: Condition, params: SqlParams): string {
  if (c.op === 'IN' || c.op === 'NOT IN') return `${c.op === 'IN' ? '' : 'NOT '}(${lhs} = ANY(${params.add(c.value)}::text[]))`;
  const cast = typeof c.value === 'number' ? '::float8' : '::text';
  return `${lhs} ${SQL_OP[c.op]} ${params.add(c.value)}${cast}`;
}

/** The conditions ANDed together (TRUE for none). */
export function compileConditions(conditions: readonly Condition[], columns: ConditionColumns, params: SqlParams): string {
  if (!conditions.length) return 'TRUE';
  return conditions
    .map((c) => {
      if (c.kind === 'attribute') {
        const column = columns.attributes[c.key];
        if (!column) throw new Error(`no column for attribute ${c.key}`);
        return `(${compare(column, c, params)})`;
      }
      const keyed = columns.keyed[c.kind];
      if (!keyed) throw new Error(`no table for ${c.kind}s`);
      return `EXISTS (SELECT 1 FROM ${keyed.table} kv WHERE kv.${keyed.owner} = ${columns.id} AND kv.key = ${params.add(c.key)}::text AND ${compare(`kv.${keyed.value}`, c, params)})`;
    })
    .join(' AND ');
}
