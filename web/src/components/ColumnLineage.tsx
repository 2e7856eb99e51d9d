// Field-level lineage (columnLineage facets) under the lineage view of a dataset or dataset
// version: its fields with column lineage, and for the one picked, the graph of the fields it
// comes from and goes to, each edge with its transformation and the jobs writing its output.
import { useMemo, useState } from 'react';
import { ColumnLineageFieldsDocument, type ColumnLineageOfFieldQuery, ColumnLineageOfFieldDocument, type LineageDirection } from '../generated/graphql';
import { useQuery } from '../hooks';
import { Dag, type DagEdge, type DagNode } from './Dag';
import { Card, ErrorBox, Loading } from './ui';

interface FieldRef {
  namespace: string;
  name: string;
  field: string;
}
type Edge = ColumnLineageOfFieldQuery['columnLineage']['edges'][number];

const DEPTH = 5;
const keyOf = (f: FieldRef) => JSON.stringify([f.namespace, f.name, f.field]);
const labelOf = (f: FieldRef) => `${f.name}.${f.field}`;
const same = (a: FieldRef, b: FieldRef) => a.namespace === b.namespace && a.name === b.name && a.field === b.field;
const transformation = (e: Edge) => [e.transformationType, e.transformationSubtype].filter(Boolean).join(' / ') || 'unspecified';

/** Nothing at all for a node that is not a dataset (version), or whose dataset has no column lineage. */
export function ColumnLineage({ id }: { id: string }) {
  const fieldsQ = useQuery(ColumnLineageFieldsDocument, { id });
  const [picked, setPicked] = useState<FieldRef | null>(null);
  const [direction, setDirection] = useState<LineageDirection>('BOTH');
  const node = fieldsQ.data?.node;
  const dataset = node?.__typename === 'DatasetVersion' ? node.dataset : node?.__typename === 'Dataset' ? node : null;
  const fields = useMemo(
    () =>
      (dataset?.columnLineage.fields ?? [])
        .filter((f) => f.namespace === dataset!.namespace && f.name === dataset!.name)
        .sort((a, b) => a.field.localeCompare(b.field)),
    [dataset],
  );
  const graphQ = useQuery(ColumnLineageOfFieldDocument, { ...(picked ?? { namespace: '', name: '', field: '' }), direction, depth: DEPTH }, { skip: !picked });
  // While another field loads, the previous field's edges are still held: they are not drawn around this one.
  const held = picked ? (graphQ.data?.columnLineage.edges ?? null) : null;
  const edges = held && picked && (graphQ.loading ? held.some((e) => same(e.from, picked) || same(e.to, picked)) : true) ? held : null;

  const graph = useMemo(() => {
    if (!picked || !edges) return null;
    const nodes = new Map<string, DagNode>([[keyOf(picked), { id: keyOf(picked), type: 'FIELD', label: labelOf(picked), start: true, marks: [] }]]);
    for (const f of edges.flatMap((e) => [e.from, e.to])) {
      if (!nodes.has(keyOf(f))) nodes.set(keyOf(f), { id: keyOf(f), type: 'FIELD', label: labelOf(f), marks: [] });
    }
    const drawn: DagEdge[] = edges.map((e) => ({
      from: keyOf(e.from),
      to: keyOf(e.to),
      kind: `${e.transformationSubtype ?? e.transformationType ?? 'derived'}${e.masking ? ' (masked)' : ''}`,
    }));
    return { nodes: [...nodes.values()], edges: drawn };
  }, [picked, edges]);

  if (fieldsQ.error) return <ErrorBox error={fieldsQ.error} />;
  if (!dataset || fields.length === 0) return null;
  const open = (n: DagNode) => {
    const [namespace, name, field] = JSON.parse(n.id) as [string, string, string];
    setPicked({ namespace, name, field });
  };

  return (
    <Card title="Column lineage" className="column-lineage">
      <div className="toolbar" data-testid="column-fields">
        <span className="muted small">Fields of {dataset.name}:</span>
        {fields.map((f) => (
          <button
            type="button"
            key={f.field}
            className={picked && same(picked, f) ? 'small' : 'ghost small'}
            aria-pressed={picked !== null && same(picked, f)}
            onClick={() => setPicked(f)}
          >
            {f.field}
          </button>
        ))}
        {picked && (
          <fieldset className="segmented" aria-label="column lineage direction" style={{ margin: 0, padding: 0 }}>
            {(['UPSTREAM', 'BOTH', 'DOWNSTREAM'] as const).map((d) => (
              <button type="button" key={d} className={d === direction ? 'on' : ''} onClick={() => setDirection(d)}>
                {d === 'UPSTREAM' ? '← upstream' : d === 'DOWNSTREAM' ? 'downstream →' : 'both'}
              </button>
            ))}
          </fieldset>
        )}
      </div>
      {!picked && <p className="muted small">Pick a field to see which fields it comes from and which come from it.</p>}
      <ErrorBox error={graphQ.error} />
      {picked && !graph && graphQ.loading && <Loading />}
      {picked && graph && (
        <div className={graphQ.loading ? 'stale' : ''} data-testid="column-lineage">
          {graph.edges.length === 0 ? (
            <p className="muted small">
              No field-level lineage {direction === 'BOTH' ? 'around' : direction.toLowerCase()} {labelOf(picked)}.
            </p>
          ) : (
            <>
              <Dag nodes={graph.nodes} edges={graph.edges} onOpen={open} />
              <EdgeTable edges={edges ?? []} />
              <p className="small muted">Click a field to centre the graph on it.</p>
            </>
          )}
        </div>
      )}
    </Card>
  );
}

function EdgeTable({ edges }: { edges: Edge[] }) {
  return (
    <table className="table" data-testid="column-edges">
      <thead>
        <tr>
          <th>Input field</th>
          <th>Output field</th>
          <th>Job</th>
          <th>Transformation</th>
          <th>Description</th>
        </tr>
      </thead>
      <tbody>
        {edges.map((e) => (
          <tr key={JSON.stringify([keyOf(e.from), keyOf(e.to), e.transformationType, e.transformationSubtype])} data-testid="column-edge">
            <td title={e.from.namespace}>{labelOf(e.from)}</td>
            <td title={e.to.namespace}>{labelOf(e.to)}</td>
            <td data-testid="column-edge-job">
              {e.to.dataset?.writtenBy.length ? (
                e.to.dataset.writtenBy.map((j) => (
                  <div key={j.id} title={j.namespace}>
                    {j.name}
                  </div>
                ))
              ) : (
                <span className="muted">unknown</span>
              )}
            </td>
            <td>
              {transformation(e)}
              {e.masking ? ' · masked' : ''}
            </td>
            <td>{e.transformationDescription || <span className="muted">none</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
