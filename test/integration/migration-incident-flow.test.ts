// The incident_flow migration on a database that already has history: existing alias events
// take effect when they were recorded, existing quarantines become the first events of the
// quarantine history, and the alias history stays append-only throughout.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { expect, it } from 'vitest';
import { migrationsDir as dir } from '../../src/db/schema-engine.js';

const migrations = readdirSync(dir)
  .filter((d) => /^\d+_/.test(d))
  .sort();
const target = migrations.findIndex((d) => d.endsWith('_incident_flow'));
const apply = (db: PGlite, name: string) => db.exec(readFileSync(path.join(dir, name, 'migration.sql'), 'utf8'));

it('backfills effective_at and the quarantine history from rows written before it', async () => {
  const db = await PGlite.create();
  try {
    for (const name of migrations.slice(0, target)) await apply(db, name);
    await db.exec(`
      INSERT INTO projects (name) VALUES ('p');
      INSERT INTO runs (project_id, name) VALUES (1, 'r');
      INSERT INTO artifacts (run_id, name, kind, digest, size_bytes, media_type, created_at) VALUES (1, 'm', 'MODEL', 'd', 1, 'x', now());
      INSERT INTO registered_models (name, project_id, created_at) VALUES ('m', 1, now());
      INSERT INTO model_versions (model_id, version, run_id, artifact_id, created_at) VALUES (1, 1, 1, 1, now());
      INSERT INTO model_alias_events (model_id, alias, action, to_version_id, actor, at) VALUES (1, 'production', 'SET', 1, 'ana', '2026-01-02T03:04:05.678Z');
      INSERT INTO datasets (name, project_id, created_at) VALUES ('d', 1, now());
      INSERT INTO dataset_versions (dataset_id, version, digest, created_at) VALUES (1, 'v1', 'x', now());
      INSERT INTO dataset_quarantines (dataset_version_id, reason, quarantined_by, at) VALUES (1, 'bad rows', 'bob', '2026-01-03T00:00:00Z');
    `);
    await apply(db, migrations[target]!);

    const events = await db.query<{ at: Date; effective_at: Date }>('SELECT at, effective_at FROM model_alias_events');
    expect(events.rows.map((e) => [e.at.toISOString(), e.effective_at.toISOString()])).toEqual([['2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z']]);
    // A writer that leaves effective_at out (older code on a shared database, the bench seed) still works.
    await db.exec(
      `INSERT INTO model_alias_events (model_id, alias, action, from_version_id, actor, at) VALUES (1, 'production', 'REMOVE', 1, 'ana', '2026-01-04T00:00:00Z')`,
    );
    expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM model_alias_events WHERE effective_at = at`)).rows[0]!.n).toBe(2);
    await expect(db.exec(`UPDATE model_alias_events SET effective_at = now()`)).rejects.toThrow(/append-only/);

    const history = await db.query<{ action: string; reason: string; actor: string }>('SELECT action, reason, actor FROM dataset_quarantine_events');
    expect(history.rows).toEqual([{ action: 'QUARANTINE', reason: 'bad rows', actor: 'bob' }]);
  } finally {
    await db.close();
  }
});
