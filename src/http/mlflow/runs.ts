import type { FinishRunInput, TagInput } from '../../modules/runs/service.js';
import { type Call, experimentFor, runFor, runIdOf } from './call.js';
import { invalidParameter } from './errors.js';
import { newRunJson, runInfoJson, runsJson } from './run-json.js';
import { fieldsFromTags, RUN_NAME_TAG } from './system-tags.js';
import { type Params, VIEW_TYPES } from './wire.js';

const FINAL_STATUSES = ['FINISHED', 'FAILED', 'KILLED'] as const;
/** runledger's largest page; MLflow clients ask for up to 50,000 and follow next_page_token. */
const MAX_PAGE = 1000;

export function readTags(params: Params, field = 'tags'): TagInput[] {
  return params.objects(field).map((t) => ({ key: t.string('key'), value: t.optionalString('value') ?? '' }));
}

/**
 * A create is a retry of an earlier one only when the client says so with an Idempotency-Key
 * header (runledger's own clients send one; MLflow's send none). Two identical bodies without
 * it are two runs: sklearn's GridSearchCV autolog starts its child runs with the same body.
 */
function idempotencyKey(call: Call): string | null {
  const header = call.req.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  return key?.trim() ? `mlflow:${key.trim()}` : null;
}

export async function createRun(call: Call) {
  const p = call.params;
  const experimentId = p.optionalString('experiment_id') || '0';
  const tags = readTags(p);
  const fields = fieldsFromTags(tags);
  const name = p.optionalString('run_name') || fields.name;
  const startTime = p.optionalTime('start_time');
  const reportedUser = fields.user ?? p.optionalString('user_id');
  const project = await experimentFor(call, experimentId, 'EDITOR');
  const withName = name && !tags.some((t) => t.key === RUN_NAME_TAG) ? [...tags, { key: RUN_NAME_TAG, value: name }] : tags;
  const { run, created } = await call.services.runs.start(call.access, {
    project: project.name,
    clientRunId: idempotencyKey(call),
    name,
    // MLflow's user_id (and the mlflow.user tag) is the client's OS user, not a claim to act for someone.
    reportedUser,
    // MLflow accepts any text in mlflow.parentRunId: it links the parent only when it names a run of the experiment.
    parentRunHint: fields.parentRunId,
    startedAt: startTime,
    codeVersion: fields.codeVersion,
    tags: withName,
  });
  call.targets.push(runInfoJson(run, project).run_id);
  // A retried create returns the run as it stands now; a new one has only the tags just written.
  const json = created ? await newRunJson(call.services, call.access, run, project) : (await runsJson(call.services, call.access, [run]))[0];
  return { run: json };
}

export async function getRun(call: Call) {
  const run = await runFor(call, call.params.runId(), 'VIEWER');
  const [json] = await runsJson(call.services, call.access, [run]);
  return { run: json };
}

export async function updateRun(call: Call) {
  const p = call.params;
  const run = await runFor(call, p.runId(), 'EDITOR');
  const name = p.optionalString('run_name');
  if (name) {
    await call.services.runs.update(call.access, { runId: run.id, name });
    await call.services.runs.setTags(call.access, { runId: run.id, tags: [{ key: RUN_NAME_TAG, value: name }] });
  }
  const status = p.optionalString('status');
  if (status !== null && !['RUNNING', 'SCHEDULED', ...FINAL_STATUSES].includes(status)) {
    throw invalidParameter('status', `must be one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED (got ${JSON.stringify(status)})`);
  }
  const endTime = p.optionalTime('end_time');
  if (status && (FINAL_STATUSES as readonly string[]).includes(status)) {
    await call.services.runs.finish(call.access, { runId: run.id, status: status as FinishRunInput['status'], endedAt: endTime });
  }
  const updated = await call.services.runs.require(call.access, run.id, 'VIEWER');
  const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
  return { run_info: runInfoJson(updated, project) };
}

export async function deleteRun(call: Call) {
  call.targets.push(call.params.runId());
  await call.services.runs.delete(call.access, runIdOf(call.params.runId()));
  return {};
}

export async function restoreRun(call: Call) {
  call.targets.push(call.params.runId());
  await call.services.runs.restore(call.access, runIdOf(call.params.runId()));
  return {};
}

/** "metrics.rmse DESC", "start_time", "`params.my lr` ASC": a field and an optional direction. */
export function parseOrderBy(clauses: readonly string[]) {
  return clauses.map((clause, i) => {
    const m = /^\s*(.+?)(?:\s+(ASC|DESC))?\s*$/i.exec(clause);
    if (!m) throw invalidParameter(`order_by[${i}]`, `expected "<field> [ASC|DESC]", got ${JSON.stringify(clause)}`);
    const field =
      /^(metrics|metric|params|param|parameters|tags|tag|attributes|attribute|attr|run)\./i.test(m[1]!) || m[1]!.startsWith('`') ? m[1]! : `attributes.${m[1]}`;
    return { field, direction: (m[2]?.toUpperCase() ?? 'ASC') as 'ASC' | 'DESC' };
  });
}

export async function searchRuns(call: Call) {
  const p = call.params;
  const experimentIds = p.strings('experiment_ids');
  if (experimentIds.length !== 1) {
    throw invalidParameter('experiment_ids', `runledger searches one experiment at a time (got ${experimentIds.length}); search each and merge`);
  }
  const project = await experimentFor(call, experimentIds[0]!, 'VIEWER');
  const viewText = p.optionalString('run_view_type') ?? 'ACTIVE_ONLY';
  const view = VIEW_TYPES[viewText];
  if (!view) throw invalidParameter('run_view_type', 'must be ACTIVE_ONLY, DELETED_ONLY or ALL');
  const maxResults = p.optionalInt('max_results') ?? 1000;
  if (maxResults < 1 || maxResults > 50_000) throw p.invalid('max_results', 'must be from 1 to 50000');
  const page = await call.services.search.search(call.access, {
    project: project.name,
    filter: p.optionalString('filter'),
    orderBy: parseOrderBy(p.strings('order_by')),
    first: Math.min(maxResults, MAX_PAGE),
    after: p.optionalString('page_token') || null,
    view,
  });
  const runs = await runsJson(
    call.services,
    call.access,
    page.runs.map((r) => r.run),
  );
  const last = page.runs.at(-1);
  return { runs, ...(page.hasNextPage && last ? { next_page_token: last.cursor } : {}) };
}
