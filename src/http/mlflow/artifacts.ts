// The artifact proxy (/api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>)
// over the content-addressed artifact service. The path a client uses becomes the artifact's
// name (a label, never a file path on the server); uploading a name again with other bytes
// adds a newer artifact under it, and reads serve the newest. Bytes stream both ways.
import { serveStoredBytes } from '../edge/stored-bytes.js';
import { experimentIdOf } from '../../modules/projects/service.js';
import type { Role } from '../../modules/auth/access.js';
import type { Run } from '../../modules/runs/service.js';
import { type Call, runFor } from './call.js';
import { doesNotExist, invalidParameter } from './errors.js';

/** Files an MLflow model directory is recognised by: registering a model registers this file's artifact. */
export const MLMODEL_FILE = 'MLmodel';
const LIST_LIMIT = 10_000;

interface Location {
  run: Run;
  /** The path under the run's artifact root ('' for the root itself). */
  path: string;
}

function segmentsOf(path: string, field: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const parts = trimmed.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..')
      throw invalidParameter(field, `must be a relative path without empty, "." or ".." parts (got ${JSON.stringify(path.slice(0, 300))})`);
  }
  return parts;
}

/** `<experiment>/<run>/artifacts[/<path>]` to the run (with `role` checked) and the path under it. */
async function locate(call: Call, fullPath: string, role: Role, field: string): Promise<Location> {
  const parts = segmentsOf(fullPath, field);
  if (parts.length < 3 || parts[2] !== 'artifacts') throw doesNotExist(`${field}: ${JSON.stringify(fullPath)} is not under <experiment>/<run>/artifacts/`);
  const run = await runFor(call, parts[1]!, role);
  const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
  if (experimentIdOf(project) !== parts[0]) throw doesNotExist(`Run with id=${parts[1]} not found in experiment ${parts[0]}`);
  return { run, path: parts.slice(3).join('/') };
}

export async function uploadArtifact(call: Call) {
  const { run, path } = await locate(call, call.path.path ?? '', 'EDITOR', 'path');
  if (!path) throw invalidParameter('path', "must name a file under the run's artifacts/");
  const basename = path.split('/').at(-1)!;
  const length = call.req.headers['content-length'];
  await call.services.artifacts.upload(
    call.access,
    { runId: run.id, name: path, kind: basename === MLMODEL_FILE ? 'MODEL' : 'OTHER', mediaType: call.req.headers['content-type'] ?? null },
    call.req,
    length ? Number(length) : null,
  );
  return {};
}

export async function downloadArtifact(call: Call): Promise<undefined> {
  const { run, path } = await locate(call, call.path.path ?? '', 'VIEWER', 'path');
  const artifact = path ? await call.services.artifacts.latestNamed(call.access, run.id, path) : null;
  if (!artifact) throw doesNotExist(`No artifact at ${JSON.stringify(path)} in run ${call.path.path?.split('/')[1]}`);
  // As a download, never as a page on this origin: an uploaded HTML or SVG file must not run.
  await serveStoredBytes(call.req, call.res, artifact, (range) => call.services.artifacts.openContent(artifact, range));
  return undefined;
}

export async function listArtifacts(call: Call) {
  const requested = call.params.optionalString('path') ?? '';
  const parts = segmentsOf(requested, 'path');
  // Above a run's artifact root there is nothing to list that a client could download.
  if (parts.length < 3) return { files: [] };
  const { run, path } = await locate(call, requested, 'VIEWER', 'path');
  const prefix = path ? `${path}/` : '';
  const artifacts = await call.services.artifacts.latestUnder(call.access, run.id, prefix, LIST_LIMIT);
  const files = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
  for (const a of artifacts) {
    const rest = a.name.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) files.set(rest, { path: rest, is_dir: false, file_size: Number(a.sizeBytes) });
    else if (!files.has(rest.slice(0, slash))) files.set(rest.slice(0, slash), { path: rest.slice(0, slash), is_dir: true });
  }
  return { files: [...files.values()] };
}
