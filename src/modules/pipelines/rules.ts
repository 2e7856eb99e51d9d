// The mapping rules of pipeline runs that need no database: which event decides a run's state,
// how facets merge by event time, how dataset versions are named, and what makes two events the
// same event. Pure functions, so the rules are tested without a server.
import { createHash } from 'node:crypto';
import { INPUT_RULES } from '../../input-spec.js';
import { keyProblem, LIMITS } from '../../validation.js';

export const EVENT_TYPES = ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type PipelineRunState = EventType | 'UNKNOWN';

/** A facet as stored: its value and the event time of the event that sent it. */
export interface StoredFacet {
  at: string;
  value: unknown;
}
export type StoredFacets = Record<string, StoredFacet>;

// An ended run stays ended: a late START or RUNNING never reopens it (rank decides first).
const RANK: Record<PipelineRunState, number> = { UNKNOWN: 0, START: 1, RUNNING: 1, OTHER: 1, COMPLETE: 2, FAIL: 2, ABORT: 2 };

export function isTerminal(state: PipelineRunState): boolean {
  return RANK[state] === 2;
}

export interface StateAt {
  state: PipelineRunState;
  stateAt: Date | null;
}

/**
 * The state after an event: a higher rank wins whatever the times (ended > running > unknown);
 * within one rank the later event wins, so a RUNNING sent after START moves it on.
 */
export function nextState(current: StateAt, eventType: EventType | null, at: Date): StateAt {
  if (eventType === null) return current;
  const higher = RANK[eventType] > RANK[current.state];
  const sameRank = RANK[eventType] === RANK[current.state];
  const later = current.stateAt === null || at > current.stateAt;
  // Two events of one rank at the same instant: a fixed preference, never the arrival order.
  const tieWon = current.stateAt !== null && at.getTime() === current.stateAt.getTime() && TIE[eventType] > TIE[current.state];
  return higher || (sameRank && (later || tieWon)) ? { state: eventType, stateAt: at } : current;
}

const TIE: Record<PipelineRunState, number> = { UNKNOWN: 0, START: 1, OTHER: 2, RUNNING: 3, COMPLETE: 1, ABORT: 2, FAIL: 3 };

/** The earlier of two instants, either possibly missing. */
export function earliest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a <= b ? a : b;
}

/**
 * Merges facets sent at `at` into the stored ones: each facet keeps the value of the latest
 * event that sent it (ties: the greater value), so events arriving in any order end the same.
 */
export function mergeFacets(stored: StoredFacets | null | undefined, incoming: Record<string, unknown> | null | undefined, at: Date): StoredFacets {
  const merged: StoredFacets = { ...(stored ?? {}) };
  for (const [name, value] of Object.entries(incoming ?? {})) {
    const current = merged[name];
    const stored = current ? new Date(current.at).getTime() : Number.NEGATIVE_INFINITY;
    // Same instant, different values: the greater one by canonical JSON, so arrival order never decides.
    const wins = at.getTime() > stored || (at.getTime() === stored && canonicalJson(value) > canonicalJson(current!.value));
    if (wins) merged[name] = { at: at.toISOString(), value };
  }
  return merged;
}

/** The facet values without their times, as the API shows them; null when there are none. */
export function facetValues(stored: unknown): Record<string, unknown> | null {
  if (!stored || typeof stored !== 'object') return null;
  const entries = Object.entries(stored as StoredFacets).map(([name, f]) => [name, f?.value] as const);
  return entries.length ? Object.fromEntries(entries) : null;
}

export function facetValue(stored: StoredFacets, name: string): Record<string, unknown> | null {
  const value = stored[name]?.value;
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Version label of an output written by a run that names no version facet: one version per producing run. */
export function derivedOutputVersion(runUuid: string): string {
  return `ol:run:${runUuid}`;
}

/** Version label of an input read before any version of its dataset was recorded. */
export const UNVERSIONED = 'ol:unversioned';

/** Text to emit as is, among the values still to serialise. */
class Piece {
  constructor(readonly text: string) {}
}

/**
 * JSON with object keys sorted, so the same event serialised differently digests the same.
 * Iterative (a work stack, not recursion): a value nested 100,000 levels deep cannot overflow
 * the call stack, whatever reached this function.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const work: unknown[] = [value];
  while (work.length) {
    const item = work.pop();
    if (item instanceof Piece) out.push(item.text);
    else if (Array.isArray(item)) {
      work.push(new Piece(']'));
      for (let i = item.length - 1; i >= 0; i -= 1) work.push(item[i], ...(i > 0 ? [new Piece(',')] : []));
      work.push(new Piece('['));
    } else if (item && typeof item === 'object') {
      const keys = Object.keys(item).sort();
      work.push(new Piece('}'));
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        work.push((item as Record<string, unknown>)[keys[i]!], new Piece(`${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`));
      }
      work.push(new Piece('{'));
    } else out.push(JSON.stringify(item) ?? 'null');
  }
  return out.join('');
}

/** The identity of an event: the same event sent twice (a client retry) has the same digest. */
export function eventDigest(raw: unknown): string {
  return createHash('sha256').update(canonicalJson(raw)).digest('hex');
}

/** A git commit sha as code commit nodes store it, or null when `version` is not one. */
export function commitSha(version: unknown): string | null {
  return typeof version === 'string' && /^[0-9a-f]{7,64}$/i.test(version.trim()) ? version.trim().toLowerCase() : null;
}

/**
 * The project an event's namespace writes into: a configured mapping (exact namespace, then
 * "*"), else the namespace's default project name. The namespace itself stays the pipeline's
 * identity, verbatim; the project only decides who may see and write it.
 */
export function projectForNamespace(namespace: string, mapping: ReadonlyMap<string, string>): string {
  return mapping.get(namespace) ?? mapping.get('*') ?? defaultProjectName(namespace);
}

// A derived project name is a plain slug (ASCII letters, digits, _ . - / and spaces), narrower
// than the key rule project names follow (schema/input-rules.json, which also allows ':' and
// other scripts), so that URI-like namespaces read as airflow-production, not airflow:/production.
// What a namespace may keep as it is, and how long a name may be, is the key rule's to say.
const SLUG = /^[A-Za-z0-9_.\-/ ]+$/;
const NOT_SLUG = /[^A-Za-z0-9_.\-/ ]+/g;
const MAX_PROJECT_NAME = LIMITS.keyLength;

/**
 * A namespace as a project name, always one the key rule takes. A namespace that already is a
 * plain slug and a valid project name is kept as it is (so existing deployments keep their projects); OpenLineage's URI-like namespaces
 * (`airflow://production`, `spark://host:7077`, `postgres://db:5432`) become
 * `airflow-production`, `spark-host-7077`, `postgres-db-5432`: every character a project name
 * cannot hold turns into '-', as does a '..' segment; runs of '-' collapse. Too long: cut, with a digest of the whole
 * namespace appended, so two long namespaces do not meet by accident.
 */
export function defaultProjectName(namespace: string): string {
  if (SLUG.test(namespace) && namespace.trim() === namespace && keyProblem(namespace) === null) return namespace;
  const name =
    namespace
      .replace(/:\/\//g, '-')
      .replace(NOT_SLUG, '-')
      .split('/')
      .map((segment) => (INPUT_RULES.key.forbiddenSegments.includes(segment) ? '-' : segment))
      .join('/')
      .replace(/-{2,}/g, '-')
      .replace(/^[-/ ]+|[-/ ]+$/g, '') || 'openlineage';
  if (name.length <= MAX_PROJECT_NAME) return name;
  const digest = createHash('sha256').update(namespace).digest('hex').slice(0, 12);
  return `${name.slice(0, MAX_PROJECT_NAME - digest.length - 1)}-${digest}`;
}

/** The job facets that define what a job does: a change in one of them is a new job version. */
export const VERSION_FACETS = ['sourceCode', 'sql', 'sourceCodeLocation'] as const;

/** A facet without the fields every facet carries about its producer. */
function facetContent(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => k !== '_producer' && k !== '_schemaURL' && k !== '_deleted'));
}

/**
 * The version of a job its facets define: a UUID derived from the job's namespace, name and its
 * defining facets' content (not who sent them), with those facets.
 */
export function jobVersionOf(namespace: string, name: string, facets: StoredFacets): { version: string; facets: Record<string, unknown> } {
  const defining = Object.fromEntries(VERSION_FACETS.filter((n) => facets[n]?.value != null).map((n) => [n, facetContent(facets[n]!.value)]));
  const h = createHash('sha256')
    .update(canonicalJson([namespace, name, defining]))
    .digest('hex');
  return { version: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`, facets: defining };
}

export interface ColumnLineageRow {
  field: string;
  inputNamespace: string;
  inputName: string;
  inputField: string;
  transformationType: string;
  transformationSubtype: string;
  transformationDescription: string | null;
  masking: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);

/**
 * The field-level edges of a columnLineage facet: one per output field, input field and
 * transformation (the facet's `transformations`, or the older `transformationType` and
 * `transformationDescription` of the field). Malformed entries are skipped, not refused: the
 * facet is optional metadata and the event is valid without it.
 */
export function columnLineageRows(facet: unknown): ColumnLineageRow[] {
  const fields = (facet as { fields?: unknown } | null)?.fields;
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return [];
  const rows = new Map<string, ColumnLineageRow>();
  for (const [field, spec] of Object.entries(fields as Record<string, unknown>)) {
    const s = spec as { inputFields?: unknown; transformationType?: unknown; transformationDescription?: unknown } | null;
    if (!s || !Array.isArray(s.inputFields)) continue;
    for (const input of s.inputFields as Record<string, unknown>[]) {
      const [inputNamespace, inputName, inputField] = [str(input?.namespace), str(input?.name), str(input?.field)];
      if (!inputNamespace || !inputName || !inputField) continue;
      const listed = Array.isArray(input.transformations) ? (input.transformations as Record<string, unknown>[]) : [];
      const transformations = listed.length ? listed : [{ type: s.transformationType, subtype: '', description: s.transformationDescription, masking: false }];
      for (const t of transformations) {
        const row: ColumnLineageRow = {
          field,
          inputNamespace,
          inputName,
          inputField,
          transformationType: str(t?.type) ?? '',
          transformationSubtype: str(t?.subtype) ?? '',
          transformationDescription: str(t?.description),
          masking: t?.masking === true,
        };
        rows.set(canonicalJson([field, inputNamespace, inputName, inputField, row.transformationType, row.transformationSubtype]), row);
      }
    }
  }
  return [...rows.values()];
}
