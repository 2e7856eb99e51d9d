// Retention: a dry-run report first (nothing removed), then applying it soft-deletes old runs,
// downsamples old metric history to its rollups (rollup reads unchanged), and, after the grace
// period, purges deleted runs and the bytes no artifact refers to any more, while blobs shared
// with a kept run, pinned runs and every run a registered model's lineage needs stay. Audited.
// On both stores: the local directory, and S3 when TEST_S3_ENDPOINT names one.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore } from '../../src/modules/artifacts/open-store.js';
import { mlflowRunId } from '../../src/modules/runs/mlflow-id.js';
import { decodeGlobalID } from '@pothos/plugin-relay';
import {
  ApplyRetentionDocument,
  AuditEventsDocument,
  CreateModelVersionDocument,
  FinishRunDocument,
  MetricHistoryDocument,
  PlanRetentionDocument,
  SetRetentionPolicyDocument,
} from '../generated/graphql.js';
import { newProject, newRun, logPoints } from '../support/factories.js';
import { newArtifact } from '../support/registry-factories.js';
import { prefixOf, removePrefix, s3Client, s3ServerEnv, s3SkipReason, testS3 } from '../support/s3.js';
import { testConfig, useServer } from '../support/server.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const num = (id: string) => Number(decodeGlobalID(id).id);

if (s3SkipReason) console.warn(`retention on S3 not run: ${s3SkipReason}`);

const stores: [string, () => Record<string, string>, string | null][] = [
  ['local directory', () => ({}), null],
  ['S3', () => s3ServerEnv(testS3()!, 'retain'), s3SkipReason],
];

for (const [name, envOf, skip] of stores) {
  describe.skipIf(skip !== null)(`retention on ${name}`, () => {
    const env = skip === null ? envOf() : {};
    const server = useServer(() => testConfig({ ...env, RUNLEDGER_RETENTION_BLOB_QUIET_MS: '0' }));
    afterAll(async () => {
      if (env.RUNLEDGER_ARTIFACT_STORE) await removePrefix(s3Client(testS3()!), testS3()!.bucket, prefixOf(env));
    });

    let project: string;
    const runs: Record<string, string> = {};
    const artifacts: Record<string, string> = {};
    let orphan: string;

    async function oldRun(name: string, days: number, extra: Record<string, unknown> = {}) {
      const { client } = server();
      const run = await newRun(client, project, { name, startedAt: ago(days), ...extra });
      await client.data(FinishRunDocument, { input: { runId: run.id, endedAt: ago(days - 0.01) } });
      runs[name] = run.id;
      return run.id;
    }

    beforeAll(async () => {
      const { client } = server();
      project = await newProject(client, 'retain');
      const sharedBytes = `shared ${randomUUID()}`;
      const old = await oldRun('old', 100);
      await logPoints(client, old, [{ key: 'loss', value: 1, step: 1 }], { params: [{ key: 'lr', value: '0.1' }] });
      artifacts.notes = (await newArtifact(server(), old, 'notes.txt', 'OTHER', `notes ${randomUUID()}`)).id;
      artifacts.sharedOld = (await newArtifact(server(), old, 'shared.bin', 'OTHER', sharedBytes)).id;
      await oldRun('pinned', 100, { tags: [{ key: 'runledger.pinned', value: 'true' }] });
      const parent = await oldRun('sweep', 100);
      const trained = await oldRun('trained', 100, { parentRunId: parent });
      const weights = await newArtifact(server(), trained, 'model/weights.pt', 'MODEL');
      await client.data(CreateModelVersionDocument, { input: { model: `${project}-model`, artifactId: weights.id } });
      const fresh = await newRun(client, project, { name: 'fresh' });
      runs.fresh = fresh.id;
      artifacts.sharedNew = (await newArtifact(server(), fresh.id, 'shared.bin', 'OTHER', sharedBytes)).id;
      const long = await oldRun('long', 40);
      const points = Array.from({ length: 1000 }, (_, step) => ({ key: 'loss', value: Math.sin(step / 7) + (step === 613 ? 5 : 0), step }));
      await logPoints(client, long, points);
      // Bytes no artifact refers to (left by an upload whose row never came).
      const store = openArtifactStore(server().app.config.artifacts);
      orphan = (
        await store.put(
          (async function* () {
            yield Buffer.from(`orphan ${randomUUID()}`);
          })(),
          { maxBytes: 1000 },
        )
      ).digest;
    });

    describe('retention', () => {
      it('reports first, removing nothing, and keeps pinned runs and every run a registered model needs', async () => {
        const { client } = server();
        const policy = (await client.data(SetRetentionPolicyDocument, { input: { project, deleteRunsAfterDays: 90, graceDays: 0, downsampleAfterDays: 30 } }))
          .setRetentionPolicy;
        expect(policy).toEqual({ deleteRunsAfterDays: 90, graceDays: 0, downsampleAfterDays: 30 });
        const before = await client.data(MetricHistoryDocument, { id: runs.long!, key: 'loss', maxPoints: 100_000 });
        const { planRetention } = await client.data(PlanRetentionDocument, { input: { project } });
        const report = planRetention.report as Record<string, any>;
        expect(report.delete.map((r: { name: string }) => r.name)).toEqual(['old']);
        expect(report.protectedRuns).toBe(2);
        expect(report.purge).toEqual([]);
        expect(report.downsample.map((r: { name: string }) => r.name)).toEqual(['long']);
        expect(report.downsample[0].points).toBe(1000);
        expect(planRetention.pointsToRemove).toBeGreaterThan(800);
        expect(report.orphanBlobs.map((b: { digest: string }) => b.digest)).toEqual([orphan]);
        const after = await client.data(MetricHistoryDocument, { id: runs.long!, key: 'loss', maxPoints: 100_000 });
        expect(after.run?.metricHistory.points).toHaveLength(before.run!.metricHistory.points.length);
      });

      it('applies a plan once: old runs soft-deleted, history thinned to its rollup extremes, orphan bytes freed, each audited', async () => {
        const { client } = server();
        const sampled = await client.data(MetricHistoryDocument, { id: runs.long!, key: 'loss', maxPoints: 100 });
        const { planRetention } = await client.data(PlanRetentionDocument, { input: { project } });
        const applied = (await client.data(ApplyRetentionDocument, { input: { plan: planRetention.id } })).applyRetention;
        const result = applied.result as Record<string, any>;
        expect(result.deletedRuns).toEqual([mlflowRunId(num(runs.old!))]);
        expect(result.downsampledRuns).toEqual([mlflowRunId(num(runs.long!))]);
        expect(result.pointsRemoved).toBe(planRetention.pointsToRemove);
        expect(result.blobsDeleted).toEqual([orphan]);
        expect((await client.error(ApplyRetentionDocument, { input: { plan: planRetention.id } })).extensions?.code).toBe('CONFLICT');

        // Reads from the rollups are what they were; a full read has the extremes and the last point.
        expect((await client.data(MetricHistoryDocument, { id: runs.long!, key: 'loss', maxPoints: 100 })).run?.metricHistory.points).toEqual(
          sampled.run!.metricHistory.points,
        );
        const full = (await client.data(MetricHistoryDocument, { id: runs.long!, key: 'loss', maxPoints: 100_000 })).run!.metricHistory;
        expect(full.points.length).toBeLessThan(200);
        expect(full.points.some((p) => p.step === 613)).toBe(true);
        expect(full.points.at(-1)!.step).toBe(999);

        const { auditEvents } = await client.data(AuditEventsDocument, { first: 20, filter: { operation: 'retention.softDeleteRuns' } });
        expect(auditEvents.edges.map((e) => e.node.targetIds).flat()).toContain(mlflowRunId(num(runs.old!)));
      });

      it('purges deleted runs after the grace period; bytes another run shares stay', async () => {
        const { client } = server();
        const { planRetention } = await client.data(PlanRetentionDocument, { input: { project } });
        const report = planRetention.report as Record<string, any>;
        expect(report.purge.map((r: { name: string }) => r.name)).toEqual(['old']);
        expect(report.blobs).toHaveLength(1);
        const applied = (await client.data(ApplyRetentionDocument, { input: { plan: planRetention.id } })).applyRetention.result as Record<string, any>;
        expect(applied.purgedRuns).toEqual([mlflowRunId(num(runs.old!))]);
        expect(applied.blobsDeleted).toEqual([report.blobs[0].digest]);

        const get = (id: string) => fetch(`${server().url}/artifacts/${encodeURIComponent(id)}`).then((r) => r.status);
        expect(await get(artifacts.notes!)).toBe(404);
        expect(await get(artifacts.sharedOld!)).toBe(404);
        expect(await get(artifacts.sharedNew!)).toBe(200);
        // The run stays as a tombstone in lineage: deleted, with nothing left in it.
        const tomb = await client.data<{ run: { deletedAt: string | null; params: unknown[]; metrics: unknown[]; artifacts: unknown[] } }, object>(
          'query($id: ID!) { run(id: $id) { deletedAt params { key } metrics { key } artifacts { id } } }',
          { id: runs.old },
        );
        expect(tomb.run).toMatchObject({ params: [], metrics: [], artifacts: [] });
        expect(tomb.run.deletedAt).not.toBeNull();
        const lineage = await client.request('query($id: ID!) { lineage(id: $id, direction: BOTH) { nodes { label } } }', { id: runs.old });
        expect(lineage.errors).toBeUndefined();
        const { auditEvents } = await client.data(AuditEventsDocument, { first: 20, filter: { operation: 'retention.deleteBlobs' } });
        expect(auditEvents.edges.map((e) => e.node.targetIds).flat()).toContain(report.blobs[0].digest);
      });
    });
  });
}
