// The role a run read an input in ("train", "base-model", MLflow's dataset context "training"), as every door spells it.
import { ValidationError } from '../../errors.js';
import { keyProblem } from '../../validation.js';

const MAX_ROLE_LENGTH = 100;

/** A role is a key (MLflow's dataset context lands here), at most 100 characters. */
export function requireRole(field: string, role: string): string {
  const problem = keyProblem(role, MAX_ROLE_LENGTH);
  if (problem) throw new ValidationError(field, `${problem} (a role such as "train" or "base-model")`);
  return role;
}
