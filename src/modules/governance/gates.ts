// The promotion gate every alias move passes: the project's declared rules (metric thresholds,
// required tags, an artifact of a kind, verified input data, clean code) plus the quarantine rule
// that always applies. A failure refuses naming every failed rule; an override needs a reason and
// a caller allowed to override (a member of the project's override groups when it names any).
import type { Database } from '../../db/database.js';
import { ConflictError, ForbiddenError } from '../../errors.js';
import { type Access, LOCAL_ACTOR } from '../auth/access.js';
import { isGlobalAdmin } from '../auth/policy.js';
import { lineageDigest } from '../datasets/service.js';
import type { IncidentService, QuarantinedInput } from '../lineage/incidents.js';
import { quarantineConflict } from '../lineage/incidents.js';
import type { ModelVersion, RegisteredModel, VisibleDatasetVersions } from '../registry/service.js';
import { appliesTo, compare, describeGateRule, type GateResult, type GateRuleSpec, ruleFromRow } from './gate-rules.js';
import type { GovernanceSettings } from './settings.js';
import { metricSummariesOf } from './store.js';

export interface GateCheck {
  caller: Access;
  model: RegisteredModel;
  version: ModelVersion;
  alias: string;
  /** How the refusal names the version, e.g. "churn version 3". */
  label: string;
  /** Which input field a refusal names (input.version, input.request, ...). */
  field: string;
  override: { reason: string } | null;
  canSee: VisibleDatasetVersions;
}

export interface GateDecision {
  results: GateResult[];
  /** What an override let through (the reason, and the quarantined inputs among it); null when nothing failed. */
  override: { reason: string; datasetVersionIds: number[] } | null;
}

export interface Evaluation {
  results: GateResult[];
  /** The quarantined inputs upstream the caller may see. */
  quarantined: QuarantinedInput[];
  /** How many more the caller may not see (named only by count). */
  hiddenQuarantined: number;
  /** Every quarantined dataset version upstream, seen or not (an override records them all). */
  quarantinedIds: number[];
}

const QUARANTINE_RULE = 'no quarantined data upstream';

export function createPromotionGate(db: Database, deps: { incidents: IncidentService; settings: GovernanceSettings }) {
  const { prisma } = db;

  async function evaluateRule(rule: GateRuleSpec, runId: number | null, canSee: VisibleDatasetVersions): Promise<GateResult> {
    const base = { rule: describeGateRule(rule), kind: rule.kind };
    // Every rule reads the run; a version MLflow registered from a bare source or a logged model outside any run has none.
    if (runId === null) return { ...base, passed: false, detail: 'the version was registered without a run, so it has nothing to check' };
    switch (rule.kind) {
      case 'METRIC': {
        const [summary] = await metricSummariesOf(db.sql, runId, [rule.metric]);
        const value = !summary ? null : rule.aggregate === 'MIN' ? summary.min : rule.aggregate === 'MAX' ? summary.max : summary.last;
        if (value === null || Number.isNaN(value)) return { ...base, passed: false, detail: `the run logged no ${rule.metric}` };
        // Ten significant digits: 0.8 + 0.04 reads 0.84, not 0.8400000000000001.
        return { ...base, passed: compare(value, rule.op, rule.threshold), detail: `${rule.metric} is ${Number(value.toPrecision(10))}` };
      }
      case 'TAG': {
        const tag = await prisma.tag.findUnique({ where: { runId_key: { runId, key: rule.tag } } });
        if (!tag) return { ...base, passed: false, detail: `the run has no tag ${rule.tag}` };
        return { ...base, passed: rule.value === null || tag.value === rule.value, detail: `${rule.tag} is ${JSON.stringify(tag.value)}` };
      }
      case 'ARTIFACT': {
        const found = await prisma.artifact.findFirst({ where: { runId, kind: rule.artifactKind as never }, orderBy: { id: 'desc' } });
        return found
          ? { ...base, passed: true, detail: `${found.name} (sha256 ${found.digest.slice(0, 12)})` }
          : { ...base, passed: false, detail: `the run has no ${rule.artifactKind} artifact` };
      }
      case 'INPUT_DATA':
        return { ...base, ...(await inputData(runId, canSee)) };
      case 'CLEAN_CODE':
        return { ...base, ...(await cleanCode(runId)) };
    }
  }

  async function inputData(runId: number, canSee: VisibleDatasetVersions): Promise<{ passed: boolean; detail: string }> {
    const inputs = await prisma.runDatasetInput.findMany({
      where: { runId },
      include: { datasetVersion: { include: { dataset: true } } },
      orderBy: { datasetVersionId: 'asc' },
    });
    if (inputs.length === 0) return { passed: false, detail: 'the run logged no dataset input' };
    const visible = await canSee(inputs.map((i) => i.datasetVersionId));
    const undigested = inputs.filter(({ datasetVersion: v }) => v.digest === lineageDigest(v.dataset.namespace, v.dataset.name, v.version));
    if (undigested.length === 0) return { passed: true, detail: `${inputs.length} dataset input${inputs.length === 1 ? '' : 's'}, each with a content digest` };
    const named = undigested.filter((i) => visible.has(i.datasetVersionId)).map((i) => `${i.datasetVersion.dataset.name}@${i.datasetVersion.version}`);
    const hidden = undigested.length - named.length;
    if (hidden) named.push(`${hidden} in projects you have no role in`);
    return { passed: false, detail: `no content digest (known only from OpenLineage): ${named.join(', ')}` };
  }

  async function cleanCode(runId: number): Promise<{ passed: boolean; detail: string }> {
    const code = await prisma.runCodeVersion.findUnique({ where: { runId }, include: { commit: true } });
    if (!code) return { passed: false, detail: 'the run recorded no code commit' };
    const commit = `commit ${code.commit.commit.slice(0, 12)}`;
    if (!code.dirty) return { passed: true, detail: `${commit}, clean tree` };
    if (code.diffArtifactId !== null) return { passed: true, detail: `${commit}, dirty tree with its diff captured` };
    return { passed: false, detail: `${commit}, dirty tree and no diff captured` };
  }

  /** Every rule that applies to moving `alias` onto the version, with its verdict; the quarantine rule first. */
  async function evaluate(model: RegisteredModel, version: ModelVersion, alias: string, canSee: VisibleDatasetVersions): Promise<Evaluation> {
    const [quarantined, rows] = await Promise.all([deps.incidents.quarantinedUpstream(version.id), deps.settings.gateRules(model.projectId)]);
    const visible = quarantined.length ? await canSee(quarantined.map((q) => q.datasetVersionId)) : new Set<number>();
    const shown = quarantined.filter((q) => visible.has(q.datasetVersionId));
    const hiddenQuarantined = quarantined.length - shown.length;
    const named = shown.map((q) => `${q.dataset}@${q.version} (${q.reason})`);
    if (hiddenQuarantined) named.push(`${hiddenQuarantined} in projects you have no role in`);
    const results: GateResult[] = [
      {
        rule: QUARANTINE_RULE,
        kind: 'QUARANTINE',
        passed: quarantined.length === 0,
        detail: quarantined.length === 0 ? 'no quarantined dataset version upstream' : `quarantined upstream: ${named.join('; ')}`,
      },
    ];
    for (const rule of rows.map(ruleFromRow).filter((r) => appliesTo(r, alias))) results.push(await evaluateRule(rule, version.runId, canSee));
    return { results, quarantined: shown, hiddenQuarantined, quarantinedIds: quarantined.map((q) => q.datasetVersionId) };
  }

  /** Whether the caller may override a failed gate in this project. */
  async function mayOverride(caller: Access, projectId: number): Promise<{ allowed: boolean; groups: string[] }> {
    const groups = (await deps.settings.governance(projectId))?.overrideGroups ?? [];
    if (groups.length === 0 || isGlobalAdmin(caller)) return { allowed: true, groups };
    const mine = await deps.settings.groupsOf(projectId, caller.actor ?? LOCAL_ACTOR);
    return { allowed: mine.some((g) => groups.includes(g)), groups };
  }

  function refusal(check: GateCheck, evaluation: Evaluation): ConflictError {
    const failed = evaluation.results.filter((r) => !r.passed);
    if (failed.length === 1 && failed[0]!.kind === 'QUARANTINE') {
      const error = quarantineConflict(check.field, check.label, evaluation.quarantined, evaluation.hiddenQuarantined);
      Object.assign(error.details, { failedRules: failed });
      return error;
    }
    return new ConflictError(
      `${check.field}: ${check.label} fails ${failed.length} promotion rule${failed.length === 1 ? '' : 's'} for ${JSON.stringify(check.alias)}: ${failed
        .map((r) => `${r.rule} (${r.detail})`)
        .join('; ')}. Pass override: { reason } to promote it anyway; the override is recorded in the alias history`,
      {
        field: check.field,
        failedRules: failed,
        // Named only when quarantine is among the failures: clients show these as the quarantined data that blocks the move.
        ...(evaluation.quarantinedIds.length
          ? {
              quarantinedDatasetVersions: evaluation.quarantined.map((q) => ({ dataset: q.dataset, version: q.version, reason: q.reason })),
              hiddenQuarantinedDatasetVersions: evaluation.hiddenQuarantined,
            }
          : {}),
      },
    );
  }

  return {
    evaluate,

    /**
     * Evaluates every rule for the move; refuses (CONFLICT, naming every failed rule) unless an
     * override with a reason comes from a caller allowed to override (FORBIDDEN otherwise).
     */
    async check(check: GateCheck): Promise<GateDecision> {
      const evaluation = await evaluate(check.model, check.version, check.alias, check.canSee);
      if (evaluation.results.every((r) => r.passed)) return { results: evaluation.results, override: null };
      if (!check.override) throw refusal(check, evaluation);
      const { allowed, groups } = await mayOverride(check.caller, check.model.projectId);
      if (!allowed) {
        throw new ForbiddenError(
          `input.override: only members of ${groups.map((g) => `group ${g}`).join(' or ')} may override a failed promotion rule in this project; ${refusal(check, evaluation).message}`,
          { field: 'input.override', neededGroups: groups },
        );
      }
      return {
        results: evaluation.results,
        override: { reason: check.override.reason, datasetVersionIds: evaluation.quarantinedIds },
      };
    },
  };
}

export type PromotionGateService = ReturnType<typeof createPromotionGate>;
