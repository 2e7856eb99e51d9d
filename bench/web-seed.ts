// The dashboard benchmark's own workloads, beside the 100,000 runs of bench-00 (bench/seed.ts):
//   - bench-web-mixed: one run whose loss has 200,000 steps and whose val_auc has 500 (an
//     evaluation metric on its own counter), the run that used to draw wrong and flood;
//   - bench-web-grid: 100 runs x 10 metrics x 10,000 steps (10,000,000 points), a panel grid.
// Both resume where an interrupted seed stopped (a series is complete when it has its points).
import { operatorAccess } from '../src/modules/auth/access.js';
import type { Database } from '../src/db/database.js';
import { insertPoints, type MetricKeyCache, type PointRow } from '../src/modules/metrics/store.js';
import { createProjectService } from '../src/modules/projects/service.js';
import { foldQueued } from './seed.js';
import { progressBar, prng } from './lib/progress.js';

export const MIXED_PROJECT = 'bench-web-mixed';
export const MIXED_RUN = 'mixed-length';
export const MIXED = { loss: 200_000, valAuc: 500 };
export const GRID_PROJECT = 'bench-web-grid';
export const GRID = { runs: 100, metrics: 10, steps: 10_000 };

async function ensureRun(db: Database, projectId: number, name: string, startedAt: Date): Promise<number> {
  const found = await db.sql.query<{ id: number }>('SELECT id FROM runs WHERE project_id = $1 AND client_run_id = $2', [projectId, name]);
  if (found[0]) return found[0].id;
  const made = await db.sql.query<{ id: number }>(
    `INSERT INTO runs (project_id, client_run_id, name, status, started_at, ended_at, updated_at) VALUES ($1, $2, $2, 'FINISHED', $3, $3::timestamptz + interval '6 hours', now()) RETURNING id`,
    [projectId, name, startedAt],
  );
  return made[0]!.id;
}

/** Writes the steps of a series it does not have yet, 10,000 points a transaction, folding as it goes. */
async function fillSeries(db: Database, runId: number, keyId: number, steps: number, point: (step: number) => { ts: Date; value: number }) {
  const have = (await db.sql.query<{ n: number }>('SELECT count FROM metric_summaries WHERE run_id = $1 AND key_id = $2', [runId, keyId]))[0]?.n ?? 0;
  if (Number(have) >= steps) return;
  const start = (
    await db.sql.query<{ n: number }>('SELECT coalesce(max(step) + 1, 0)::int8 AS n FROM metric_points WHERE run_id = $1 AND key_id = $2', [runId, keyId])
  )[0]!.n;
  for (let from = Number(start); from < steps; from += 10_000) {
    const rows: PointRow[] = [];
    for (let step = from; step < Math.min(from + 10_000, steps); step += 1) rows.push({ runId, keyId, step, ...point(step) });
    await db.sql.transaction((tx) => insertPoints(tx, rows));
    await foldQueued(db);
  }
}

export async function seedMixedRun(db: Database, keys: MetricKeyCache): Promise<void> {
  const { project } = await createProjectService(db).create(operatorAccess(), {
    name: MIXED_PROJECT,
    description: 'dashboard benchmark: metrics that end at different steps',
  });
  const t0 = Date.parse('2026-10-01T00:00:00Z');
  const runId = await ensureRun(db, project.id, MIXED_RUN, new Date(t0));
  const ids = await keys.idsFor(db.sql, ['loss', 'val_auc']);
  const random = prng(7);
  await fillSeries(db, runId, ids.get('loss')!, MIXED.loss, (step) => ({
    ts: new Date(t0 + step * 100),
    value: 2 * Math.exp(-step / 40_000) + 0.05 * random(),
  }));
  await fillSeries(db, runId, ids.get('val_auc')!, MIXED.valAuc, (step) => ({
    ts: new Date(t0 + step * 40_000),
    value: 0.6 + 0.35 * (1 - Math.exp(-step / 120)),
  }));
}

export async function seedPanelGrid(db: Database, keys: MetricKeyCache): Promise<void> {
  const { project } = await createProjectService(db).create(operatorAccess(), {
    name: GRID_PROJECT,
    description: 'dashboard benchmark: a panel grid of 100 runs',
  });
  const names = Array.from({ length: GRID.metrics }, (_, k) => `g${String(k).padStart(2, '0')}`);
  const ids = await keys.idsFor(db.sql, names);
  const bar = progressBar(`seed ${GRID.runs} runs x ${GRID.metrics} metrics x ${GRID.steps} steps`, GRID.runs);
  const t0 = Date.parse('2026-10-02T00:00:00Z');
  for (let r = 0; r < GRID.runs; r += 1) {
    const started = new Date(t0 + r * 600_000);
    const runId = await ensureRun(db, project.id, `grid-${String(r).padStart(3, '0')}`, started);
    await db.sql.query(`INSERT INTO params (run_id, key, value) VALUES ($1, 'lr', $2), ($1, 'opt', $3) ON CONFLICT DO NOTHING`, [
      runId,
      ['0.1', '0.01', '0.001', '0.0001'][r % 4],
      ['adam', 'sgd'][r % 2],
    ]);
    const random = prng(r + 1);
    for (const [k, name] of names.entries()) {
      const rate = 1500 + ((r * 37 + k * 11) % 4000);
      await fillSeries(db, runId, ids.get(name)!, GRID.steps, (step) => ({
        ts: new Date(started.getTime() + step * 1000),
        value: (k + 1) * Math.exp(-step / rate) + 0.02 * (k + 1) * random(),
      }));
    }
    bar.update(r + 1);
  }
}
