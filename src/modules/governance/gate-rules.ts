// The promotion rules a project may declare, as data: how each is written, checked when declared,
// stored and described. Evaluation against a model version is in gates.ts.
import { ValidationError } from '../../errors.js';
import { requireKey, requireMaxLength } from '../../validation.js';
import { ARTIFACT_KINDS } from '../artifacts/service.js';
import { requireAlias } from '../registry/aliases.js';

export const GATE_KINDS = ['METRIC', 'TAG', 'ARTIFACT', 'INPUT_DATA', 'CLEAN_CODE'] as const;
export type GateKind = (typeof GATE_KINDS)[number];
export const COMPARISONS = ['>=', '>', '<=', '<', '==', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];
export const AGGREGATES = ['LAST', 'MIN', 'MAX'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export type GateRuleSpec = { aliases: string[] } & (
  | { kind: 'METRIC'; metric: string; op: Comparison; threshold: number; aggregate: Aggregate }
  | { kind: 'TAG'; tag: string; value: string | null }
  | { kind: 'ARTIFACT'; artifactKind: string }
  | { kind: 'INPUT_DATA' }
  | { kind: 'CLEAN_CODE' }
);

/** What a door sends: every field optional, checked per kind. */
export interface GateRuleInput {
  kind: string;
  aliases?: readonly string[] | null;
  metric?: string | null;
  op?: string | null;
  threshold?: number | null;
  aggregate?: string | null;
  tag?: string | null;
  value?: string | null;
  artifactKind?: string | null;
}

/** One rule's verdict on one version: kept with the request and the alias event. */
export interface GateResult {
  rule: string;
  kind: GateKind | 'QUARANTINE';
  passed: boolean;
  detail: string;
}

const MAX_RULES = 50;

function required<T>(field: string, value: T | null | undefined, what: string): T {
  if (value === null || value === undefined || value === '') throw new ValidationError(field, `is required for this kind of rule (${what})`);
  return value;
}

export function validateGateRules(field: string, rules: readonly GateRuleInput[]): GateRuleSpec[] {
  if (rules.length > MAX_RULES) throw new ValidationError(field, `at most ${MAX_RULES} rules (got ${rules.length})`);
  return rules.map((r, i) => {
    const at = `${field}[${i}]`;
    const aliases = [...new Set((r.aliases ?? []).map((a, j) => requireAlias(`${at}.aliases[${j}]`, a)))];
    switch (r.kind) {
      case 'METRIC': {
        const metric = requireKey(`${at}.metric`, required(`${at}.metric`, r.metric, 'the metric key, e.g. val_auc'));
        const op = required(`${at}.op`, r.op, 'one of >=, >, <=, <, ==, !=');
        if (!COMPARISONS.includes(op as Comparison))
          throw new ValidationError(`${at}.op`, `must be one of ${COMPARISONS.join(', ')} (got ${JSON.stringify(op)})`);
        const threshold = required(`${at}.threshold`, r.threshold, 'the number to compare with');
        if (!Number.isFinite(threshold)) throw new ValidationError(`${at}.threshold`, 'must be a finite number');
        const aggregate = (r.aggregate ?? 'LAST') as Aggregate;
        if (!AGGREGATES.includes(aggregate)) throw new ValidationError(`${at}.aggregate`, `must be one of ${AGGREGATES.join(', ')}`);
        return { kind: 'METRIC', metric, op: op as Comparison, threshold, aggregate, aliases };
      }
      case 'TAG': {
        const tag = requireKey(`${at}.tag`, required(`${at}.tag`, r.tag, 'the tag key, e.g. bias-check-passed'));
        const value = r.value == null ? null : requireMaxLength(`${at}.value`, r.value, 8000);
        return { kind: 'TAG', tag, value, aliases };
      }
      case 'ARTIFACT': {
        const artifactKind = required(`${at}.artifactKind`, r.artifactKind, 'e.g. EVAL_REPORT');
        if (!ARTIFACT_KINDS.includes(artifactKind as (typeof ARTIFACT_KINDS)[number])) {
          throw new ValidationError(`${at}.artifactKind`, `must be one of ${ARTIFACT_KINDS.join(', ')}`);
        }
        return { kind: 'ARTIFACT', artifactKind, aliases };
      }
      case 'INPUT_DATA':
      case 'CLEAN_CODE':
        return { kind: r.kind, aliases };
      default:
        throw new ValidationError(`${at}.kind`, `must be one of ${GATE_KINDS.join(', ')} (got ${JSON.stringify(r.kind)})`);
    }
  });
}

/** A stored rule (kind, config, aliases) back as a spec. */
export function ruleFromRow(row: { kind: string; config: unknown; aliases: string[] }): GateRuleSpec {
  return { ...(row.config as object), kind: row.kind, aliases: row.aliases } as GateRuleSpec;
}

/** The config column of a rule: everything but kind and aliases. */
export function ruleConfig(rule: GateRuleSpec): Record<string, unknown> {
  const { kind: _kind, aliases: _aliases, ...config } = rule;
  return config;
}

/** How a rule reads in results and refusals: "metric val_auc >= 0.8". */
export function describeGateRule(rule: GateRuleSpec): string {
  switch (rule.kind) {
    case 'METRIC':
      return `metric ${rule.metric}${rule.aggregate === 'LAST' ? '' : ` (${rule.aggregate.toLowerCase()})`} ${rule.op} ${rule.threshold}`;
    case 'TAG':
      return rule.value === null ? `tag ${rule.tag} is set` : `tag ${rule.tag} = ${rule.value}`;
    case 'ARTIFACT':
      return `an ${rule.artifactKind} artifact`;
    case 'INPUT_DATA':
      return 'input data verified (at least one dataset input, each with a content digest)';
    case 'CLEAN_CODE':
      return 'clean code (a commit recorded, and a clean tree or its diff captured)';
  }
}

/** Whether a rule applies to moves of this alias. */
export function appliesTo(rule: GateRuleSpec, alias: string): boolean {
  return rule.aliases.length === 0 || rule.aliases.includes(alias);
}

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>=':
      return value >= threshold;
    case '>':
      return value > threshold;
    case '<=':
      return value <= threshold;
    case '<':
      return value < threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** Gate results stored as JSON, read back. */
export function parseGateResults(json: unknown): GateResult[] {
  if (!Array.isArray(json)) return [];
  return json.map((r: Partial<GateResult>) => ({ rule: String(r.rule), kind: r.kind ?? 'QUARANTINE', passed: !!r.passed, detail: String(r.detail ?? '') }));
}
