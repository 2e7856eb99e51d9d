// SQL of field-level lineage (column_lineage_edges): replacing a dataset's edges with those of a
// newer columnLineage facet, and walking them up- or downstream within the readable projects.
import type { SqlQueryable } from '../../db/sql.js';
import type { ColumnLineageRow } from './rules.js';

/**
 * A dataset's column lineage as of the facet sent at `at`: a facet older than the one its
 * edges came from changes nothing, a newer one replaces them, one of the same instant adds to
 * them. So the latest facet wins whatever order the events arrived in. Call with the
 * dataset's key lock held.
 */
export async function replaceColumnLineage(tx: SqlQueryable, datasetId: number, rows: readonly ColumnLineageRow[], at: Date): Promise<void> {
  const [current] = await tx.query<{ at: Date | null }>('SELECT column_lineage_at AS at FROM datasets WHERE id = $1', [datasetId]);
  const since = current?.at ? new Date(current.at) : null;
  if (since && at < since) return;
  if (!since || at > since) {
    await tx.query('DELETE FROM column_lineage_edges WHERE dataset_id = $1', [datasetId]);
    await tx.query('UPDATE datasets SET column_lineage_at = $2::timestamptz WHERE id = $1', [datasetId, at.toISOString()]);
  }
  if (rows.length === 0) return;
  // One facet of one instant from two events: the greater description, masked if either says so.
  await tx.query(
    `INSERT INTO column_lineage_edges (dataset_id, field, input_namespace, input_name, input_field, transformation_type, transformation_subtype,
       transformation_description, masking)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[])
     ON CONFLICT (dataset_id, field, input_namespace, input_name, input_field, transformation_type, transformation_subtype) DO UPDATE SET
       transformation_description = GREATEST(column_lineage_edges.transformation_description, EXCLUDED.transformation_description),
       masking = column_lineage_edges.masking OR EXCLUDED.masking`,
    [
      datasetId,
      rows.map((r) => r.field),
      rows.map((r) => r.inputNamespace),
      rows.map((r) => r.inputName),
      rows.map((r) => r.inputField),
      rows.map((r) => r.transformationType),
      rows.map((r) => r.transformationSubtype),
      rows.map((r) => r.transformationDescription),
      rows.map((r) => r.masking),
    ],
  );
}

export interface ColumnEdgeRow {
  /** Hops from the start (1 for the start's own edges). */
  depth: number;
  outputNamespace: string;
  outputName: string;
  outputField: string;
  inputNamespace: string;
  inputName: string;
  inputField: string;
  transformationType: string;
  transformationSubtype: string;
  transformationDescription: string | null;
  masking: boolean;
}

/**
 * Field-level edges reached from (namespace, name, field) within `depth` hops, upstream (where
 * the field comes from) or downstream (what comes from it). Only edges whose datasets are in
 * `projectIds` (null: all) are walked, so a hidden dataset is neither shown nor passed through;
 * an input known only by name (no dataset yet) hides nothing. Cycles end at the path guard.
 */
export async function walkColumnLineage(
  sql: SqlQueryable,
  start: { namespace: string; name: string; field: string | null },
  direction: 'UPSTREAM' | 'DOWNSTREAM',
  depth: number,
  projectIds: readonly number[] | null,
): Promise<ColumnEdgeRow[]> {
  const up = direction === 'UPSTREAM';
  // Upstream: from an output field to its inputs; downstream: from an input field to the outputs.
  const far = up ? 'c.input_namespace, c.input_name, c.input_field' : 'd.namespace, d.name, c.field';
  const step = up
    ? 'JOIN datasets d ON d.namespace = w.ns AND d.name = w.name JOIN column_lineage_edges c ON c.dataset_id = d.id AND c.field = w.field'
    : 'JOIN column_lineage_edges c ON c.input_namespace = w.ns AND c.input_name = w.name AND c.input_field = w.field JOIN datasets d ON d.id = c.dataset_id';
  const first = up
    ? 'd.namespace = $1 AND d.name = $2 AND ($3::text IS NULL OR c.field = $3)'
    : 'c.input_namespace = $1 AND c.input_name = $2 AND ($3::text IS NULL OR c.input_field = $3)';
  const visible = '($5::int[] IS NULL OR (d.project_id = ANY($5::int[]) AND (i.id IS NULL OR i.project_id = ANY($5::int[]))))';
  const inputDataset = 'LEFT JOIN datasets i ON i.namespace = c.input_namespace AND i.name = c.input_name';
  const rows = await sql.query<ColumnEdgeRow & { id: number }>(
    `WITH RECURSIVE walk(id, ns, name, field, depth, path) AS (
       SELECT c.id, ${far}, 1, ARRAY[c.id] FROM column_lineage_edges c JOIN datasets d ON d.id = c.dataset_id ${inputDataset}
       WHERE ${first} AND ${visible}
       UNION ALL
       SELECT c.id, ${far}, w.depth + 1, w.path || c.id FROM walk w ${step} ${inputDataset}
       WHERE w.depth < $4 AND NOT c.id = ANY(w.path) AND ${visible})
     SELECT DISTINCT ON (c.id) c.id, w.depth, d.namespace AS "outputNamespace", d.name AS "outputName", c.field AS "outputField",
            c.input_namespace AS "inputNamespace", c.input_name AS "inputName", c.input_field AS "inputField",
            c.transformation_type AS "transformationType", c.transformation_subtype AS "transformationSubtype",
            c.transformation_description AS "transformationDescription", c.masking
     FROM walk w JOIN column_lineage_edges c ON c.id = w.id JOIN datasets d ON d.id = c.dataset_id ORDER BY c.id, w.depth`,
    [start.namespace, start.name, start.field, depth, projectIds ? [...projectIds] : null],
  );
  return rows
    .map(({ id: _id, ...r }) => r)
    .sort(
      (a, b) =>
        a.depth - b.depth ||
        `${a.outputNamespace}/${a.outputName}.${a.outputField}<${a.inputNamespace}/${a.inputName}.${a.inputField}`.localeCompare(
          `${b.outputNamespace}/${b.outputName}.${b.outputField}<${b.inputNamespace}/${b.inputName}.${b.inputField}`,
        ),
    );
}
