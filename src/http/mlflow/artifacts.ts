// Artifacts as MLflow clients move them: the artifact proxy (/api/2.0/mlflow-artifacts/artifacts/
// <experiment>/<run>/artifacts/<path>, and <experiment>/models/<logged model>/artifacts/<path>),
// artifacts/list, and the UI's get-artifact, model-versions/get-artifact and upload-artifact,
// over the content-addressed artifact service. The path a client uses becomes the artifact's
// name (a label, never a file path on the server); uploading a name again with other bytes
// adds a newer artifact under it, and reads serve the newest. Bytes stream both ways, and are
// served through the edge's one way of serving stored bytes (attachments, never sniffed, ranges).
import { NotFoundError } from '../../errors.js';
import type { Artifact } from '../../modules/artifacts/service.js';
import { serveStoredBytes } from '../edge/stored-bytes.js';
import type { Role } from '../../modules/auth/access.js';
import { experimentIdOf } from '../../modules/projects/service.js';
import { type Call, runFor } from './call.js';
import { doesNotExist, invalidParameter, MlflowError } from './errors.js';
import { artifactUri } from './run-json.js';

/** Files an MLflow model directory is recognised by: registering a model registers this file's artifact. */
export const MLMODEL_FILE = 'MLmodel';
const LIST_LIMIT = 10_000;

/** MLflow's answer to a path that climbs out of where it points, word for word (its clients and tests match it). */
const invalidPath = () => new MlflowError('INVALID_PARAMETER_VALUE', 'Invalid path', 400);

/** Where a path points: a run's artifacts or a logged model's files, and the path below that root. */
type Location = { kind: 'run'; runId: number; path: string } | { kind: 'model'; modelId: string; path: string };

function segmentsOf(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const parts = trimmed.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..') || path.includes('\u0000')) throw invalidPath();
  return parts;
}

/** A path relative to a run's artifact root, as get-artifact and artifacts/list take it. */
function relativePath(path: string | null): string {
  return segmentsOf(path ?? '').join('/');
}

/** `<experiment>/<run>/artifacts[/<path>]` or `<experiment>/models/<id>/artifacts[/<path>]`, with `role` checked. */
async function locate(call: Call, fullPath: string, role: Role): Promise<Location> {
  const parts = segmentsOf(fullPath);
  if (parts.length >= 4 && parts[1] === 'models' && parts[3] === 'artifacts') {
    const model = await call.services.loggedModels.require(call.access, parts[2]!, role).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    const project = model && (await call.services.projects.requireById(call.access, model.projectId, 'VIEWER'));
    if (!model || experimentIdOf(project!) !== parts[0]) throw doesNotExist(`Logged model with ID '${parts[2]}' not found in experiment ${parts[0]}`);
    call.targets.push(model.id);
    return { kind: 'model', modelId: model.id, path: parts.slice(4).join('/') };
  }
  if (parts.length < 3 || parts[2] !== 'artifacts') throw doesNotExist(`path: ${JSON.stringify(fullPath)} is not under <experiment>/<run>/artifacts/`);
  const run = await runFor(call, parts[1]!, role);
  const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
  if (experimentIdOf(project) !== parts[0]) throw doesNotExist(`Run with id=${parts[1]} not found in experiment ${parts[0]}`);
  return { kind: 'run', runId: run.id, path: parts.slice(3).join('/') };
}

async function upload(call: Call, where: Location) {
  if (!where.path) throw invalidParameter('path', 'must name a file under the artifact root');
  const basename = where.path.split('/').at(-1)!;
  const length = call.req.headers['content-length'];
  const kind = basename === MLMODEL_FILE ? 'MODEL' : 'OTHER';
  const mediaType = call.req.headers['content-type'] ?? null;
  if (where.kind === 'model') {
    await call.services.artifacts.uploadToLoggedModel(
      call.access,
      { modelId: where.modelId, path: where.path, kind, mediaType },
      call.req,
      length ? Number(length) : null,
    );
  } else {
    await call.services.artifacts.upload(call.access, { runId: where.runId, name: where.path, kind, mediaType }, call.req, length ? Number(length) : null);
  }
}

async function newest(call: Call, where: Location): Promise<Artifact | null> {
  if (!where.path) return null;
  return where.kind === 'model'
    ? call.services.artifacts.latestOfLoggedModel(call.access, where.modelId, where.path)
    : call.services.artifacts.latestNamed(call.access, where.runId, where.path);
}

/** The bytes of an artifact as a download, never as a page on this origin: an uploaded HTML or SVG file must not run. */
async function serve(call: Call, artifact: Artifact | null, label: string): Promise<undefined> {
  if (!artifact) throw doesNotExist(`No artifact at ${JSON.stringify(label)}`);
  await serveStoredBytes(call.req, call.res, artifact, (range) => call.services.artifacts.openContent(artifact, range));
  return undefined;
}

/** The entries directly under a directory: files with sizes, subdirectories once. */
function listing(artifacts: readonly Artifact[], base: string, dir: string, shownPrefix: string) {
  const prefix = `${base}${dir ? `${dir}/` : ''}`;
  const files = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
  for (const a of artifacts) {
    const rest = a.name.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) files.set(rest, { path: `${shownPrefix}${rest}`, is_dir: false, file_size: Number(a.sizeBytes) });
    else if (!files.has(rest.slice(0, slash))) files.set(rest.slice(0, slash), { path: `${shownPrefix}${rest.slice(0, slash)}`, is_dir: true });
  }
  return [...files.values()];
}

async function listUnder(call: Call, where: Location, shownPrefix: string) {
  const dir = where.path;
  if (where.kind === 'model') {
    const all = await call.services.artifacts.latestUnderLoggedModel(call.access, where.modelId, dir ? `${dir}/` : '', LIST_LIMIT);
    return listing(all, `models/${where.modelId}/`, dir, shownPrefix);
  }
  const all = await call.services.artifacts.latestUnder(call.access, where.runId, dir ? `${dir}/` : '', LIST_LIMIT);
  return listing(all, '', dir, shownPrefix);
}

export async function uploadArtifact(call: Call) {
  await upload(call, await locate(call, call.path.path ?? '', 'EDITOR'));
  return {};
}

export async function downloadArtifact(call: Call): Promise<undefined> {
  const where = await locate(call, call.path.path ?? '', 'VIEWER');
  return serve(call, await newest(call, where), where.path);
}

/** The proxy's listing: entries directly under the path, named relative to it. */
export async function listArtifacts(call: Call) {
  const requested = call.params.optionalString('path') ?? '';
  // Above an artifact root there is nothing to list that a client could download.
  if (segmentsOf(requested).length < 3) return { files: [] };
  return { files: await listUnder(call, await locate(call, requested, 'VIEWER'), '') };
}

/** ListArtifacts of a run: entries directly under `path`, named from the run's artifact root. */
export async function listRunArtifacts(call: Call) {
  const p = call.params;
  const path = relativePath(p.optionalString('path'));
  const mlflowId = p.runId();
  const run = await runFor(call, mlflowId, 'VIEWER');
  const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
  const files = await listUnder(call, { kind: 'run', runId: run.id, path }, path ? `${path}/` : '');
  return { root_uri: artifactUri(experimentIdOf(project), run.id), files };
}

/** The UI's download of one run artifact (GET /get-artifact?run_id=&path=). */
export async function getRunArtifact(call: Call): Promise<undefined> {
  const path = relativePath(call.params.string('path'));
  const run = await runFor(call, call.params.runId(), 'VIEWER');
  return serve(call, path ? await call.services.artifacts.latestNamed(call.access, run.id, path) : null, path);
}

/** The UI's download of a file of a registered model version (GET /model-versions/get-artifact?name=&version=&path=). */
export async function getModelVersionArtifact(call: Call): Promise<undefined> {
  const path = relativePath(call.params.string('path'));
  const name = call.params.string('name');
  const version = Number(call.params.string('version'));
  const model = await call.services.registry.requireModel(call.access, name, 'VIEWER');
  const found = await call.services.registry.requireVersion(call.access, model, version, 'version');
  const [file] = found.artifactId === null ? [] : await call.services.artifacts.visibleByIds(call.access, [found.artifactId]);
  if (!file || !path) return serve(call, null, path);
  const dir = file.name.split('/').slice(0, -1).join('/');
  const name_ = dir ? `${dir}/${path}` : path;
  const artifact = file.loggedModelId
    ? await call.services.artifacts.latestOfLoggedModel(call.access, file.loggedModelId, name_.slice(`models/${file.loggedModelId}/`.length))
    : await call.services.artifacts.latestNamed(call.access, file.runId!, name_);
  return serve(call, artifact, path);
}

/** The UI's upload of one run artifact: POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path= with the bytes as the body. */
export async function uploadRunArtifact(call: Call) {
  const query = new URL(`http://x${call.req.url ?? ''}`).searchParams;
  const runUuid = query.get('run_uuid') || query.get('run_id');
  if (!runUuid) throw invalidParameter('run_uuid', 'Request must specify run_uuid.');
  const rawPath = query.get('path');
  if (!rawPath) throw invalidParameter('path', 'Request must specify path.');
  const path = relativePath(rawPath);
  const length = Number(call.req.headers['content-length'] ?? '0');
  if (!length && !call.req.headers['transfer-encoding']) throw invalidParameter('data', 'Request must specify data.');
  const run = await runFor(call, runUuid, 'EDITOR');
  await upload(call, { kind: 'run', runId: run.id, path });
  return {};
}
