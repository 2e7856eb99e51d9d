// What each announced change says: the JSON `data` of runledger's events, and the MLflow 3 payload
// of those MLflow also has. Built inside the change's transaction from the rows it wrote.
import type { ModelAliasEvent, ModelVersion, PromotionDecision, PromotionRequest, RegisteredModel, Run } from '../../generated/prisma/client.js';
import { parseGateResults } from '../governance/gate-rules.js';
import { describeRule, parseRequirements } from '../governance/requirements.js';
import { mlflowRunId } from '../runs/mlflow-id.js';
import type { NewEvent } from './outbox.js';

type Reader = { modelVersion: { findMany(args: { where: { id: { in: number[] } } }): Promise<ModelVersion[]> } };

async function versionNumbers(tx: Reader, ids: readonly (number | null)[]): Promise<Map<number, number>> {
  const wanted = ids.filter((id): id is number => id !== null);
  if (wanted.length === 0) return new Map();
  return new Map((await tx.modelVersion.findMany({ where: { id: { in: wanted } } })).map((v) => [v.id, v.version]));
}

export async function aliasMoved(tx: Reader, model: RegisteredModel, event: ModelAliasEvent, link: (n: number) => string): Promise<NewEvent> {
  const numbers = await versionNumbers(tx, [event.fromVersionId, event.toVersionId]);
  const to = event.toVersionId === null ? null : (numbers.get(event.toVersionId) ?? null);
  return {
    type: 'alias.moved',
    projectId: model.projectId,
    data: {
      model: model.name,
      alias: event.alias,
      action: event.action,
      fromVersion: event.fromVersionId === null ? null : (numbers.get(event.fromVersionId) ?? null),
      toVersion: to,
      by: event.actor,
      reason: event.reason,
      at: event.effectiveAt.toISOString(),
      override: event.overrideReason,
      promotionRequest: event.promotionRequestId,
      promotionRequestUrl: event.promotionRequestId === null ? null : link(event.promotionRequestId),
    },
    mlflow:
      to === null
        ? { type: 'model_version_alias.deleted', data: { name: model.name, alias: event.alias } }
        : { type: 'model_version_alias.created', data: { name: model.name, alias: event.alias, version: String(to) } },
  };
}

export async function promotion(
  tx: Reader,
  model: RegisteredModel,
  request: PromotionRequest,
  kind: 'requested' | 'approved' | 'rejected',
  decisions: readonly PromotionDecision[],
  link: (n: number) => string,
): Promise<NewEvent> {
  const numbers = await versionNumbers(tx, [request.fromVersionId, request.toVersionId]);
  const number = (id: number | null) => (id === null ? null : (numbers.get(id) ?? null));
  return {
    type: `promotion.${kind}`,
    projectId: model.projectId,
    data: {
      request: request.id,
      url: link(request.id),
      status: request.status,
      model: model.name,
      alias: request.alias,
      action: request.action,
      fromVersion: number(request.fromVersionId),
      toVersion: number(request.toVersionId),
      requestedBy: request.requestedBy,
      reason: request.reason,
      needs: describeRule(parseRequirements(request.requirements)),
      expiresAt: request.expiresAt.toISOString(),
      gateResults: parseGateResults(request.gateResults),
      override: request.overrideReason,
      decisions: decisions.map((d) => ({ by: d.actor, decision: d.decision, comment: d.comment, groups: d.groups, at: d.at.toISOString() })),
    },
  };
}

/**
 * A new model version; `source` is its MLflow source URI, `tags` the tags it was registered with.
 * A version registered from a bare source or a logged model outside any run carries no run id.
 */
export function modelVersionCreated(
  model: RegisteredModel,
  version: ModelVersion,
  source: string,
  tags: readonly { key: string; value: string }[] = [],
): NewEvent {
  const runId = version.runId === null ? null : mlflowRunId(version.runId);
  return {
    type: 'model_version.created',
    projectId: model.projectId,
    data: { model: model.name, version: version.version, runId, createdBy: version.createdBy, description: version.description },
    mlflow: {
      type: 'model_version.created',
      data: {
        name: model.name,
        version: String(version.version),
        source,
        run_id: runId,
        tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
        description: version.description,
      },
    },
  };
}

export function quarantineChanged(
  kind: 'quarantined' | 'released',
  target: { projectId: number; dataset: string; namespace: string; version: string; digest: string },
  change: { reason: string; actor: string | null; at: Date },
): NewEvent {
  return {
    type: `dataset_version.${kind}`,
    projectId: target.projectId,
    data: {
      dataset: target.dataset,
      namespace: target.namespace,
      version: target.version,
      digest: target.digest,
      reason: change.reason,
      by: change.actor,
      at: change.at.toISOString(),
    },
  };
}

export function runEnded(run: Run, project: string, link: string): NewEvent {
  return {
    type: run.status === 'FINISHED' ? 'run.finished' : 'run.failed',
    projectId: run.projectId,
    data: {
      runId: mlflowRunId(run.id),
      name: run.name,
      project,
      status: run.status,
      user: run.user,
      startedAt: run.startedAt.toISOString(),
      endedAt: run.endedAt?.toISOString() ?? null,
      url: link,
    },
  };
}
