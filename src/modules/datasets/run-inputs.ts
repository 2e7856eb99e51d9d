// The inputs a run read: dataset and model versions (with their lineage edges), and the
// OpenLineage datasets their sources name.
import type { Database } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { LIMITS, requireKey, requireMaxLength } from '../../validation.js';
import type { Access } from '../auth/access.js';
import { isGlobalAdmin } from '../auth/policy.js';
import type { EdgeRecorder } from '../lineage/store.js';
import { visibleVersions as visibleModelVersions } from '../registry/policy.js';
import { modelVersionsByIds } from '../registry/store.js';
import type { Run, RunService } from '../runs/service.js';
import type { DatasetReads } from './reads.js';
import { requireRole } from './role.js';
import { type OpenLineageRef, openLineageRefOf } from './source-uri.js';
import { datasetVersionsByIds } from './store.js';
import type { DatasetVisibility } from './visibility.js';

export interface DatasetInputTag {
  key: string;
  value: string;
}

export interface LogInputsInput {
  runId: number;
  /** `tags`: the input's tags as the client sent them (MLflow's InputTag list), kept in order. */
  datasets?: readonly { datasetVersionId: number; role: string; tags?: readonly DatasetInputTag[] | null }[] | null;
  models?: readonly { modelVersionId: number; role: string }[] | null;
}

const MAX_INPUTS = 1000;

export function createRunInputs(db: Database, deps: { runs: RunService; recordEdges: EdgeRecorder; reads: DatasetReads; visibility: DatasetVisibility }) {
  const { runs, recordEdges, reads, visibility } = deps;
  const { prisma } = db;

  async function requireVisibleModelVersions(caller: Access, ids: readonly number[]): Promise<void> {
    const seen = new Set((await visibleModelVersions(caller, await modelVersionsByIds(db.sql, ids))).map((r) => r.version.id));
    const missing = ids.find((id) => !seen.has(id));
    if (missing !== undefined) throw new NotFoundError('ModelVersion', missing);
  }

  /** Every input link of one call in one transaction. */
  async function recordRunInputs(
    runId: number,
    datasets: readonly { datasetVersionId: number; role: string; tags?: readonly DatasetInputTag[] | null }[],
    models: readonly { modelVersionId: number; role: string }[],
  ): Promise<{ datasetInputsWritten: number; modelInputsWritten: number }> {
    const createdAt = new Date();
    return prisma.$transaction(async (tx) => {
      const ds = datasets.length
        ? await tx.runDatasetInput.createMany({
            data: datasets.map((d) => ({
              runId,
              datasetVersionId: d.datasetVersionId,
              role: d.role,
              tags: d.tags ? d.tags.map((t) => ({ key: t.key, value: t.value })) : undefined,
              createdAt,
            })),
            skipDuplicates: true,
          })
        : { count: 0 };
      const ms = models.length
        ? await tx.runModelInput.createMany({
            data: models.map((m) => ({ runId, modelVersionId: m.modelVersionId, role: m.role, createdAt })),
            skipDuplicates: true,
          })
        : { count: 0 };
      // One lineage edge per input (the first role logged names it); a repeat adds nothing.
      await recordEdges(
        tx,
        [
          ...datasets.map(
            (d) => ({ from: { type: 'DatasetVersion', id: d.datasetVersionId }, to: { type: 'Run', id: runId }, kind: 'INPUT_TO', role: d.role }) as const,
          ),
          ...models.map(
            (m) => ({ from: { type: 'ModelVersion', id: m.modelVersionId }, to: { type: 'Run', id: runId }, kind: 'INPUT_TO', role: m.role }) as const,
          ),
        ],
        createdAt,
      );
      return { datasetInputsWritten: ds.count, modelInputsWritten: ms.count };
    });
  }

  /** The sources of the logged versions, linked as reads of the OpenLineage datasets they name (not the version's own dataset). */
  async function linkSources(caller: Access, run: Run, logged: readonly { datasetVersionId: number; role: string }[]) {
    if (logged.length === 0) return;
    const rows = new Map((await datasetVersionsByIds(db.sql, [...new Set(logged.map((l) => l.datasetVersionId))])).map((r) => [r.version.id, r]));
    const sources = logged.flatMap((l) => {
      const row = rows.get(l.datasetVersionId);
      const ref = openLineageRefOf(row?.version.sourceUri);
      const own = ref && row && ref.namespace === row.dataset.namespace && ref.name === row.dataset.name;
      return row && ref && !own ? [{ sourceUri: row.version.sourceUri, role: l.role }] : [];
    });
    await linkSourceUris(caller, run, sources);
  }

  async function linkSourceUris(caller: Access, run: Run, sources: readonly { sourceUri: string | null; role: string }[]): Promise<OpenLineageRef[]> {
    const refs = sources.flatMap((s) => {
      const ref = openLineageRefOf(s.sourceUri);
      return ref ? [{ ...ref, role: s.role }] : [];
    });
    if (refs.length === 0) return [];
    // A user's run links only to data that user may see (decided when the link is made, which
    // may be when the dataset first arrives); global admins and the local user see everything.
    const actorUserId = isGlobalAdmin(caller) ? null : caller.userId;
    const now = new Date();
    await db.sql.transaction(async (tx) => {
      await reads.lock(tx, refs);
      for (const ref of refs) {
        await reads.record(
          tx,
          {
            namespace: ref.namespace,
            name: ref.name,
            reader: { type: 'Run', id: run.id },
            role: ref.role,
            version: ref.version ?? '',
            readAt: run.startedAt,
            mayWrite: false,
            actorUserId,
          },
          now,
        );
      }
    });
    return refs.map(({ role: _role, ...ref }) => ref);
  }

  /**
   * Links a run the caller may edit to the dataset and model versions it read, which the caller
   * must see (a hidden one is NOT_FOUND, like a missing one). Linking again changes nothing.
   */
  async function logInputs(caller: Access, input: LogInputsInput): Promise<{ run: Run; datasetInputsWritten: number; modelInputsWritten: number }> {
    const run = await runs.requireEditable(caller, input.runId);
    const datasets = (input.datasets ?? []).map((d, i) => {
      const tags = d.tags == null ? null : validateInputTags(`input.datasets[${i}].tags`, d.tags);
      return { ...d, role: requireRole(`input.datasets[${i}].role`, d.role), tags };
    });
    const models = (input.models ?? []).map((m, i) => ({ ...m, role: requireRole(`input.models[${i}].role`, m.role) }));
    if (datasets.length + models.length > MAX_INPUTS) throw new ValidationError('input', `at most ${MAX_INPUTS} inputs per call`);
    await visibility.requireVisibleVersions(caller, [...new Set(datasets.map((d) => d.datasetVersionId))]);
    await requireVisibleModelVersions(caller, [...new Set(models.map((m) => m.modelVersionId))]);
    const written = await recordRunInputs(run.id, datasets, models);
    await linkSources(caller, run, datasets);
    return { run, ...written };
  }

  /**
   * Links a training run to the OpenLineage dataset a source names (s3://raw/clicks, a Delta
   * or Iceberg table; see source-uri.ts), at the version the source names or, when it names
   * none, the version current when the run started, now or once that dataset's events arrive.
   * Every door's dataset inputs come here through logInputs; a door whose datasets bypass it
   * calls this with the source URI. Returns the OpenLineage datasets named.
   */
  async function linkSource(caller: Access, runId: number, sources: readonly { sourceUri: string | null; role: string }[]): Promise<OpenLineageRef[]> {
    const run = await runs.requireEditable(caller, runId);
    return linkSourceUris(caller, run, sources);
  }

  return { logInputs, linkSource };
}

function validateInputTags(field: string, tags: readonly DatasetInputTag[]): DatasetInputTag[] {
  if (tags.length > 100) throw new ValidationError(field, `at most 100 tags per input (got ${tags.length})`);
  tags.forEach((t, i) => {
    requireKey(`${field}[${i}].key`, t.key);
    requireMaxLength(`${field}[${i}].value`, t.value, LIMITS.tagValueLength);
  });
  return [...tags];
}
