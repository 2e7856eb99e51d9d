// Tags of registered models and model versions (MLflow's registry tags): EDITOR on the model's
// project sets and removes them; whoever sees a model or version reads its tags.
import type { Database } from '../../db/database.js';
import { NotFoundError } from '../../errors.js';
import type { ModelVersion, RegisteredModel } from '../../generated/prisma/client.js';
import { LIMITS, requireKey, requireMaxLength } from '../../validation.js';
import type { Access, Role } from '../auth/access.js';
import { modelAccess } from './policy.js';

export interface RegistryTagDeps {
  requireModel(caller: Access, name: string, role: Role): Promise<RegisteredModel>;
  requireVersion(caller: Access, model: RegisteredModel, version: number, field: string): Promise<ModelVersion>;
  visibleOnly<V extends ModelVersion>(caller: Access, rows: readonly V[]): Promise<V[]>;
}

export function createRegistryTags(db: Database, deps: RegistryTagDeps) {
  const { prisma } = db;
  const validate = (key: string, value: string) => {
    requireKey('key', key);
    requireMaxLength('value', value, LIMITS.tagValueLength);
  };

  return {
    async setModelTag(caller: Access, name: string, key: string, value: string): Promise<void> {
      validate(key, value);
      const model = await deps.requireModel(caller, name, 'EDITOR');
      await prisma.$transaction([
        prisma.registeredModelTag.upsert({ where: { modelId_key: { modelId: model.id, key } }, create: { modelId: model.id, key, value }, update: { value } }),
        prisma.registeredModel.update({ where: { id: model.id }, data: { updatedAt: new Date() } }),
      ]);
    },

    /** Removes a model's tag; a key it lacks is NOT_FOUND. */
    async removeModelTag(caller: Access, name: string, key: string): Promise<void> {
      const model = await deps.requireModel(caller, name, 'EDITOR');
      const { count } = await prisma.registeredModelTag.deleteMany({ where: { modelId: model.id, key } });
      if (count === 0) throw new NotFoundError('RegisteredModelTag', key);
      await prisma.registeredModel.update({ where: { id: model.id }, data: { updatedAt: new Date() } });
    },

    async setVersionTag(caller: Access, name: string, version: number, key: string, value: string): Promise<void> {
      validate(key, value);
      const found = await deps.requireVersion(caller, await deps.requireModel(caller, name, 'EDITOR'), version, 'version');
      await prisma.$transaction([
        prisma.modelVersionTag.upsert({
          where: { versionId_key: { versionId: found.id, key } },
          create: { versionId: found.id, key, value },
          update: { value },
        }),
        prisma.modelVersion.update({ where: { id: found.id }, data: { updatedAt: new Date() } }),
      ]);
    },

    async removeVersionTag(caller: Access, name: string, version: number, key: string): Promise<void> {
      const found = await deps.requireVersion(caller, await deps.requireModel(caller, name, 'EDITOR'), version, 'version');
      const { count } = await prisma.modelVersionTag.deleteMany({ where: { versionId: found.id, key } });
      if (count === 0) throw new NotFoundError('ModelVersionTag', key);
      await prisma.modelVersion.update({ where: { id: found.id }, data: { updatedAt: new Date() } });
    },

    /** Tags of models the caller read. */
    async tagsOfModels(caller: Access, models: readonly RegisteredModel[]) {
      const ids = (await modelAccess.visible(caller, models)).map((m) => m.id);
      return ids.length ? prisma.registeredModelTag.findMany({ where: { modelId: { in: ids } }, orderBy: [{ modelId: 'asc' }, { key: 'asc' }] }) : [];
    },

    /** Tags of versions the caller read. */
    async tagsOfVersions(caller: Access, versions: readonly ModelVersion[]) {
      const ids = (await deps.visibleOnly(caller, versions)).map((v) => v.id);
      return ids.length ? prisma.modelVersionTag.findMany({ where: { versionId: { in: ids } }, orderBy: [{ versionId: 'asc' }, { key: 'asc' }] }) : [];
    },
  };
}
