// Reads of a project's governance settings for the services that apply them (the alias service,
// the promotion gate, convention checks, retention), without access checks: each caller applies
// its own policy. Writes live in service.ts.
import type { Database } from '../../db/database.js';
import type { ApproverGroup, ProjectGovernance, PromotionGateRule, ProtectedAlias } from '../../generated/prisma/client.js';
import { type ApprovalRequirement, parseRequirements } from './requirements.js';

export type { ApproverGroup, ProjectGovernance, PromotionGateRule, ProtectedAlias };

export interface AliasRule {
  id: number;
  projectId: number;
  /** The model the rule is for; null when it covers every model of the project. */
  modelId: number | null;
  alias: string;
  requirements: ApprovalRequirement[];
  expiresAfterHours: number;
}

export interface RequiredTag {
  key: string;
  /** The values a run may give it; null: any value. */
  allowedValues: string[] | null;
}

export interface Conventions {
  requiredParams: string[];
  requiredTags: RequiredTag[];
  requiredInputs: string[];
}

export const NO_CONVENTIONS: Conventions = { requiredParams: [], requiredTags: [], requiredInputs: [] };

export function toAliasRule(row: ProtectedAlias): AliasRule {
  return {
    id: row.id,
    projectId: row.projectId,
    modelId: row.modelId,
    alias: row.alias,
    requirements: parseRequirements(row.requirements),
    expiresAfterHours: row.expiresAfterHours,
  };
}

export function parseRequiredTags(json: unknown): RequiredTag[] {
  if (!Array.isArray(json)) return [];
  return json.map((t: { key?: unknown; allowedValues?: unknown }) => ({
    key: String(t.key),
    allowedValues: Array.isArray(t.allowedValues) ? t.allowedValues.map(String) : null,
  }));
}

export function conventionsOf(row: ProjectGovernance | null): Conventions {
  if (!row) return NO_CONVENTIONS;
  return { requiredParams: row.requiredParams, requiredTags: parseRequiredTags(row.requiredTags), requiredInputs: row.requiredInputs };
}

export function createGovernanceSettings(db: Database) {
  const { prisma } = db;
  return {
    /** The rule protecting an alias of a model: the model's own, else its project's; null when unprotected. */
    async aliasRule(model: { id: number; projectId: number }, alias: string): Promise<AliasRule | null> {
      const rows = await prisma.protectedAlias.findMany({
        where: { projectId: model.projectId, alias, OR: [{ modelId: model.id }, { modelId: null }] },
      });
      const row = rows.find((r) => r.modelId === model.id) ?? rows.find((r) => r.modelId === null);
      return row ? toAliasRule(row) : null;
    },

    /** The approver groups of a project an actor belongs to, by name. */
    async groupsOf(projectId: number, actor: string): Promise<string[]> {
      const rows = await prisma.approverGroup.findMany({ where: { projectId, members: { has: actor } }, orderBy: { name: 'asc' } });
      return rows.map((g) => g.name);
    },

    async gateRules(projectId: number): Promise<PromotionGateRule[]> {
      return prisma.promotionGateRule.findMany({ where: { projectId }, orderBy: { position: 'asc' } });
    },

    async governance(projectId: number): Promise<ProjectGovernance | null> {
      return prisma.projectGovernance.findUnique({ where: { projectId } });
    },

    async conventions(projectId: number): Promise<Conventions> {
      return conventionsOf(await prisma.projectGovernance.findUnique({ where: { projectId } }));
    },
  };
}

export type GovernanceSettings = ReturnType<typeof createGovernanceSettings>;
