// The lineage graph around any node: direction, depth, node types, and "as of" an instant.
// Quarantined dataset versions and everything downstream of them are marked.
import { useMemo } from 'react';
import { type LineageDirection, LineageDocument, type LineageNodeType, LineageNodeTypesDocument, type LineageQuery } from '../generated/graphql';
import { useChangedAt, useQuery } from '../hooks';
import { enc, navigate, setQuery, useLocation } from '../router';
import { ColumnLineage } from '../components/ColumnLineage';
import { Dag, type DagNode, typeColor, typeName } from '../components/Dag';
import { Card, ErrorBox, Loading, PageHeader } from '../components/ui';
import { fmtTime, fromLocalInput, toLocalInput } from '../format';

const KNOWN_TYPES = ['DATASET_VERSION', 'CODE_COMMIT', 'RUN', 'ARTIFACT', 'MODEL_VERSION'];

type GraphNode = LineageQuery['lineage']['nodes'][number]['node'];
const quarantineOf = (node: GraphNode) => (node?.__typename === 'DatasetVersion' ? node.quarantine : null);
const modelVersionOf = (node: GraphNode) => (node?.__typename === 'ModelVersion' ? node : null);

export function LineagePage({ id }: { id: string }) {
  const { query } = useLocation();
  const direction = query.get('dir') ?? 'BOTH';
  const depth = Number(query.get('depth') ?? 4);
  const at = query.get('at');
  const types = query.get('types')?.split(',').filter(Boolean) ?? null;
  // Node types come from the schema, so a type added on the server shows up here by itself.
  const enumQ = useQuery(LineageNodeTypesDocument, {});
  const allTypes = enumQ.data?.__type?.enumValues?.map((v) => v.name) ?? (enumQ.error ? KNOWN_TYPES : []);
  // "Now" is taken when the node or the instant changes (e.g. back to now), not on every render.
  const openedAt = useChangedAt(JSON.stringify([id, at]));
  const aliasesAt = at ?? new Date(openedAt + 60_000).toISOString();
  // Direction and types are the URL's text (types may be newer than this page): the server checks them.
  const q = useQuery(LineageDocument, { id, direction: direction as LineageDirection, depth, types: types as LineageNodeType[] | null, at, aliasesAt });
  const g = q.data?.lineage;
  const start = g?.nodes.find((n) => n.id === id) ?? g?.nodes.find((n) => n.depth === 0);

  const nodes = useMemo<DagNode[]>(() => {
    if (!g) return [];
    const asOf = at ? new Date(at).getTime() : Infinity;
    const quarantined = new Set(
      g.nodes
        .filter((n) => {
          const quarantine = quarantineOf(n.node);
          return quarantine !== null && new Date(quarantine.at).getTime() <= asOf;
        })
        .map((n) => n.id),
    );
    const downstream = new Set<string>();
    const queue = [...quarantined];
    while (queue.length) {
      const from = queue.shift()!;
      for (const e of g.edges) {
        if (e.from === from && !downstream.has(e.to) && !quarantined.has(e.to)) {
          downstream.add(e.to);
          queue.push(e.to);
        }
      }
    }
    // A model version trained on quarantined data is tainted even when that data lies beyond the
    // depth drawn (the server knows; only for now, since quarantines have no "as of").
    const tainted = (n: (typeof g.nodes)[number]) => downstream.has(n.id) || (!at && modelVersionOf(n.node)?.trainedOnQuarantinedData === true);
    return g.nodes.map((n) => ({
      id: n.id,
      type: n.type,
      label: n.label,
      start: n.depth === 0,
      marks: [quarantined.has(n.id) ? 'quarantined' : '', tainted(n) ? 'downstream' : '', n.redacted ? 'redacted' : ''].filter(Boolean),
      badges: modelVersionOf(n.node)?.aliasesAt ?? [],
    }));
  }, [g, at]);

  const open = (node: DagNode) => {
    const full = g?.nodes.find((n) => n.id === node.id);
    if (!full || full.redacted) return;
    if (node.type === 'RUN') return navigate(`/runs/${enc(node.id)}`);
    const model = modelVersionOf(full.node)?.model;
    if (node.type === 'MODEL_VERSION' && model) return navigate(`/models/${enc(model.name)}`);
    // Any other node, including types this page has never heard of: centre the graph on it.
    navigate(`/lineage/${enc(node.id)}?${new URLSearchParams({ dir: direction, depth: String(depth), ...(at ? { at } : {}) })}`);
  };
  const toggleType = (t: string) => {
    const current = types ?? allTypes;
    const next = current.includes(t) ? current.filter((x) => x !== t) : [...current, t];
    setQuery({ types: next.length === allTypes.length ? '' : next.join(',') });
  };

  return (
    <div className="page wide">
      <PageHeader
        title={
          <>
            <span className="muted">Lineage of</span> {start ? start.label : '…'}
          </>
        }
        sub={
          start ? (
            <>
              {typeName(start.type)} · {g!.nodes.length} nodes, {g!.edges.length} edges · depth {g!.appliedDepth}
              {g!.depthClamped ? ' (clamped)' : ''} · from {g!.source.toLowerCase()}
              {g!.at ? ` · as of ${fmtTime(g!.at)}` : ''}
            </>
          ) : undefined
        }
        actions={
          start?.type === 'DATASET_VERSION' || start?.type === 'CODE_COMMIT' ? (
            <button type="button" className="ghost" onClick={() => navigate(`/incident?id=${enc(id)}`)}>
              Impact…
            </button>
          ) : undefined
        }
      />
      <div className="toolbar">
        <fieldset className="segmented" aria-label="direction">
          {['UPSTREAM', 'BOTH', 'DOWNSTREAM'].map((d) => (
            <button type="button" key={d} className={d === direction ? 'on' : ''} onClick={() => setQuery({ dir: d === 'BOTH' ? '' : d })}>
              {d === 'UPSTREAM' ? '← upstream' : d === 'DOWNSTREAM' ? 'downstream →' : 'both'}
            </button>
          ))}
        </fieldset>
        <label>
          Depth <input type="number" min={0} max={50} value={depth} onChange={(e) => setQuery({ depth: e.target.value })} className="narrow" />
        </label>
        <label>
          As of{' '}
          <input
            type="datetime-local"
            step={1}
            value={toLocalInput(at)}
            onChange={(e) => setQuery({ at: fromLocalInput(e.target.value) })}
            data-testid="as-of"
          />
        </label>
        {at && (
          <button type="button" className="ghost small" onClick={() => setQuery({ at: '' })}>
            Now
          </button>
        )}
        <div className="type-filter">
          {allTypes.map((t) => (
            <label key={t} className="chip" style={{ borderColor: typeColor(t) }}>
              <input type="checkbox" checked={(types ?? allTypes).includes(t)} onChange={() => toggleType(t)} /> {typeName(t)}
            </label>
          ))}
        </div>
      </div>
      <ErrorBox error={q.error} />
      {q.loading && !g && <Loading />}
      {g && (
        <Card className={q.loading ? 'stale' : ''}>
          <Dag nodes={nodes} edges={g.edges} onOpen={open} />
          <div className="legend small muted">
            <span className="legend-item quarantined">quarantined</span>
            <span className="legend-item downstream">downstream of quarantined data</span>
            <span>Click a node to open it. Badges are the aliases a model version held {at ? 'then' : 'now'}.</span>
          </div>
        </Card>
      )}
      <ColumnLineage key={id} id={id} />
    </div>
  );
}
