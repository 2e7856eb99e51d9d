// The model registry over real HTTP: version numbering, aliases, point-in-time lookups,
// rollback, and a history no mutation (or SQL) can rewrite.
import { describe, expect, it } from 'vitest';
import {
  AliasAtDocument,
  CreateModelVersionDocument,
  ModelAliasesDocument,
  RemoveModelAliasDocument,
  RollbackModelAliasDocument,
  SetModelAliasDocument,
} from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { newArtifact, newModelVersion } from '../support/registry-factories.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A model with `count` versions, each from its own run. */
async function modelWithVersions(count: number, user = 'ana') {
  const s = server();
  const project = await newProject(s.client, 'registry');
  const model = uniqueName('churn-model');
  const versions = [];
  for (let i = 0; i < count; i += 1) {
    const run = await newRun(s.client, project, { name: `train-${i + 1}`, user });
    versions.push(await newModelVersion(s, s.client, model, run.id));
  }
  return { model, versions, project };
}

async function history(model: string) {
  const { registeredModel } = await server().client.data(ModelAliasesDocument, { name: model, alias: 'production' });
  return registeredModel!.history;
}

describe('model versions', () => {
  it('numbers versions per model from 1, even when registered concurrently, and a retry returns the same version', async () => {
    const s = server();
    const project = await newProject(s.client, 'registry');
    const model = uniqueName('concurrent-model');
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => newRun(s.client, project, { name: `r${i}` })));
    const artifacts = await Promise.all(runs.map((r) => newArtifact(s, r.id, 'model.pt', 'MODEL')));
    const created = await Promise.all(artifacts.map((a) => s.client.data(CreateModelVersionDocument, { input: { model, artifactId: a.id } })));
    expect(created.map((c) => c.createModelVersion.modelVersion.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);

    const retried = await Promise.all([0, 1].map(() => s.client.data(CreateModelVersionDocument, { input: { model, artifactId: artifacts[0]!.id } })));
    for (const r of retried) {
      expect(r.createModelVersion.created).toBe(false);
      expect(r.createModelVersion.modelVersion.id).toBe(created[0]!.createModelVersion.modelVersion.id);
    }
    const { registeredModel } = await s.client.data(ModelAliasesDocument, { name: model, alias: 'production' });
    expect(registeredModel?.versions.edges.map((e) => e.node.version)).toEqual([6, 5, 4, 3, 2, 1]);
  });

  it('registers only MODEL or CHECKPOINT artifacts and records who registered it', async () => {
    const s = server();
    const run = await newRun(s.client, await newProject(s.client, 'registry'), { user: 'ana' });
    const plot = await newArtifact(s, run.id, 'loss.png', 'PLOT');
    const err = await s.client.error(CreateModelVersionDocument, { input: { model: uniqueName('m'), artifactId: plot.id } });
    expect(err.extensions?.code).toBe('BAD_USER_INPUT');
    expect(err.message).toMatch(/^input\.artifactId: must be a MODEL or CHECKPOINT artifact/);

    const weights = await newArtifact(s, run.id, 'w.pt', 'MODEL');
    // Who registered it, never who trained it: with no user named, the local actor.
    const unnamed = await s.client.data(CreateModelVersionDocument, { input: { model: uniqueName('m'), artifactId: weights.id } });
    expect(unnamed.createModelVersion.modelVersion.createdBy).toBe('local');
    const byHeader = await s.as('ben').data(CreateModelVersionDocument, { input: { model: uniqueName('m'), artifactId: weights.id } });
    expect(byHeader.createModelVersion.modelVersion.createdBy).toBe('ben');
  });
});

describe('aliases and their history', () => {
  it('answers alias and aliasAt at every instant across several changes, with who, when, from, to and why', async () => {
    const s = server();
    const { model } = await modelWithVersions(3);
    const before = new Date(Date.now() - 60_000).toISOString();
    const set = async (version: number, reason: string, user = 'ops-oncall') => {
      await pause(5); // distinct milliseconds, so each instant names one state
      return (await s.as(user).data(SetModelAliasDocument, { input: { model, alias: 'production', version, reason } })).setModelAlias;
    };
    const e1 = (await set(1, 'first launch')).event!;
    const e2 = (await set(2, 'better AUC')).event!;
    await pause(5);
    const removed = (await s.as('ops-oncall').data(RemoveModelAliasDocument, { input: { model, alias: 'production', reason: 'incident 42' } }))
      .removeModelAlias;
    const e3 = removed.event!;
    const e4 = (await set(3, 'fixed pipeline')).event!;
    expect(removed).toMatchObject({ changed: true, version: null });
    expect(e2).toMatchObject({ action: 'SET', from: { version: 1 }, to: { version: 2 }, who: 'ops-oncall', reason: 'better AUC' });
    expect(e3).toMatchObject({ action: 'REMOVE', from: { version: 2 }, to: null, reason: 'incident 42' });

    const at = async (instant: string) =>
      (await s.client.data(AliasAtDocument, { name: model, alias: 'production', at: instant })).registeredModel?.aliasAt?.version ?? null;
    const minus1 = (iso: string) => new Date(new Date(iso).getTime() - 1).toISOString();
    expect(await at(before)).toBeNull();
    expect(await at(minus1(e1.at))).toBeNull();
    expect(await at(e1.at)).toBe(1);
    expect(await at(minus1(e2.at))).toBe(1);
    expect(await at(e2.at)).toBe(2);
    expect(await at(e3.at)).toBeNull();
    expect(await at(minus1(e4.at))).toBeNull();
    expect(await at(e4.at)).toBe(3);
    expect(await at(new Date(Date.now() + 60_000).toISOString())).toBe(3);

    const { registeredModel } = await s.client.data(ModelAliasesDocument, { name: model, alias: 'production' });
    expect(registeredModel?.alias?.version).toBe(3);
    expect(registeredModel?.aliases).toEqual([{ alias: 'production', since: e4.at, version: { version: 3 } }]);
    expect(registeredModel?.history.map((e) => [e.action, e.from?.version ?? null, e.to?.version ?? null])).toEqual([
      ['SET', null, 1],
      ['SET', 1, 2],
      ['REMOVE', 2, null],
      ['SET', null, 3],
    ]);
    expect(registeredModel?.versions.edges.find((e) => e.node.version === 3)?.node.aliases).toEqual(['production']);
  });

  it('rolls production back to the previous version in one mutation, recorded as a new event', async () => {
    const s = server();
    const { model } = await modelWithVersions(3);
    for (const version of [1, 2, 3]) await s.client.data(SetModelAliasDocument, { input: { model, alias: 'production', version } });

    const noReason = await s.client.error(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: '  ' } });
    expect(noReason.extensions?.code).toBe('BAD_USER_INPUT');
    expect(noReason.message).toMatch(/^input\.reason: /);

    const rolled = (
      await s.as('oncall').data(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: 'v3 drops AUC on mobile', fromVersion: 3 } })
    ).rollbackModelAlias;
    expect(rolled).toMatchObject({
      changed: true,
      version: { version: 2 },
      event: { action: 'ROLLBACK', from: { version: 3 }, to: { version: 2 }, who: 'oncall', reason: 'v3 drops AUC on mobile' },
    });

    // The same call retried (fromVersion no longer current) changes nothing.
    const retried = (
      await s.as('oncall').data(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: 'v3 drops AUC on mobile', fromVersion: 3 } })
    ).rollbackModelAlias;
    expect(retried).toMatchObject({ changed: false, version: { version: 2 }, event: null });
    expect((await history(model)).length).toBe(4);

    const { registeredModel } = await s.client.data(ModelAliasesDocument, { name: model, alias: 'production' });
    expect(registeredModel?.alias?.version).toBe(2);
  });

  it('refuses a rollback with nothing before, unknown versions and bad alias names', async () => {
    const s = server();
    const { model } = await modelWithVersions(1);
    const never = await s.client.error(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: 'x' } });
    expect(never.extensions?.code).toBe('CONFLICT');
    await s.client.data(SetModelAliasDocument, { input: { model, alias: 'production', version: 1 } });
    const first = await s.client.error(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: 'x', fromVersion: 1 } });
    expect(first.extensions?.code).toBe('CONFLICT');
    expect((await s.client.error(SetModelAliasDocument, { input: { model, alias: 'production', version: 9 } })).extensions?.code).toBe('NOT_FOUND');
    expect((await s.client.error(SetModelAliasDocument, { input: { model: uniqueName('nope'), alias: 'production', version: 1 } })).extensions?.code).toBe(
      'NOT_FOUND',
    );
    const bad = await s.client.error(SetModelAliasDocument, { input: { model, alias: 'prod uction', version: 1 } });
    expect(bad.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toMatch(/^input\.alias: /);
  });

  it('records who acted, never who trained: "local" when authentication is off and no x-runledger-user is sent', async () => {
    const s = server();
    const { model } = await modelWithVersions(2, 'carla');
    const set = (await s.client.data(SetModelAliasDocument, { input: { model, alias: 'staging', version: 1 } })).setModelAlias.event!;
    await s.client.data(SetModelAliasDocument, { input: { model, alias: 'staging', version: 2 } });
    const rolled = (await s.client.data(RollbackModelAliasDocument, { input: { model, alias: 'staging', reason: 'regression', fromVersion: 2 } }))
      .rollbackModelAlias.event!;
    const removed = (await s.client.data(RemoveModelAliasDocument, { input: { model, alias: 'staging' } })).removeModelAlias.event!;
    expect([set.who, rolled.who, removed.who]).toEqual(['local', 'local', 'local']);
    const named = (await s.as('dmitri').data(SetModelAliasDocument, { input: { model, alias: 'staging', version: 2 } })).setModelAlias.event!;
    expect(named.who).toBe('dmitri');
  });

  it('cannot have its history altered by any mutation: it only grows, and earlier events never change', async () => {
    const s = server();
    const { model } = await modelWithVersions(3);
    const attempts: (() => Promise<unknown>)[] = [
      () => s.client.request(SetModelAliasDocument, { input: { model, alias: 'production', version: 1, reason: 'launch' } }),
      () => s.client.request(SetModelAliasDocument, { input: { model, alias: 'production', version: 1, reason: 'same again' } }),
      () => s.client.request(SetModelAliasDocument, { input: { model, alias: 'production', version: 2 } }),
      () => s.client.request(SetModelAliasDocument, { input: { model, alias: 'staging', version: 3 } }),
      () => s.client.request(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: 'regression' } }),
      () => s.client.request(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: 'regression', fromVersion: 2 } }),
      () => s.client.request(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: 'stale', fromVersion: 3 } }),
      () => s.client.request(RemoveModelAliasDocument, { input: { model, alias: 'production', reason: 'pull it' } }),
      () => s.client.request(RemoveModelAliasDocument, { input: { model, alias: 'production', reason: 'again' } }),
      () => s.client.request(RollbackModelAliasDocument, { input: { model, alias: 'production', reason: 'restore' } }),
      () => s.client.request(SetModelAliasDocument, { input: { model, alias: 'production', version: 99 } }),
      () => s.client.request(SetModelAliasDocument, { input: { model, alias: '', version: 1 } }),
      () => s.client.request(RemoveModelAliasDocument, { input: { model, alias: 'never-set' } }),
      () => s.client.request(CreateModelVersionDocument, { input: { model, artifactId: 'QXJ0aWZhY3Q6OTk5OTk5' } }),
    ];
    let previous = await history(model);
    for (const attempt of attempts) {
      await attempt();
      const now = await history(model);
      expect(now.length).toBeGreaterThanOrEqual(previous.length);
      expect(now.slice(0, previous.length)).toEqual(previous);
      previous = now;
    }
    expect(previous.length).toBe(6);

    // The API offers no way to edit or delete events.
    const schema = (await s.client.data<{ __type: { fields: { name: string }[] } }, Record<string, never>>('{ __type(name: "Mutation") { fields { name } } }'))
      .__type;
    const aliasMutations = schema.fields.map((f) => f.name).filter((n) => /alias|history|event/i.test(n));
    // (protectAlias/unprotectAlias decide which moves need approval; they write no event.)
    expect(aliasMutations.sort()).toEqual(['protectAlias', 'removeModelAlias', 'rollbackModelAlias', 'setModelAlias', 'unprotectAlias']);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of model_alias_events at the database level', async () => {
    const s = server();
    const { model } = await modelWithVersions(1);
    await s.client.data(SetModelAliasDocument, { input: { model, alias: 'production', version: 1, reason: 'launch' } });
    const before = await history(model);
    const sql = s.app.db.sql;
    await expect(sql.query(`UPDATE model_alias_events SET reason = 'rewritten' WHERE alias = 'production'`)).rejects.toThrow(/append-only/);
    await expect(sql.query(`DELETE FROM model_alias_events`)).rejects.toThrow(/append-only/);
    await expect(sql.query(`TRUNCATE model_alias_events CASCADE`)).rejects.toThrow(/append-only/);
    expect(await history(model)).toEqual(before);
  });
});
