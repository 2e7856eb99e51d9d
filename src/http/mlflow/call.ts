// What every MLflow handler receives, and the lookups that turn MLflow ids into runledger rows
// the caller may touch. The services decide access; these only translate ids and name targets.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logger.js';
import type { Access, Role } from '../../modules/auth/access.js';
import type { Project } from '../../modules/projects/service.js';
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

/** The run an MLflow run id names, when the caller holds `role` in its project (the run service decides). */
export async function runFor(call: Call, mlflowId: string, role: Role): Promise<Run> {
  const id = parseMlflowRunId(mlflowId);
  if (id === null) throw doesNotExist(`Run with id=${mlflowId} not found`);
  const run = await call.services.runs.require(call.access, id, role);
  call.targets.push(mlflowId);
  return run;
}

/** The run id an MLflow run id names (a malformed one names no run). */
export function runIdOf(mlflowId: string): number {
  const id = parseMlflowRunId(mlflowId);
  if (id === null) throw doesNotExist(`Run with id=${mlflowId} not found`);
  return id;
}

/** The project an experiment id names, when the caller holds `role` in it (the project service decides). */
export async function experimentFor(call: Call, experimentId: string, role: Role): Promise<Project> {
  const project = await call.services.projects.requireByExperimentId(call.access, experimentId, role);
  call.targets.push(`experiment:${experimentId}`);
  return project;
}
