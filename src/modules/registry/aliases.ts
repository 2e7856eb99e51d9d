// Alias moves (set, remove, roll back): each needs EDITOR on the model and sight of the version,
// passes the one promotion gate, is dated, and is appended to the history. A move of a protected
// alias is never made here: it becomes a promotion request (promotions.ts) that moves the alias
// once its approvals are in. The moves live in alias-moves.ts and alias-rollback.ts, the steps they
// share in alias-steps.ts, the input rules in alias-rules.ts and the reads in alias-reads.ts.
import type { Database } from '../../db/database.js';
import type { ModelAliasEvent, ModelVersion, RegisteredModel } from '../../generated/prisma/client.js';
import type { Access, Role } from '../auth/access.js';
import type { GateResult } from '../governance/gate-rules.js';
import type { AliasRule } from '../governance/settings.js';
import { createAliasMoves } from './alias-moves.js';
import { createAliasReads } from './alias-reads.js';
import { createAliasRollback } from './alias-rollback.js';
import { createAliasSteps } from './alias-steps.js';
import type { Tx } from './alias-writes.js';
import type { FiledRequest, PromotionService } from './promotions.js';

export { optionalReason, requireAlias } from './alias-rules.js';

/** Which dataset versions the caller may see; a refusal names only those. */
export type VisibleDatasetVersions = (ids: readonly number[]) => Promise<Set<number>>;

export interface GateCheck {
  caller: Access;
  model: RegisteredModel;
  version: ModelVersion;
  alias: string;
  /** How a refusal names the version, e.g. "churn version 3". */
  label: string;
  /** The input field a refusal names. */
  field: string;
  override: { reason: string } | null;
  canSee: VisibleDatasetVersions;
}

export interface GateDecision {
  results: GateResult[];
  /** What an override let through, for the history; null when nothing needed overriding. */
  override: { reason: string; datasetVersionIds: number[] } | null;
}

/**
 * Decides whether an alias may move onto a version (governance supplies it: the project's
 * promotion rules and the quarantine rule). Throws a ConflictError naming every failed rule, or
 * a ForbiddenError when the caller may not override; returns every result and what an override
 * let through.
 */
export interface PromotionGate {
  check(check: GateCheck): Promise<GateDecision>;
  /** Every rule's verdict on a move, refusing nothing (a preview). */
  evaluate(model: RegisteredModel, version: ModelVersion, alias: string, canSee: VisibleDatasetVersions): Promise<{ results: GateResult[] }>;
}

export interface AliasChangeResult {
  model: RegisteredModel;
  /** The version the alias points at after the call (null when removed). */
  version: ModelVersion | null;
  /** The recorded event, or null when the call changed nothing (e.g. a retry). */
  event: ModelAliasEvent | null;
}

/** A move that either happened (or was already so) or, for a protected alias, became a request. */
export type MoveOutcome = { kind: 'moved'; result: AliasChangeResult } | { kind: 'requested'; model: RegisteredModel; filed: FiledRequest };

export interface MoveInput {
  model: string;
  alias: string;
  reason?: string | null;
  /** When the move took effect, for imported history; global admins only. */
  effectiveAt?: Date | null;
}

export interface SetAliasInput extends MoveInput {
  version: number;
  override?: { reason: string } | null;
}

export interface RollbackAliasInput extends MoveInput {
  reason: string;
  /** The version the alias points at now; required while it points at one. */
  fromVersion?: number | null;
  override?: { reason: string } | null;
}

export interface AliasDeps {
  gate: PromotionGate;
  /** The rule protecting an alias of a model, or null when anyone with EDITOR may move it. */
  aliasRule: (model: RegisteredModel, alias: string) => Promise<AliasRule | null>;
  promotions: PromotionService;
  /** The model when the caller holds `role` in its project (NOT_FOUND when missing or hidden). */
  requireModel: (caller: Access, name: string, role: Role) => Promise<RegisteredModel>;
  /** A version of the model that the caller may see (NOT_FOUND otherwise). */
  requireVersion: (caller: Access, model: RegisteredModel, version: number, field: string) => Promise<ModelVersion>;
  /** Whether the caller may see a version (its model's and its run's projects). */
  canSeeVersion: (caller: Access, versionId: number) => Promise<boolean>;
  /** Which dataset versions the caller may see, for the gate's refusal. */
  visibleDatasetVersions: (caller: Access) => VisibleDatasetVersions;
  /** Announces a recorded alias change to webhook subscribers, in the move's transaction. */
  announce: (tx: Tx, model: RegisteredModel, event: ModelAliasEvent) => Promise<void>;
}

export function createAliasService(db: Database, deps: AliasDeps) {
  const steps = createAliasSteps(db, deps);
  const { moveTo, remove } = createAliasMoves(db, deps, steps);
  const { rollback } = createAliasRollback(db, deps, steps);

  /** A move of a protected alias was filed as a request instead: FORBIDDEN, naming the request and where to approve it. */
  function moved(outcome: MoveOutcome): AliasChangeResult {
    if (outcome.kind === 'moved') return outcome.result;
    throw deps.promotions.approvalRequired(outcome.model, outcome.filed);
  }

  return {
    /**
     * Points an alias at a version. Pointing it where it already points records nothing. A
     * version the gate refuses needs `override.reason` (from a caller allowed to override),
     * which the history records with what it let through. On a protected alias the move is
     * filed as a promotion request and the call is refused (FORBIDDEN) naming the request.
     */
    async setAlias(caller: Access, input: SetAliasInput): Promise<AliasChangeResult> {
      return moved(await moveTo(caller, input));
    },

    /** Removes an alias. Removing one that is not set records nothing. A protected alias is removed only through an approved request. */
    async removeAlias(caller: Access, input: MoveInput): Promise<AliasChangeResult> {
      return moved(await remove(caller, input));
    },

    /**
     * Undoes the latest change of an alias: it goes back to the version it held before (a
     * removal is undone by restoring the removed version). `fromVersion` (required while the
     * alias points at a version) makes a retry a no-op. The version it goes back to passes the
     * same gate as setAlias, with the same `override`. A protected alias is rolled back only
     * through an approved request.
     */
    async rollbackAlias(caller: Access, input: RollbackAliasInput): Promise<AliasChangeResult> {
      return moved(await rollback(caller, input));
    },

    /**
     * Moves an alias onto a version, or, when the alias is protected, files the promotion request
     * for it (returned, with whether this call created it) instead of refusing.
     */
    requestMove: moveTo,

    ...createAliasReads(db, deps),
  };
}
