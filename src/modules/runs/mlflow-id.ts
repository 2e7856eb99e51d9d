// MLflow's run id for a runledger run: the run's number in lowercase hex, left-padded to 32
// characters (the width of the uuid4 hex MLflow's own server hands out). Deterministic both
// ways, so it needs no column, survives restores and reads the same through every front door.
const HEX_ID = /^[0-9a-fA-F]{1,32}$/;
const MAX_RUN_ID = 2_147_483_647;

export function mlflowRunId(runId: number): string {
  return runId.toString(16).padStart(32, '0');
}

/** The run number behind an MLflow run id; null when the text is no id this server issued. */
export function parseMlflowRunId(text: string): number | null {
  if (!HEX_ID.test(text)) return null;
  const id = Number.parseInt(text, 16);
  return Number.isSafeInteger(id) && id >= 1 && id <= MAX_RUN_ID ? id : null;
}
