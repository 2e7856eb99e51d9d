// What a model version source names, as MLflow clients send it: a run's model directory
// (runs:/<run>/<path>, mlflow-artifacts:/<experiment>/<run>/artifacts/<path>), a logged model
// (models:/<model id>, its artifact location), or an external URI (s3://, gs://, https://, ...)
// recorded as given with the run it came from (so is a runs:/ or mlflow-artifacts: source naming
// another run than the run_id, as MLflow records it). Sources are checked the way MLflow's server
// checks them (no relative path parts, no local paths) and with MLflow's wording.
import { experimentIdOf } from '../../modules/projects/service.js';
import { mlflowRunId, parseMlflowRunId } from '../../modules/runs/mlflow-id.js';
import { MLMODEL_FILE } from './artifacts.js';
import { type Call, runFor } from './call.js';
import { invalidParameter } from './errors.js';

export interface ResolvedSource {
  source: string;
  runId: number | null;
  loggedModelId: string | null;
  artifactId: number | null;
}

const invalid = (source: string, why: string) => invalidParameter('source', `Invalid model version source: '${source}'. ${why}`);

const RELATIVE =
  'If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.';
const LOCAL =
  'To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id. runledger keeps every artifact itself, so no local path of the server is one.';

/** MLflow's check against sources that reach outside what they name: no NUL, no `..` part, nothing that normalizes away. */
function checkRelativeParts(source: string): void {
  let text = source;
  for (let i = 0; i < 10; i += 1) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      break;
    }
    if (decoded === text) break;
    text = decoded;
  }
  const path = (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*(\/.*)?$/.exec(text)?.[1] ?? text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, '')).replace(/\/+$/, '');
  const squeezed = path.replace(/\/+/g, '/');
  if (text.includes('\u0000') || text.split('/').includes('..') || squeezed.split('/').includes('.')) throw invalid(source, RELATIVE);
}

const isLocal = (source: string) => !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(source) || /^file:/i.test(source) || /^[A-Za-z]:[\\/]/.test(source);

/**
 * Whether the run a source names is the run_id's (or no run_id was sent). When it is not, the
 * source is recorded as given, as MLflow's server records any non-local source, linked to the
 * run_id's run: nothing is read from the run the source names.
 */
const sameRun = (fromSource: string, runId: string | null) => !runId || parseMlflowRunId(runId) === parseMlflowRunId(fromSource);

/** The stored model a run directory holds: its MLmodel file, or (MLflow 3) the run's logged model of that name. */
async function runDirectory(call: Call, runId: number, dir: string): Promise<Pick<ResolvedSource, 'artifactId' | 'loggedModelId'>> {
  const file = await call.services.artifacts.latestNamed(call.access, runId, dir ? `${dir}/${MLMODEL_FILE}` : MLMODEL_FILE);
  if (file) return { artifactId: file.id, loggedModelId: file.loggedModelId };
  if (!dir || dir.includes('/')) return { artifactId: null, loggedModelId: null };
  const run = await call.services.runs.require(call.access, runId, 'VIEWER');
  const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
  const { models } = await call.services.loggedModels.search(call.access, {
    projects: [project],
    filter: `source_run_id = '${mlflowRunId(runId)}' AND name = '${dir.replace(/'/g, "''")}'`,
    first: 1,
    offset: 0,
  });
  return models[0] ? loggedModelFiles(call, models[0].id) : { artifactId: null, loggedModelId: null };
}

async function loggedModelFiles(call: Call, modelId: string): Promise<Pick<ResolvedSource, 'artifactId' | 'loggedModelId'>> {
  const file = await call.services.artifacts.latestOfLoggedModel(call.access, modelId, MLMODEL_FILE);
  return { artifactId: file?.id ?? null, loggedModelId: modelId };
}

export async function resolveSource(call: Call, input: { source: string; runId: string | null; modelId: string | null }): Promise<ResolvedSource> {
  const { source, runId, modelId } = input;
  if (isLocal(source)) throw invalid(source, LOCAL);
  checkRelativeParts(source);
  const none = { source, runId: null, loggedModelId: null, artifactId: null };

  const models = /^models:\/(m-[0-9a-f]+)\/?$/.exec(source);
  if (models) {
    if (modelId && modelId !== models[1]) throw invalid(source, 'The model_id request parameter must identify the resource that contains the source.');
    return { ...none, ...(await loggedModelFiles(call, models[1]!)) };
  }
  const runs = /^runs:\/+([^/]+)\/?(.*?)\/*$/.exec(source);
  if (runs && sameRun(runs[1]!, runId)) {
    const run = await runFor(call, runs[1]!, 'VIEWER');
    const found = await runDirectory(call, run.id, runs[2]!);
    // A run path that names the run's logged model (MLflow 3) loads from the model, wherever its files are.
    const fromModel = found.loggedModelId && !(await call.services.artifacts.latestNamed(call.access, run.id, `${runs[2]}/${MLMODEL_FILE}`));
    return { ...none, ...found, runId: run.id, source: fromModel ? `models:/${found.loggedModelId}` : source };
  }
  const local = /^mlflow-artifacts:\/(?!\/)/.test(source);
  if (local) {
    const m = /^mlflow-artifacts:\/([^/]+)\/([^/]+)\/artifacts(?:\/(.*?))?\/*$/.exec(source);
    const lm = /^mlflow-artifacts:\/([^/]+)\/models\/(m-[0-9a-f]+)\/artifacts(?:\/.*)?$/.exec(source);
    if (lm) {
      if (modelId && modelId !== lm[2]) throw invalid(source, 'The model_id request parameter must identify the resource that contains the source.');
      return { ...none, ...(await loggedModelFiles(call, lm[2]!)) };
    }
    if (m && parseMlflowRunId(m[2]!) !== null && sameRun(m[2]!, runId)) {
      const run = await runFor(call, m[2]!, 'VIEWER');
      const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
      if (experimentIdOf(project) !== m[1]) throw invalid(source, `Run ${m[2]} is not in experiment ${m[1]}.`);
      return { ...none, runId: run.id, ...(await runDirectory(call, run.id, m[3] ?? '')) };
    }
  }
  // Anything else (another location, or a path of this server that names no run of the
  // run_id) is recorded as given, with the run or logged model it came from.
  if (modelId) return { ...none, loggedModelId: (await call.services.loggedModels.require(call.access, modelId, 'VIEWER')).id };
  if (runId) return { ...none, runId: (await runFor(call, runId, 'VIEWER')).id };
  return none;
}
