// The role a run read an input in ("train", "base-model"), as every door spells it.
import { ValidationError } from '../../errors.js';

const ROLE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function requireRole(field: string, role: string): string {
  if (role.length === 0 || role.length > 100 || !ROLE_PATTERN.test(role)) {
    throw new ValidationError(
      field,
      `must be 1 to 100 letters, digits, '_', '.' or '-', e.g. "train" or "base-model"; got ${JSON.stringify(role.slice(0, 100))}`,
    );
  }
  return role;
}
