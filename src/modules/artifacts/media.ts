// Media: rich data a run logs per step under a key (images, tables, histograms, plots, console
// output), stored as artifacts. The rules every upload door applies: which kinds carry a key
// and step, which media types each kind takes, and what a table or histogram's JSON must hold
// (docs/media.md documents the formats). Contents are checked before anything is stored.
import { LimitExceededError, ValidationError } from '../../errors.js';
import { requireKey } from '../../validation.js';

export const MEDIA_KINDS = ['IMAGE', 'TABLE', 'HISTOGRAM', 'PLOT', 'CONSOLE'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** Kinds that are only ever media: they need a key (CONSOLE's is optional). */
export const KEYED_KINDS: ReadonlySet<string> = new Set(['IMAGE', 'TABLE', 'HISTOGRAM']);

/** Image formats a browser shows in an <img> and that carry no script (so no SVG), with their magic bytes. */
const IMAGE_TYPES: Record<string, (b: Uint8Array) => boolean> = {
  'image/png': (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => String.fromCharCode(...b.subarray(0, 6)) === 'GIF87a' || String.fromCharCode(...b.subarray(0, 6)) === 'GIF89a',
  'image/webp': (b) => String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP',
};

export const MEDIA_LIMITS = {
  /** A table or histogram is read whole to check it: at most this many bytes. */
  jsonBytes: 16 * 1024 * 1024,
  histogramBins: 10_000,
  tableColumns: 1_000,
  tableCells: 1_000_000,
} as const;

export interface MediaFields {
  mediaKey: string | null;
  step: number | null;
}

const baseType = (mediaType: string) => mediaType.split(';')[0]!.trim().toLowerCase();

/**
 * Checks the key, step and media type of an upload of `kind` before a byte is read. A key is
 * named like a metric key; a step needs a key; IMAGE, TABLE and HISTOGRAM need a key; only
 * media kinds take one. IMAGE (and a keyed PLOT) must be PNG, JPEG, GIF or WebP, TABLE and
 * HISTOGRAM application/json, CONSOLE text/plain.
 */
export function validateMediaFields(kind: string, mediaType: string, key: string | null | undefined, step: number | null | undefined): MediaFields {
  const mediaKey = key == null || key === '' ? null : requireKey('input.key', key);
  if (step != null && !Number.isSafeInteger(step)) throw new ValidationError('input.step', 'must be an integer');
  if (step != null && mediaKey === null) throw new ValidationError('input.step', 'a step belongs to a key: give input.key too');
  const isMedia = (MEDIA_KINDS as readonly string[]).includes(kind);
  if (mediaKey !== null && !isMedia) {
    throw new ValidationError('input.key', `only ${MEDIA_KINDS.join(', ')} artifacts are logged under a key (got kind ${kind})`);
  }
  if (KEYED_KINDS.has(kind) && mediaKey === null) throw new ValidationError('input.key', `a ${kind} is logged under a key, like a metric: give input.key`);
  const type = baseType(mediaType);
  const image = kind === 'IMAGE' || (kind === 'PLOT' && mediaKey !== null);
  if (image && !IMAGE_TYPES[type]) {
    throw new ValidationError(
      'input.mediaType',
      `a ${kind} must be one of ${Object.keys(IMAGE_TYPES).join(', ')} (got ${JSON.stringify(mediaType.slice(0, 100))})`,
    );
  }
  if ((kind === 'TABLE' || kind === 'HISTOGRAM') && type !== 'application/json') {
    throw new ValidationError(
      'input.mediaType',
      `a ${kind} is application/json in the format of docs/media.md (got ${JSON.stringify(mediaType.slice(0, 100))})`,
    );
  }
  if (kind === 'CONSOLE' && type !== 'text/plain')
    throw new ValidationError('input.mediaType', `CONSOLE output is text/plain (got ${JSON.stringify(mediaType.slice(0, 100))})`);
  return { mediaKey, step: step ?? null };
}

async function readAll(body: AsyncIterable<Uint8Array>, limit: number, kind: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw new LimitExceededError(`content: a ${kind} is at most ${limit} bytes (docs/media.md)`, { limit });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(bytes: Uint8Array, kind: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ValidationError('content', `a ${kind} must be JSON (docs/media.md)`);
  }
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** {"bins": [edges...], "counts": [...]}: n + 1 ascending edges, n counts of at least 0 (numpy.histogram's output). */
export function validateHistogram(value: unknown): void {
  const fail = (rule: string) => {
    throw new ValidationError('content', `a HISTOGRAM is {"bins": [n + 1 ascending edges], "counts": [n counts >= 0]}: ${rule}`);
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('expected an object');
  const { bins, counts } = value as { bins?: unknown; counts?: unknown };
  if (!Array.isArray(bins) || !Array.isArray(counts)) fail('"bins" and "counts" must be lists');
  const b = bins as unknown[];
  const c = counts as unknown[];
  if (c.length < 1 || c.length > MEDIA_LIMITS.histogramBins) fail(`1 to ${MEDIA_LIMITS.histogramBins} counts (got ${c.length})`);
  if (b.length !== c.length + 1) fail(`${c.length} counts need ${c.length + 1} bin edges (got ${b.length})`);
  b.forEach((x, i) => {
    if (!isNumber(x)) fail(`bins[${i}] is not a finite number`);
    if (i > 0 && (x as number) <= (b[i - 1] as number)) fail(`bins[${i}] is not above bins[${i - 1}]`);
  });
  c.forEach((x, i) => {
    if (!isNumber(x) || x < 0) fail(`counts[${i}] is not a number >= 0`);
  });
}

/** {"columns": [names], "data": [[cells]]}: pandas' DataFrame.to_json(orient="split", index=False). */
export function validateTable(value: unknown): void {
  const fail = (rule: string) => {
    throw new ValidationError('content', `a TABLE is {"columns": [names], "data": [[cell, ...], ...]} (pandas orient="split"): ${rule}`);
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('expected an object');
  const { columns, data } = value as { columns?: unknown; data?: unknown };
  if (!Array.isArray(columns) || columns.length === 0 || columns.length > MEDIA_LIMITS.tableColumns)
    fail(`"columns" must list 1 to ${MEDIA_LIMITS.tableColumns} names`);
  const names = columns as unknown[];
  names.forEach((n, i) => {
    if (typeof n !== 'string' && typeof n !== 'number') fail(`columns[${i}] is not a name`);
  });
  if (new Set(names.map(String)).size !== names.length) fail('column names must differ');
  if (!Array.isArray(data)) fail('"data" must be a list of rows');
  const rows = data as unknown[];
  if (rows.length * names.length > MEDIA_LIMITS.tableCells) fail(`at most ${MEDIA_LIMITS.tableCells} cells (got ${rows.length} x ${names.length})`);
  rows.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== names.length) fail(`data[${r}] must have ${names.length} cells`);
    (row as unknown[]).forEach((cell, k) => {
      if (cell !== null && !['string', 'number', 'boolean'].includes(typeof cell)) fail(`data[${r}][${k}] must be a string, number, boolean or null`);
    });
  });
}

/**
 * The upload's bytes, checked as they pass: an image's first bytes must match its media type;
 * a table or histogram is read whole (bounded) and its JSON checked before the first byte
 * reaches the store, so a refused upload stores nothing.
 */
export async function* checkedMedia(kind: string, mediaType: string, fields: MediaFields, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (kind === 'TABLE' || kind === 'HISTOGRAM') {
    const bytes = await readAll(body, MEDIA_LIMITS.jsonBytes, kind);
    const value = parseJson(bytes, kind);
    if (kind === 'TABLE') validateTable(value);
    else validateHistogram(value);
    yield bytes;
    return;
  }
  const check = kind === 'IMAGE' || (kind === 'PLOT' && fields.mediaKey !== null) ? IMAGE_TYPES[baseType(mediaType)] : undefined;
  if (!check) {
    yield* body;
    return;
  }
  // Enough of the head to recognise the format, then the rest as it comes.
  let head = new Uint8Array(0);
  const iterator = body[Symbol.asyncIterator]();
  while (head.byteLength < 12) {
    const next = await iterator.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  if (!check(head)) throw new ValidationError('content', `the bytes are not ${baseType(mediaType)} (their first bytes do not match the format)`);
  yield head;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}
