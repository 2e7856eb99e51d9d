// What every MLflow handler receives, and the lookups that turn MLflow ids into runledger rows
// the caller may touch. Authorization goes through Access, as in the GraphQL guards.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logger.js';
import type { Access, Role } from '../../modules/auth/access.js';
import { type Project } from '../../modules/projects/service.js';
import { parseMlflowRunId } from '../../modules/runs/mlflow-id.js';
import type { Run } from '../../modules/runs/service.js';
import type { Services } from '../../services.js';
import { doesNotExist } from './errors.js';
import type { Params } from './wire.js';

export interface Call {
  params: Params;
  access: Access;
  services: Services;
  log: Logger;
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters of the route, e.g. a logged model's id. */
  path: Record<string, string>;
  /** Ids the audit row of a write names; handlers add what they touched. */
  targets: string[];
}

/** A handler returns the JSON body of a 200, or undefined when it answered itself (artifact bytes). */
export type Handler = (call: Call) => Promise<object | undefined>;

/** The run an MLflow run id names, when the caller holds `role` in its project. */
export async function runFor(call: Call, mlflowId: string, role: Role): Promise<Run> {
  const id = parseMlflowRunId(mlflowId);
  const [run] = id === null ? [] : await call.services.runs.byIds([id]);
  if (!run || !(await call.access.canRead(run.projectId))) throw doesNotExist(`Run with id=${mlflowId} not found`);
  await call.access.authorize(run.projectId, role, 'Run', mlflowId);
  call.targets.push(mlflowId);
  return run;
}

/** The project an experiment id names, when the caller holds `role` in it. */
export async function experimentFor(call: Call, experimentId: string, role: Role): Promise<Project> {
  const project = await call.services.projects.byExperimentId(experimentId);
  if (!project || !(await call.access.canRead(project.id))) throw doesNotExist(`No Experiment with id=${experimentId} exists`);
  await call.access.authorize(project.id, role, 'Experiment', experimentId);
  call.targets.push(`experiment:${experimentId}`);
  return project;
}
