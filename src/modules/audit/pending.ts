// An audit row a door opens for one operation before it runs, which the service doing the
// write may append in the write's own statement: one round trip and one commit instead of a
// second insert before the answer leaves. The door writes the row itself afterwards unless
// the service did (with the outcome the operation ended with).

export class PendingAudit {
  #written = false;
  #createdType: string | null = null;

  constructor(
    /** As AuditRecord: the caller's audit name, the operation, and the ids the request named. */
    readonly actor: string,
    readonly operation: string,
    readonly targetIds: readonly string[],
  ) {}

  /**
   * How the door names the object the operation creates, added to the targets by the statement
   * that creates it: its global id (base64 of "Type:id", as src/ids.ts decodes it).
   */
  get createdType(): string | null {
    return this.#createdType;
  }

  names(createdType: string | null): void {
    this.#createdType = createdType;
  }

  get written(): boolean {
    return this.#written;
  }

  /** Called by the service once the statement holding the row succeeded. */
  markWritten(): void {
    this.#written = true;
  }
}

/**
 * A data-modifying CTE named `audit` that appends the pending row (outcome OK) when `created`
 * (a CTE with an `id` column, e.g. the INSERT ... RETURNING of the created object) produced a
 * row. Its values are the four parameters from `$first` on, bound with `auditRowValues`: the
 * text does not depend on the row, so the statement can be prepared once.
 */
export function auditRowCte(created: string, first: number): string {
  const [actor, operation, targets, type] = [0, 1, 2, 3].map((i) => `$${first + i}`);
  return `audit AS (
    INSERT INTO audit_events (actor, operation, target_ids, outcome)
    SELECT ${actor}::text, ${operation}::text,
           ${targets}::text[] || CASE WHEN ${type}::text IS NULL THEN ARRAY[]::text[] ELSE ARRAY[${globalIdSql(`${type}::text`, `${created}.id`)}] END, 'OK'
    FROM ${created} WHERE ${operation}::text IS NOT NULL
    RETURNING 1)`;
}

/** The parameters of `auditRowCte`: all null (no row) without a pending audit. Targets are limited as the audit service limits them. */
export function auditRowValues(pending: PendingAudit | null): unknown[] {
  return [
    pending?.actor ?? null,
    pending?.operation.slice(0, 200) ?? null,
    pending?.targetIds.slice(0, 49).map((t) => t.slice(0, 300)) ?? [],
    pending?.createdType ?? null,
  ];
}

/** The relay global id of `idExpr` (an integer) of type `typeExpr`, in SQL: base64 of "Type:id", as encodeGlobalID writes it. */
export function globalIdSql(typeExpr: string, idExpr: string): string {
  return `encode(convert_to(${typeExpr} || ':' || ${idExpr}, 'UTF8'), 'base64')`;
}
