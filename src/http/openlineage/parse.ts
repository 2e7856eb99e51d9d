// The OpenLineage wire format (spec 2-0-x, and 1-0-x schemaURLs from older integrations): checks
// one JSON body and turns it into the domain's LineageEvent. Each refusal names the field and
// the rule, e.g. `run.runId: must be a UUID`.
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { instantProblem } from '../../input-rules.js';
import type { EventDataset, LineageEvent } from '../../modules/pipelines/service.js';
import { EVENT_TYPES } from '../../modules/pipelines/rules.js';

const MAX_DATASETS = 1000;
const MAX_NAME = 1000;

const name = (what: string) =>
  z
    .string({ error: `must be a string (${what})` })
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_NAME, `must be at most ${MAX_NAME} characters`);
const facets = z
  .record(z.string(), z.record(z.string(), z.unknown(), { error: 'each facet must be a JSON object' }), { error: 'must be an object of facets' })
  .optional();
const instant = z
  .string({ error: 'must be an ISO-8601 date-time string' })
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date-time with a time zone, e.g. 2026-11-28T10:00:00Z')
  .refine((s) => instantProblem(Date.parse(s)) === null, `${instantProblem(Number.NaN)} in UTC`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The spec's major versions 1 and 2 share the fields read here.
const SCHEMA_URL = /\/spec\/[12]-\d+-\d+\/OpenLineage\.json(#.*)?$/;

const dataset = z.object({ namespace: name('the dataset namespace'), name: name('the dataset name'), facets, inputFacets: facets, outputFacets: facets });
const datasets = z.array(dataset, { error: 'must be an array of datasets' }).max(MAX_DATASETS, `at most ${MAX_DATASETS} datasets per event`).optional();

const base = {
  eventTime: instant,
  // Required by the spec; clients that leave it empty (openlineage-python's default) are tolerated.
  producer: z.string({ error: 'is required: the URI of the integration that sent the event' }),
  // Clients before openlineage-python 0.28 sent none: accepted, with a warning kept beside the event.
  schemaURL: z
    .string({ error: 'must be a string: the OpenLineage spec URL of the event' })
    .regex(SCHEMA_URL, 'must be an OpenLineage spec 1-x-x or 2-x-x URL, e.g. https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent')
    .nullish(),
};
const job = z.object({ namespace: name('the job namespace'), name: name('the job name'), facets }, { error: 'is required: an object with namespace and name' });

const runEvent = z.object({
  ...base,
  eventType: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }).nullish(),
  run: z.object({ runId: z.string({ error: 'is required' }).regex(UUID, 'must be a UUID'), facets }, { error: 'is required: an object with runId' }),
  job,
  inputs: datasets,
  outputs: datasets,
});
const jobEvent = z.object({ ...base, job, inputs: datasets, outputs: datasets });
const datasetEvent = z.object({ ...base, dataset: dataset.omit({ inputFacets: true, outputFacets: true }) });

type WireDataset = z.infer<typeof dataset>;

function toDataset(d: WireDataset, io: 'inputFacets' | 'outputFacets' | null): EventDataset {
  return { namespace: d.namespace, name: d.name, facets: d.facets ?? {}, ioFacets: (io && d[io]) || {} };
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '') || 'body';
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new ValidationError(fieldOf(issue.path), issue.message);
}

/** Which event a body is, by the fields it carries: run (RunEvent), job (JobEvent) or dataset (DatasetEvent). */
function kindOf(body: Record<string, unknown>): LineageEvent['kind'] {
  if ('run' in body) return 'RunEvent';
  if ('job' in body) return 'JobEvent';
  if ('dataset' in body) return 'DatasetEvent';
  throw new ValidationError('run', 'is required: a RunEvent has run and job, a JobEvent has job, a DatasetEvent has dataset');
}

/** What was accepted but not as the spec says, kept with the event (see docs/openlineage.md). */
function warningsOf(e: { schemaURL?: string | null }): string[] {
  return e.schemaURL ? [] : ['schemaURL: missing (clients before openlineage-python 0.28 send none); read as an event of the current spec and kept as sent'];
}

export function parseLineageEvent(body: unknown): LineageEvent {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body', 'must be one OpenLineage event as a JSON object');
  const kind = kindOf(body as Record<string, unknown>);
  const common = { kind, raw: body, inputs: [] as EventDataset[], outputs: [] as EventDataset[], run: null, job: null, dataset: null, eventType: null };
  if (kind === 'DatasetEvent') {
    const e = parseWith(datasetEvent, body);
    return { ...common, eventTime: new Date(e.eventTime), schemaUrl: e.schemaURL ?? null, warnings: warningsOf(e), dataset: toDataset(e.dataset, null) };
  }
  const e: z.infer<typeof jobEvent> & Partial<z.infer<typeof runEvent>> = kind === 'RunEvent' ? parseWith(runEvent, body) : parseWith(jobEvent, body);
  return {
    ...common,
    eventType: e.eventType ?? null,
    eventTime: new Date(e.eventTime),
    schemaUrl: e.schemaURL ?? null,
    warnings: warningsOf(e),
    run: e.run ? { runId: e.run.runId.toLowerCase(), facets: e.run.facets ?? {} } : null,
    job: { namespace: e.job.namespace, name: e.job.name, facets: e.job.facets ?? {} },
    inputs: (e.inputs ?? []).map((d) => toDataset(d, 'inputFacets')),
    outputs: (e.outputs ?? []).map((d) => toDataset(d, 'outputFacets')),
  };
}
