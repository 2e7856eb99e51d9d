// A run's media on its page (docs/media.md): images and plots with a slider through their
// steps, tables as tables, histograms as bars, and the tail of the console output. Bytes are
// fetched with the caller's token and shown from blob URLs or parsed from JSON.
import { useEffect, useMemo, useRef, useState } from 'react';
import { fetchArtifact } from '../api';
import { MediaAtDocument, type MediaAtQuery, type RunQuery } from '../generated/graphql';
import { useQuery } from '../hooks';
import { Card, ErrorBox, Loading } from '../components/ui';
import { fmtBytes, fmtNumber } from '../format';

/** A media key of the run, as the run query gives it. */
export type MediaKey = NonNullable<RunQuery['run']>['mediaKeys'][number];
type MediaNode = NonNullable<MediaAtQuery['run']>['media']['edges'][number]['node'];

const CONSOLE_TAIL_BYTES = 65_536;

export function RunMedia({ runId, keys }: { runId: string; keys: MediaKey[] }) {
  if (keys.length === 0) return null;
  const consoles = keys.filter((k) => k.kind === 'CONSOLE');
  const others = keys.filter((k) => k.kind !== 'CONSOLE');
  return (
    <>
      {others.length > 0 && (
        <Card title="Media">
          <div className="media-grid">
            {others.map((k) => (
              <MediaPanel key={`${k.kind}:${k.key}`} runId={runId} media={k} />
            ))}
          </div>
        </Card>
      )}
      {consoles.map((k) => (
        <ConsoleTail key={k.key} runId={runId} media={k} />
      ))}
    </>
  );
}

/** One key: its uploads at the chosen step (the last one first), with a slider through the steps. */
function MediaPanel({ runId, media }: { runId: string; media: MediaKey }) {
  const steps = media.steps;
  const [index, setIndex] = useState(steps.length - 1);
  const step = steps.length ? steps[Math.min(index, steps.length - 1)]! : null;
  const q = useQuery(MediaAtDocument, { id: runId, key: media.key, kind: media.kind, step });
  const nodes = q.data?.run?.media.edges.map((e) => e.node) ?? [];
  // Without steps, the newest upload stands for the key.
  const shown = step === null ? nodes.slice(-1) : nodes;
  return (
    <div className="media-panel" data-testid="media-key" data-key={media.key} data-kind={media.kind} data-step={step ?? ''}>
      <div className="metric-head">
        <strong title={media.key}>{media.key}</strong>
        <span className="muted small">
          {media.kind.toLowerCase()}
          {step !== null && ` · step ${step.toLocaleString()}`}
          {steps.length > 1 && ` (${Math.min(index, steps.length - 1) + 1} of ${steps.length})`}
        </span>
      </div>
      {steps.length > 1 && (
        <div className="step-slider">
          <button
            type="button"
            className="ghost small"
            onClick={() => setIndex((i) => Math.max(0, i - 1))}
            disabled={index <= 0}
            aria-label={`previous step of ${media.key}`}
          >
            ◀
          </button>
          <input
            type="range"
            min={0}
            max={steps.length - 1}
            value={Math.min(index, steps.length - 1)}
            onChange={(e) => setIndex(Number(e.target.value))}
            name={`step-${media.key}`}
            aria-label={`step of ${media.key}`}
          />
          <button
            type="button"
            className="ghost small"
            onClick={() => setIndex((i) => Math.min(steps.length - 1, i + 1))}
            disabled={index >= steps.length - 1}
            aria-label={`next step of ${media.key}`}
          >
            ▶
          </button>
        </div>
      )}
      <ErrorBox error={q.error} />
      {q.loading && !q.data && <Loading />}
      <div className={`media-items ${media.kind === 'IMAGE' || media.kind === 'PLOT' ? 'images' : ''}`}>
        {shown.map((n) =>
          n.kind === 'TABLE' ? (
            <TableView key={n.id} node={n} />
          ) : n.kind === 'HISTOGRAM' ? (
            <HistogramView key={n.id} node={n} />
          ) : n.mediaType.startsWith('image/') ? (
            <ImageView key={n.id} node={n} />
          ) : (
            <a key={n.id} href={n.downloadUrl}>
              {n.name}
            </a>
          ),
        )}
      </div>
    </div>
  );
}

/** The bytes of an artifact, fetched once per URL: a blob URL (images) or parsed JSON / text. */
function useArtifact<T>(url: string, read: (r: Response) => Promise<T>, headers?: Record<string, string>): { value: T | null; error: Error | null } {
  const [state, setState] = useState<{ url: string; value: T | null; error: Error | null }>({ url, value: null, error: null });
  // Callers pass the reader and headers inline: fetch again when their values change, not their identity.
  const readRef = useRef(read);
  readRef.current = read;
  const headersKey = JSON.stringify(headers ?? {});
  useEffect(() => {
    let cancelled = false;
    fetchArtifact(url, JSON.parse(headersKey) as Record<string, string>)
      .then((r) => readRef.current(r))
      .then(
        (value) => !cancelled && setState({ url, value, error: null }),
        (error: Error) => !cancelled && setState({ url, value: null, error }),
      );
    return () => {
      cancelled = true;
    };
  }, [url, headersKey]);
  return state.url === url ? state : { value: null, error: null };
}

function ImageView({ node }: { node: MediaNode }) {
  const { value: src, error } = useArtifact(node.downloadUrl, async (r) => URL.createObjectURL(await r.blob()));
  useEffect(() => () => (src ? URL.revokeObjectURL(src) : undefined), [src]);
  if (error) return <ErrorBox error={error} />;
  return (
    <figure className="media-image">
      {src ? <img src={src} alt={node.name} title={node.name} data-testid="media-image" /> : <div className="plot-placeholder" style={{ height: 120 }} />}
      <figcaption className="muted small">{node.name.split('/').pop()}</figcaption>
    </figure>
  );
}

const TABLE_ROWS = 200;

function TableView({ node }: { node: MediaNode }) {
  const { value, error } = useArtifact(node.downloadUrl, (r) => r.json() as Promise<{ columns: (string | number)[]; data: unknown[][] }>);
  if (error) return <ErrorBox error={error} />;
  if (!value) return <Loading />;
  return (
    <div className="media-table scroll-x">
      <table className="table" data-testid="media-table">
        <thead>
          <tr>
            {value.columns.map((c) => (
              <th key={String(c)}>{String(c)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {value.data.slice(0, TABLE_ROWS).map((row, r) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows of a stored table artifact, read once and never reordered
            <tr key={r}>
              {row.map((cell, k) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a cell's column is its position in the row
                <td key={k} className={typeof cell === 'number' ? 'num' : ''}>
                  {cell === null ? <span className="muted">—</span> : typeof cell === 'number' ? fmtNumber(cell) : String(cell)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="muted small">
        {value.data.length.toLocaleString()} rows{value.data.length > TABLE_ROWS ? `, the first ${TABLE_ROWS} shown` : ''} ·{' '}
        <a href={node.downloadUrl}>JSON ({fmtBytes(node.sizeBytes)})</a>
      </div>
    </div>
  );
}

function HistogramView({ node }: { node: MediaNode }) {
  const { value, error } = useArtifact(node.downloadUrl, (r) => r.json() as Promise<{ bins: number[]; counts: number[] }>);
  const bars = useMemo(() => {
    if (!value) return null;
    const lo = value.bins[0]!;
    const hi = value.bins[value.bins.length - 1]!;
    const top = Math.max(...value.counts, 1);
    return value.counts.map((c, i) => ({
      x0: (value.bins[i]! - lo) / (hi - lo),
      x1: (value.bins[i + 1]! - lo) / (hi - lo),
      h: c / top,
      c,
      lo: value.bins[i]!,
      hi: value.bins[i + 1]!,
    }));
  }, [value]);
  if (error) return <ErrorBox error={error} />;
  if (!value || !bars) return <Loading />;
  const W = 360;
  const H = 150;
  return (
    <svg width="100%" viewBox={`0 0 ${W} ${H + 18}`} className="media-histogram" data-testid="media-histogram" data-bins={bars.length}>
      <title>{`Histogram of ${bars.length} bins`}</title>
      {bars.map((b, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a bin is its position on the axis, fixed for the artifact
        <rect key={i} x={b.x0 * W} y={H - b.h * H} width={Math.max(0.5, (b.x1 - b.x0) * W - 0.5)} height={b.h * H} className="bar">
          <title>{`[${fmtNumber(b.lo)}, ${fmtNumber(b.hi)}): ${b.c.toLocaleString()}`}</title>
        </rect>
      ))}
      <line x1={0} x2={W} y1={H + 0.5} y2={H + 0.5} stroke="#cbd5e1" />
      <text x={0} y={H + 14} className="tick">
        {fmtNumber(value.bins[0])}
      </text>
      <text x={W} y={H + 14} textAnchor="end" className="tick">
        {fmtNumber(value.bins[value.bins.length - 1])}
      </text>
    </svg>
  );
}

/** The last 64 KiB of the newest console output, from its first whole line. */
function ConsoleTail({ runId, media }: { runId: string; media: MediaKey }) {
  const q = useQuery(MediaAtDocument, { id: runId, key: media.key, kind: 'CONSOLE', step: null });
  const node = q.data?.run?.media.edges.at(-1)?.node ?? null;
  return (
    <Card
      title={`Console output${media.key === 'console' ? '' : ` · ${media.key}`}`}
      actions={
        node && (
          <a href={node.downloadUrl} className="small">
            all of it ({fmtBytes(node.sizeBytes)})
          </a>
        )
      }
    >
      <ErrorBox error={q.error} />
      {node ? <ConsoleText node={node} /> : <Loading />}
    </Card>
  );
}

function ConsoleText({ node }: { node: MediaNode }) {
  const cut = node.sizeBytes > CONSOLE_TAIL_BYTES;
  const { value, error } = useArtifact(node.downloadUrl, (r) => r.text(), cut ? { range: `bytes=-${CONSOLE_TAIL_BYTES}` } : {});
  if (error) return <ErrorBox error={error} />;
  if (value === null) return <Loading />;
  const text = cut ? value.slice(value.indexOf('\n') + 1) : value;
  return <ConsolePre cut={cut} text={text} />;
}

/** Scrolled to the end, where the newest output is. */
function ConsolePre({ cut, text }: { cut: boolean; text: string }) {
  const box = useRef<HTMLPreElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies(text): the effect scrolls the DOM that renders text, so it must run after each new text though it never reads the string
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [text]);
  return (
    <pre className="console" data-testid="console-tail" ref={box}>
      {cut && (
        <span className="muted">
          … the last {fmtBytes(CONSOLE_TAIL_BYTES)}, from its first whole line …{'\n'}
        </span>
      )}
      {text}
    </pre>
  );
}
