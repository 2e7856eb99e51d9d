// Governance settings of a project, as its admins declare them: approver groups, protected aliases
// and who must approve their moves, the promotion rules every move passes and who may override
// them, and the run conventions CI checks. Reading them needs a role in the project; changing them
// needs ADMIN there.
import type { Database } from '../../db/database.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { requireKey } from '../../validation.js';
import type { Access } from '../auth/access.js';
import type { Project, ProjectService } from '../projects/service.js';
import { requireAlias } from '../registry/aliases.js';
import { modelAccess } from '../registry/policy.js';
import { type GateRuleInput, type GateRuleSpec, ruleConfig, ruleFromRow, validateGateRules } from './gate-rules.js';
import { validateRequirements } from './requirements.js';
import { type AliasRule, type ApproverGroup, type Conventions, conventionsOf, type RequiredTag, toAliasRule } from './settings.js';
import { lockProjectRow } from './store.js';

type Tx = Prisma.TransactionClient;

const MAX_MEMBERS = 500;
const MAX_EXPIRY_HOURS = 24 * 90;

export interface ProtectAliasInput {
  project: string;
  /** Only this model of the project (its rule replaces the project's for this alias). */
  model?: string | null;
  alias: string;
  requirements: readonly { count: number; users?: readonly string[] | null; groups?: readonly string[] | null }[];
  expiresAfterHours?: number | null;
}

export interface ConventionsInput {
  project: string;
  requiredParams?: readonly string[] | null;
  requiredTags?: readonly { key: string; allowedValues?: readonly string[] | null }[] | null;
  requiredInputs?: readonly string[] | null;
}

function names(field: string, values: readonly string[] | null | undefined, max = MAX_MEMBERS): string[] {
  const list = [...new Set((values ?? []).map((v, i) => requireKey(`${field}[${i}]`, v.trim())))];
  if (list.length > max) throw new ValidationError(field, `at most ${max} entries (got ${list.length})`);
  return list;
}

export function createGovernanceService(db: Database, deps: { projects: ProjectService }) {
  const { prisma } = db;
  const { projects } = deps;

  /** Settings changes of one project happen one at a time (rules are replaced as a whole). */
  async function lockProject(tx: Tx, projectId: number): Promise<void> {
    await lockProjectRow(tx, projectId);
  }

  async function ensureSettingsRow(tx: Tx, projectId: number, actor: string | null) {
    return tx.projectGovernance.upsert({
      where: { projectId },
      create: { projectId, updatedAt: new Date(), updatedBy: actor },
      update: { updatedAt: new Date(), updatedBy: actor },
    });
  }

  /** Groups named by a rule must exist in the project, so a typo is caught when the rule is written. */
  async function requireGroups(tx: Tx, projectId: number, field: string, groups: readonly string[]): Promise<void> {
    if (groups.length === 0) return;
    const found = new Set((await tx.approverGroup.findMany({ where: { projectId, name: { in: [...groups] } } })).map((g) => g.name));
    const missing = groups.filter((g) => !found.has(g));
    if (missing.length)
      throw new ValidationError(
        field,
        `no approver group ${missing.map((g) => JSON.stringify(g)).join(', ')} in this project; create it with setApproverGroup first`,
      );
  }

  async function modelOf(caller: Access, project: Project, name: string | null | undefined): Promise<number | null> {
    if (name == null) return null;
    const model = await prisma.registeredModel.findUnique({ where: { name } });
    await modelAccess.require(caller, model, 'VIEWER', name);
    if (model!.projectId !== project.id) throw new NotFoundError('RegisteredModel', `${name} in project ${project.name}`);
    return model!.id;
  }

  return {
    /** Replaces the members of a project's approver group (created on first use); no members deletes it. ADMIN. */
    async setApproverGroup(caller: Access, input: { project: string; name: string; members: readonly string[] }): Promise<ApproverGroup | null> {
      const project = await projects.require(caller, input.project, 'ADMIN');
      const name = requireKey('input.name', input.name.trim());
      const members = names('input.members', input.members);
      return prisma.$transaction(async (tx) => {
        await lockProject(tx, project.id);
        if (members.length === 0) {
          const used = await tx.protectedAlias.findMany({ where: { projectId: project.id } });
          const users = used.filter((r) => toAliasRule(r).requirements.some((q) => q.groups.includes(name)));
          const overrides = (await tx.projectGovernance.findUnique({ where: { projectId: project.id } }))?.overrideGroups ?? [];
          if (users.length || overrides.includes(name)) {
            throw new ConflictError(
              `input.members: group ${JSON.stringify(name)} is named by ${users.length ? `the protection of ${users.map((r) => JSON.stringify(r.alias)).join(', ')}` : 'the override groups'}; change those first`,
              {
                field: 'input.members',
              },
            );
          }
          await tx.approverGroup.deleteMany({ where: { projectId: project.id, name } });
          return null;
        }
        const now = new Date();
        return tx.approverGroup.upsert({
          where: { projectId_name: { projectId: project.id, name } },
          create: { projectId: project.id, name, members, updatedAt: now, updatedBy: caller.actor },
          update: { members, updatedAt: now, updatedBy: caller.actor },
        });
      });
    },

    async approverGroups(caller: Access, project: Project): Promise<ApproverGroup[]> {
      await projects.requireById(caller, project.id, 'VIEWER');
      return prisma.approverGroup.findMany({ where: { projectId: project.id }, orderBy: { name: 'asc' } });
    },

    /**
     * Protects an alias of every model of a project, or of one model: moving it then needs the
     * approvals the requirements name. Writing it again replaces the rule (pending requests keep
     * the rule they were filed under). ADMIN.
     */
    async protectAlias(caller: Access, input: ProtectAliasInput): Promise<AliasRule> {
      const project = await projects.require(caller, input.project, 'ADMIN');
      const alias = requireAlias('input.alias', input.alias);
      const requirements = validateRequirements('input.requirements', input.requirements);
      const hours = input.expiresAfterHours ?? 72;
      if (!Number.isInteger(hours) || hours < 1 || hours > MAX_EXPIRY_HOURS) {
        throw new ValidationError('input.expiresAfterHours', `must be a whole number of hours from 1 to ${MAX_EXPIRY_HOURS}`);
      }
      const modelId = await modelOf(caller, project, input.model);
      return prisma.$transaction(async (tx) => {
        await lockProject(tx, project.id);
        await requireGroups(
          tx,
          project.id,
          'input.requirements',
          requirements.flatMap((r) => r.groups),
        );
        const existing = await tx.protectedAlias.findFirst({ where: { projectId: project.id, modelId, alias } });
        const data = {
          requirements: requirements as unknown as Prisma.InputJsonValue,
          expiresAfterHours: hours,
          updatedAt: new Date(),
          updatedBy: caller.actor,
        };
        const row = existing
          ? await tx.protectedAlias.update({ where: { id: existing.id }, data })
          : await tx.protectedAlias.create({ data: { projectId: project.id, modelId, alias, ...data } });
        return toAliasRule(row);
      });
    },

    /** Lifts the protection of an alias (of every model, or of one model). Returns whether there was one. ADMIN. */
    async unprotectAlias(caller: Access, input: { project: string; model?: string | null; alias: string }): Promise<boolean> {
      const project = await projects.require(caller, input.project, 'ADMIN');
      const alias = requireAlias('input.alias', input.alias);
      const modelId = await modelOf(caller, project, input.model);
      const { count } = await prisma.protectedAlias.deleteMany({ where: { projectId: project.id, modelId, alias } });
      return count > 0;
    },

    async protectedAliases(caller: Access, project: Project): Promise<AliasRule[]> {
      await projects.requireById(caller, project.id, 'VIEWER');
      const rows = await prisma.protectedAlias.findMany({ where: { projectId: project.id }, orderBy: [{ alias: 'asc' }, { id: 'asc' }] });
      return rows.map(toAliasRule);
    },

    /**
     * Replaces the promotion rules of a project (an empty list removes them; the quarantine rule
     * always applies) and the groups whose members may override a failed rule (empty: any EDITOR,
     * with a reason). ADMIN.
     */
    async setPromotionGates(caller: Access, input: { project: string; rules: readonly GateRuleInput[]; overrideGroups?: readonly string[] | null }) {
      const project = await projects.require(caller, input.project, 'ADMIN');
      const rules = validateGateRules('input.rules', input.rules);
      const overrideGroups = input.overrideGroups == null ? null : names('input.overrideGroups', input.overrideGroups, 50);
      return prisma.$transaction(async (tx) => {
        await lockProject(tx, project.id);
        if (overrideGroups) await requireGroups(tx, project.id, 'input.overrideGroups', overrideGroups);
        await tx.promotionGateRule.deleteMany({ where: { projectId: project.id } });
        if (rules.length) {
          await tx.promotionGateRule.createMany({
            data: rules.map((rule, position) => ({
              projectId: project.id,
              position,
              kind: rule.kind,
              config: ruleConfig(rule) as Prisma.InputJsonValue,
              aliases: rule.aliases,
            })),
          });
        }
        const row = await ensureSettingsRow(tx, project.id, caller.actor);
        const settings = overrideGroups ? await tx.projectGovernance.update({ where: { projectId: project.id }, data: { overrideGroups } }) : row;
        return { rules, overrideGroups: settings.overrideGroups };
      });
    },

    async promotionGates(caller: Access, project: Project): Promise<{ rules: GateRuleSpec[]; overrideGroups: string[] }> {
      await projects.requireById(caller, project.id, 'VIEWER');
      const [rows, settings] = await Promise.all([
        prisma.promotionGateRule.findMany({ where: { projectId: project.id }, orderBy: { position: 'asc' } }),
        prisma.projectGovernance.findUnique({ where: { projectId: project.id } }),
      ]);
      return { rules: rows.map(ruleFromRow), overrideGroups: settings?.overrideGroups ?? [] };
    },

    /** Replaces the run conventions of a project: the params, tags (with allowed values) and dataset input roles every run must have. ADMIN. */
    async setConventions(caller: Access, input: ConventionsInput): Promise<Conventions & { projectId: number }> {
      const project = await projects.require(caller, input.project, 'ADMIN');
      const requiredParams = names('input.requiredParams', input.requiredParams, 200);
      const requiredInputs = names('input.requiredInputs', input.requiredInputs, 50);
      const seen = new Set<string>();
      const requiredTags: RequiredTag[] = (input.requiredTags ?? []).map((t, i) => {
        const key = requireKey(`input.requiredTags[${i}].key`, t.key.trim());
        if (seen.has(key)) throw new ValidationError(`input.requiredTags[${i}].key`, `${JSON.stringify(key)} is listed twice`);
        seen.add(key);
        const allowedValues = t.allowedValues == null ? null : [...new Set(t.allowedValues)];
        if (allowedValues?.length === 0)
          throw new ValidationError(`input.requiredTags[${i}].allowedValues`, 'give at least one value, or leave it out to allow any');
        return { key, allowedValues };
      });
      if (requiredTags.length > 200) throw new ValidationError('input.requiredTags', 'at most 200 tags');
      const data = {
        requiredParams,
        requiredInputs,
        requiredTags: requiredTags as unknown as Prisma.InputJsonValue,
        updatedAt: new Date(),
        updatedBy: caller.actor,
      };
      const row = await prisma.projectGovernance.upsert({ where: { projectId: project.id }, create: { projectId: project.id, ...data }, update: data });
      return { ...conventionsOf(row), projectId: project.id };
    },

    async conventions(caller: Access, project: Project): Promise<Conventions> {
      await projects.requireById(caller, project.id, 'VIEWER');
      return conventionsOf(await prisma.projectGovernance.findUnique({ where: { projectId: project.id } }));
    },
  };
}

export type GovernanceService = ReturnType<typeof createGovernanceService>;
