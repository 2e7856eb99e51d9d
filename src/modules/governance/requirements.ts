// Who must approve a protected alias move, and whether the approvals given meet it. Pure: the
// rule is a list of requirements ("1 of ml-lead", "1 of product-owner"), each approver counts for
// at most one of them, and the requester never counts.
import { ValidationError } from '../../errors.js';
import { requireKey } from '../../validation.js';

export interface ApprovalRequirement {
  /** How many distinct approvers this requirement needs. */
  count: number;
  /** Named users who may approve for it. */
  users: string[];
  /** Approver groups of the project whose members may approve for it. */
  groups: string[];
}

/** One approval as it counts: who gave it, and the groups they were in when they did. */
export interface CountedApproval {
  actor: string;
  groups: readonly string[];
}

const MAX_REQUIREMENTS = 10;
const MAX_COUNT = 20;
const MAX_NAMES = 100;

/** Checks and normalizes a rule as a caller sent it; the error names the entry and the rule broken. */
export function validateRequirements(field: string, input: readonly { count: number; users?: readonly string[] | null; groups?: readonly string[] | null }[]) {
  if (input.length === 0) throw new ValidationError(field, 'give at least one requirement, e.g. { count: 1, groups: ["ml-lead"] }');
  if (input.length > MAX_REQUIREMENTS) throw new ValidationError(field, `at most ${MAX_REQUIREMENTS} requirements (got ${input.length})`);
  return input.map((r, i): ApprovalRequirement => {
    const at = `${field}[${i}]`;
    if (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_COUNT)
      throw new ValidationError(`${at}.count`, `must be a whole number from 1 to ${MAX_COUNT}`);
    const users = [...new Set((r.users ?? []).map((u, j) => requireKey(`${at}.users[${j}]`, u.trim())))];
    const groups = [...new Set((r.groups ?? []).map((g, j) => requireKey(`${at}.groups[${j}]`, g.trim())))];
    if (users.length + groups.length === 0) throw new ValidationError(at, 'name the users or groups who may approve');
    if (users.length > MAX_NAMES || groups.length > MAX_NAMES) throw new ValidationError(at, `at most ${MAX_NAMES} users and ${MAX_NAMES} groups`);
    if (groups.length === 0 && users.length < r.count) {
      throw new ValidationError(`${at}.count`, `needs ${r.count} approvers but names only ${users.length} user${users.length === 1 ? '' : 's'} and no group`);
    }
    return { count: r.count, users, groups };
  });
}

/** Reads a rule back from storage (JSON written by validateRequirements). */
export function parseRequirements(json: unknown): ApprovalRequirement[] {
  if (!Array.isArray(json)) return [];
  return json.map((r: { count?: unknown; users?: unknown; groups?: unknown }) => ({
    count: Number(r.count ?? 1),
    users: Array.isArray(r.users) ? r.users.map(String) : [],
    groups: Array.isArray(r.groups) ? r.groups.map(String) : [],
  }));
}

/** "1 of group ml-lead", "2 of alice, bob or group ml-lead". */
export function describeRequirement(r: ApprovalRequirement): string {
  const who = [...r.users, ...r.groups.map((g) => `group ${g}`)];
  const list = who.length > 1 ? `${who.slice(0, -1).join(', ')} or ${who.at(-1)}` : who[0];
  return `${r.count} of ${list}`;
}

export function describeRule(rule: readonly ApprovalRequirement[]): string {
  return rule.map(describeRequirement).join(' and ');
}

function fits(r: ApprovalRequirement, a: CountedApproval): boolean {
  return r.users.includes(a.actor) || a.groups.some((g) => r.groups.includes(g));
}

/** Whether this approver may approve at all under the rule (fits at least one requirement). */
export function mayApprove(rule: readonly ApprovalRequirement[], approver: CountedApproval): boolean {
  return rule.some((r) => fits(r, approver));
}

export interface RuleProgress {
  met: boolean;
  /** Per requirement, how many approvers count for it in the best assignment, and how many it needs. */
  requirements: { requirement: ApprovalRequirement; approvedBy: string[]; missing: number }[];
}

/**
 * Assigns approvers to requirement slots so that as many slots as possible are filled, each
 * approver filling at most one (a maximum bipartite matching by augmenting paths; rules are
 * small). The rule is met when every slot is filled. Approvals from the requester are ignored.
 */
export function progress(rule: readonly ApprovalRequirement[], approvals: readonly CountedApproval[], requester: string): RuleProgress {
  const approvers = approvals.filter((a, i) => a.actor !== requester && approvals.findIndex((b) => b.actor === a.actor) === i);
  const slots = rule.flatMap((r, ri) => Array.from({ length: r.count }, () => ri));
  const holder = new Map<number, number>(); // slot index -> approver index
  const tryAssign = (ai: number, seen: Set<number>): boolean => {
    for (let si = 0; si < slots.length; si += 1) {
      if (seen.has(si) || !fits(rule[slots[si]!]!, approvers[ai]!)) continue;
      seen.add(si);
      const other = holder.get(si);
      if (other === undefined || tryAssign(other, seen)) {
        holder.set(si, ai);
        return true;
      }
    }
    return false;
  };
  approvers.forEach((_, ai) => tryAssign(ai, new Set()));
  const requirements = rule.map((requirement, ri) => {
    const approvedBy = [...holder].filter(([si]) => slots[si] === ri).map(([, ai]) => approvers[ai]!.actor);
    return { requirement, approvedBy, missing: requirement.count - approvedBy.length };
  });
  return { met: requirements.every((r) => r.missing === 0), requirements };
}
