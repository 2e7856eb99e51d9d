// Metrics: the logBatch ingest path (params, tags and points in one transaction) and history reads.
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { LIMITS, requireKey, requireMaxLength } from '../../validation.js';
import { claimBatch, insertParams, lockRunForWrite, recordBatchSummary, upsertTags } from '../runs/batch-store.js';
import type { Access } from '../auth/access.js';
import { runAccess } from '../runs/policy.js';
import { runsByIds } from '../runs/store.js';
import { type Run, type TagInput, validateTags } from '../runs/service.js';
import { readHistory } from './history.js';
import { type HistoriesOptions, readHistories } from './history-batch-store.js';
import { createRollupFolder, DEFAULT_FOLDER_OPTIONS, type RollupFolderOptions } from './rollup-folder.js';
import {
  insertPoints,
  insertRunPoints,
  MetricKeyCache,
  type PointRow,
  type SeriesCount,
  type StoredPoint,
  summariesForRuns,
  type SummaryRow,
} from './store.js';

export interface MetricPointInput {
  key: string;
  value: number;
  step?: number | null;
  timestamp?: Date | null;
}

/** Points of one key as columns: the i-th step, value and timestamp make one point. */
export interface MetricSeriesInput {
  key: string;
  steps: readonly number[];
  values: readonly number[];
  timestamps?: readonly Date[] | null;
}

export interface LogBatchInput {
  runId: number;
  /** Client-chosen id: a retried call with the same id returns the first result and writes nothing. */
  batchId?: string | null;
  params?: readonly { key: string; value: string }[] | null;
  metrics?: readonly MetricPointInput[] | null;
  series?: readonly MetricSeriesInput[] | null;
  tags?: readonly TagInput[] | null;
}

export interface LogBatchResult {
  runId: number;
  projectId: number;
  paramsWritten: number;
  tagsWritten: number;
  pointsWritten: number;
  pointsSkipped: number;
  replayed: boolean;
  /** Points this call inserted, in insertion order, for the live stream. */
  points: StoredPoint[];
  /**
   * Points each series this call added to holds now that it committed: the live stream's
   * sequence (a subscriber that counts fewer missed a batch). Empty when nothing was inserted.
   */
  counts: { key: string; count: number }[];
}

export interface MetricSeries {
  runId: number;
  key: string;
  totalPoints: number;
  sampled: boolean;
  /** Steps per bucket when sampled from rollups; null when every point is returned or buckets are by point count. */
  bucketSteps: number | null;
  points: { step: number; timestamp: Date; value: number }[];
  /** The same points as parallel lists (times in epoch ms), when the read made them so (many series at once). */
  columns?: SeriesColumns;
}

export interface SeriesColumns {
  steps: number[];
  values: number[];
  times: number[];
}

const made = new WeakMap<MetricSeries, SeriesColumns>();

/** A series' points as parallel lists, from whichever form it holds (made once per series). */
export function columnsOf(s: MetricSeries): SeriesColumns {
  if (s.columns) return s.columns;
  let columns = made.get(s);
  if (!columns) {
    columns = { steps: s.points.map((p) => p.step), values: s.points.map((p) => p.value), times: s.points.map((p) => p.timestamp.getTime()) };
    made.set(s, columns);
  }
  return columns;
}

function validateParams(params: readonly { key: string; value: string }[]) {
  if (params.length > LIMITS.paramsPerBatch) {
    throw new ValidationError('input.params', `at most ${LIMITS.paramsPerBatch} params per batch (got ${params.length})`);
  }
  const seen = new Map<string, string>();
  params.forEach((p, i) => {
    requireKey(`input.params[${i}].key`, p.key);
    requireMaxLength(`input.params[${i}].value`, p.value, LIMITS.paramValueLength);
    const earlier = seen.get(p.key);
    if (earlier !== undefined && earlier !== p.value) {
      throw new ValidationError(
        `input.params[${i}]`,
        `param "${p.key}" appears twice with different values (${JSON.stringify(earlier)} and ${JSON.stringify(p.value)})`,
      );
    }
    seen.set(p.key, p.value);
  });
  return [...seen].map(([key, value]) => ({ key, value }));
}

function validatePoints(metrics: readonly MetricPointInput[], series: readonly MetricSeriesInput[]) {
  const total = series.reduce((sum, s) => sum + s.steps.length, metrics.length);
  if (total > LIMITS.pointsPerBatch) {
    const field = series.length ? 'input.series' : 'input.metrics';
    throw new ValidationError(field, `at most ${LIMITS.pointsPerBatch} points per batch, metrics and series together (got ${total})`);
  }
  // A batch repeats a handful of keys; each distinct key is checked once, at its first use.
  const checked = new Set<string>();
  metrics.forEach((m, i) => {
    if (!checked.has(m.key)) {
      requireKey(`input.metrics[${i}].key`, m.key);
      checked.add(m.key);
    }
    if (typeof m.value !== 'number') throw new ValidationError(`input.metrics[${i}].value`, 'must be a number, "NaN", "Infinity" or "-Infinity"');
    if (m.step != null && !Number.isSafeInteger(m.step)) throw new ValidationError(`input.metrics[${i}].step`, 'must be an integer');
  });
  series.forEach((s, i) => {
    requireKey(`input.series[${i}].key`, s.key);
    if (s.values.length !== s.steps.length) {
      throw new ValidationError(`input.series[${i}].values`, `must have one entry per step (${s.steps.length}), got ${s.values.length}`);
    }
    if (s.timestamps && s.timestamps.length !== s.steps.length) {
      throw new ValidationError(`input.series[${i}].timestamps`, `must have one entry per step (${s.steps.length}), got ${s.timestamps.length}`);
    }
    const badStep = s.steps.findIndex((step) => !Number.isSafeInteger(step));
    if (badStep >= 0) throw new ValidationError(`input.series[${i}].steps[${badStep}]`, 'must be an integer');
  });
}

export interface MetricHooks {
  /**
   * Called with every logBatch result once its transaction committed (a retry that inserted
   * nothing included: subscribers then get each series' count), never from inside it.
   */
  afterCommit: (result: LogBatchResult) => void;
}

export function createMetricService(db: Database, log: Logger, hooks: MetricHooks, folderOptions: RollupFolderOptions = DEFAULT_FOLDER_OPTIONS) {
  const keys = new MetricKeyCache();
  const folder = createRollupFolder(db.sql, log, folderOptions);

  /** The series of these (run, key) pairs, bounded so one request stays a screen of charts. */
  async function readMany(
    series: { runId: number; key: string }[],
    requested: number | null | undefined,
    options: HistoriesOptions = {},
  ): Promise<MetricSeries[]> {
    const maxPoints = requested ?? 500;
    if (!Number.isInteger(maxPoints) || maxPoints < 2 || maxPoints > HISTORIES.maxPoints) {
      throw new ValidationError('maxPoints', `must be an integer from 2 to ${HISTORIES.maxPoints} (got ${maxPoints})`);
    }
    const total = series.length * maxPoints;
    if (total > HISTORIES.totalPoints) {
      throw new ValidationError(
        'maxPoints',
        `series x maxPoints must be at most ${HISTORIES.totalPoints.toLocaleString('en')} (got ${series.length} x ${maxPoints}); ask for fewer points per series`,
      );
    }
    const ids = await keys.existingIds(
      db.sql,
      series.map((s) => s.key),
    );
    return readHistories(
      db.sql,
      series.map((s) => ({ ...s, keyId: ids.get(s.key) ?? null })),
      maxPoints,
      options,
    );
  }

  const storedPoints = (points: readonly PointRow[]): StoredPoint[] =>
    points.map((p) => ({ key: keys.nameOf(p.keyId)!, step: p.step, timestamp: p.ts, value: p.value }));
  const seriesCounts = (counts: readonly SeriesCount[]) => counts.map((c) => ({ key: keys.nameOf(c.keyId)!, count: c.count }));

  /** Points alone need no transaction: one statement locks the run, inserts and answers. */
  async function logPointsOnly(runId: number, rows: readonly PointRow[]): Promise<LogBatchResult> {
    const { run, inserted, counts } = await insertRunPoints(db.sql, runId, rows);
    requireWritable(runId, run);
    return {
      ...emptyResult(runId, run.projectId),
      pointsWritten: inserted.length,
      pointsSkipped: rows.length - inserted.length,
      replayed: false,
      points: storedPoints(inserted),
      counts: seriesCounts(counts),
    };
  }

  /** Params, tags or a batch id: one transaction holding the run's lock throughout. */
  function logInTransaction(
    runId: number,
    { params, tags, batchId, rows }: { params: { key: string; value: string }[]; tags: TagInput[]; batchId: string | null; rows: PointRow[] },
  ): Promise<LogBatchResult> {
    return db.sql.transaction(async (tx) => {
      const run = await lockRunForWrite(tx, runId);
      requireWritable(runId, run);

      if (batchId !== null) {
        const replay = await claimBatch(tx, runId, batchId);
        if (replay) {
          // The answer the first call got, marked as a replay: nothing was written this time.
          const first = replay.replayOf as Partial<LogBatchResult>;
          return { ...emptyResult(runId, run.projectId), ...first, replayed: true, points: [], counts: [] };
        }
      }

      const { inserted: paramsWritten, stored } = await insertParams(tx, runId, params);
      for (const p of params) {
        const existing = stored.get(p.key);
        if (existing !== undefined && existing !== p.value) {
          throw new ConflictError(
            `param "${p.key}" is already ${JSON.stringify(existing)} and cannot change to ${JSON.stringify(p.value)}: params are immutable; log a tag or a new run instead`,
            { key: p.key, existing, attempted: p.value },
          );
        }
      }
      await upsertTags(tx, runId, tags);
      const { inserted: insertedPoints, counts } = await insertPoints(tx, rows);
      const result: LogBatchResult = {
        runId,
        projectId: run.projectId,
        paramsWritten,
        tagsWritten: tags.length,
        pointsWritten: insertedPoints.length,
        pointsSkipped: rows.length - insertedPoints.length,
        replayed: false,
        points: storedPoints(insertedPoints),
        counts: seriesCounts(counts),
      };
      if (batchId !== null) {
        const { points: _points, counts: _counts, ...summary } = result;
        await recordBatchSummary(tx, runId, batchId, summary);
      }
      return result;
    });
  }

  return {
    /** Logs to a run the caller may edit (EDITOR in its project); a deleted run refuses. */
    async logBatch(caller: Access, input: LogBatchInput): Promise<LogBatchResult> {
      await runAccess.requireFor(caller, async () => (await runsByIds(db.sql, [input.runId]))[0], 'EDITOR', input.runId);
      const params = validateParams(input.params ?? []);
      const tags = validateTags('input.tags', input.tags ?? []);
      const metrics = input.metrics ?? [];
      const series = input.series ?? [];
      validatePoints(metrics, series);
      const batchId = input.batchId == null ? null : input.batchId;
      if (batchId !== null && (batchId.length === 0 || batchId.length > LIMITS.idempotencyKeyLength)) {
        throw new ValidationError('input.batchId', `must be 1 to ${LIMITS.idempotencyKeyLength} characters`);
      }

      const keyIds = await keys.idsFor(db.sql, [...new Set([...metrics.map((m) => m.key), ...series.map((s) => s.key)])]);
      const now = new Date();
      const rows: PointRow[] = metrics.map((m) => ({
        runId: input.runId,
        keyId: keyIds.get(m.key)!,
        step: m.step ?? 0,
        ts: m.timestamp ?? now,
        value: m.value,
      }));
      for (const s of series) {
        const keyId = keyIds.get(s.key)!;
        s.steps.forEach((step, i) => rows.push({ runId: input.runId, keyId, step, ts: s.timestamps?.[i] ?? now, value: s.values[i]! }));
      }
      // Sorted so that concurrent batches touching the same points lock them in one order.
      rows.sort((a, b) => a.keyId - b.keyId || a.step - b.step || a.ts.getTime() - b.ts.getTime());

      const pointsOnly = params.length === 0 && tags.length === 0 && batchId === null && rows.length > 0;
      const result = pointsOnly ? await logPointsOnly(input.runId, rows) : await logInTransaction(input.runId, { params, tags, batchId, rows });
      if (result.pointsWritten > 0) folder.kick();
      hooks.afterCommit(result);
      return result;
    },

    /** Folds every queued point into the rollups now (tests, the seed, shutdown). */
    foldRollups(): Promise<void> {
      return folder.drain();
    },

    /** Stops the background fold; queued points stay queued for the next process or reader. */
    stop(): Promise<void> {
      return folder.stop();
    },

    /** Latest value, min, max and count of every metric of the runs the caller read. */
    async summaries(caller: Access, runs: readonly Run[]): Promise<SummaryRow[]> {
      return summariesForRuns(
        db.sql,
        (await runAccess.visible(caller, runs)).map((r) => r.id),
      );
    },

    /**
     * The same keys of many runs (a panel grid: 100 runs, a few metrics a request), every
     * run x key pair in that order, each whole and downsampled to at most maxPoints; a pair
     * the run never logged is empty. A fixed number of statements however many series. Every
     * run must be one the caller may see: a missing or hidden one is NOT_FOUND, named by its
     * entry in `refs` (how the caller named it) when given.
     */
    async histories(
      caller: Access,
      input: {
        runIds: readonly number[];
        refs?: readonly (string | number)[];
        keys: readonly string[];
        maxPoints?: number | null;
        significantDigits?: number | null;
        /** False when the reader shows no times (see readHistories): a cheaper read. */
        times?: boolean;
      },
    ): Promise<MetricSeries[]> {
      const { runIds, keys: names } = input;
      const digits = input.significantDigits ?? null;
      if (digits !== null && (!Number.isInteger(digits) || digits < 1 || digits > 17)) {
        throw new ValidationError('significantDigits', `must be an integer from 1 to 17 (got ${digits})`);
      }
      if (runIds.length === 0 || runIds.length > HISTORIES.runs) throw new ValidationError('runIds', `give 1 to ${HISTORIES.runs} runs (got ${runIds.length})`);
      if (names.length === 0 || names.length > HISTORIES.keys)
        throw new ValidationError('keys', `give 1 to ${HISTORIES.keys} metric keys (got ${names.length})`);
      names.forEach((k, i) => requireKey(`keys[${i}]`, k));
      const found = new Map((await runsByIds(db.sql, runIds)).map((r) => [r.id, r]));
      for (const [i, id] of runIds.entries()) await runAccess.require(caller, found.get(id), 'VIEWER', input.refs?.[i] ?? id);
      return readMany(
        runIds.flatMap((runId) => names.map((key) => ({ runId, key }))),
        input.maxPoints,
        { significantDigits: digits, times: input.times ?? true },
      );
    },

    /** For each run the caller read, the series of `keys` (every key it logged when null), as histories() reads them. */
    async runHistories(caller: Access, runs: readonly Run[], input: { keys: readonly string[] | null; maxPoints?: number | null }): Promise<MetricSeries[]> {
      input.keys?.forEach((k, i) => requireKey(`keys[${i}]`, k));
      if (input.keys && input.keys.length > HISTORIES.keys)
        throw new ValidationError('keys', `give at most ${HISTORIES.keys} metric keys (got ${input.keys.length})`);
      const runIds = (await runAccess.visible(caller, runs)).map((r) => r.id);
      if (runIds.length === 0) return [];
      const keysOf = input.keys ? new Map(runIds.map((id) => [id, [...input.keys!]])) : groupKeys(await summariesForRuns(db.sql, runIds));
      return readMany(
        runIds.flatMap((runId) => (keysOf.get(runId) ?? []).map((key) => ({ runId, key }))),
        input.maxPoints,
      );
    },

    /** One metric of a run the caller may see, downsampled to at most maxPoints. */
    async history(
      caller: Access,
      run: Run,
      input: { key: string; maxPoints?: number | null; fromStep?: number | null; toStep?: number | null },
    ): Promise<MetricSeries> {
      await runAccess.require(caller, run, 'VIEWER', run.id);
      requireKey('key', input.key);
      const maxPoints = input.maxPoints ?? 1000;
      if (!Number.isInteger(maxPoints) || maxPoints < 2 || maxPoints > 100_000) {
        throw new ValidationError('maxPoints', `must be an integer from 2 to 100000 (got ${maxPoints})`);
      }
      const empty: MetricSeries = { runId: run.id, key: input.key, totalPoints: 0, sampled: false, bucketSteps: null, points: [] };
      const keyId = await keys.existingId(db.sql, input.key);
      if (keyId === null) return empty;
      return readHistory(db.sql, { runId: run.id, keyId, key: input.key, maxPoints, fromStep: input.fromStep ?? null, toStep: input.toStep ?? null });
    },
  };
}

function groupKeys(rows: readonly SummaryRow[]): Map<number, string[]> {
  const keys = new Map<number, string[]>();
  for (const r of rows) keys.set(r.runId, [...(keys.get(r.runId) ?? []), r.key]);
  return keys;
}

/** Limits of one histories() read: a panel grid of 100 runs, its metrics a request at a time. */
export const HISTORIES = { runs: 100, keys: 50, maxPoints: 5000, totalPoints: 1_000_000 } as const;

function requireWritable(runId: number, run: { deletedAt: Date | null } | null): asserts run is { deletedAt: null } {
  if (!run) throw new NotFoundError('Run', runId);
  if (run.deletedAt) throw new ConflictError(`Run ${runId} is deleted; restore it before logging to it`, { runId });
}

function emptyResult(runId: number, projectId: number): Omit<LogBatchResult, 'replayed' | 'points' | 'counts'> {
  return { runId, projectId, paramsWritten: 0, tagsWritten: 0, pointsWritten: 0, pointsSkipped: 0 };
}

export type MetricService = ReturnType<typeof createMetricService>;
