// Incident questions over lineage: what a bad dataset, commit or run reached (`impact`), which
// model versions used some dataset (`models`), and which quarantined data lies upstream of a
// version (the promotion gate's quarantine rule, governance/gates.ts, refuses moves onto it).
import type { Database } from '../../db/database.js';
import { ConflictError, ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { isGlobalAdmin, readableProjects } from '../auth/policy.js';
import { visibleVersionIds } from '../datasets/policy.js';
import { visibleVersions } from '../registry/policy.js';
import type { ModelVersion } from '../registry/service.js';
import { modelVersionsByIds } from '../registry/store.js';
import type { NodeRef } from './graph.js';
import { aliasesHeld, datasetVersionLabels, datasetVersionsMatching } from './incidents-store.js';
import type { Quarantine, QuarantineService } from './quarantine.js';
import type { LineageService } from './service.js';
import { quarantinedUpstreamOf } from './store.js';

export interface DatasetVersionFilter {
  /** OpenLineage namespace of the dataset, verbatim. */
  namespace?: string | null;
  name?: string | null;
  version?: string | null;
  digest?: string | null;
  /** Coverage windows that overlap [start, end). */
  coverageOverlaps?: { start: Date; end: Date } | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export interface ImpactedVersion {
  modelVersionId: number;
  /** Aliases the version held at the instant asked (now when none). */
  aliases: string[];
}

/** The quarantined data upstream of one model version, as its caller may know it. */
export interface QuarantineOfVersion {
  modelVersionId: number;
  /** Quarantined dataset versions upstream that the caller may see. */
  visibleDatasetVersionIds: number[];
  /** How many others there are (in projects the caller has no role in): counted, never named. */
  hidden: number;
}

export interface ImpactOptions {
  aliases?: readonly string[] | null;
  at?: Date | null;
}

export interface QuarantinedInput extends Quarantine {
  dataset: string;
  version: string;
}

// A filter wide enough to match this many versions is almost certainly a mistake.
const MAX_MATCHED_VERSIONS = 10_000;

export function createIncidentService(db: Database, lineage: LineageService, quarantines: QuarantineService) {
  const { quarantinesOf } = quarantines.internal;
  const { reach } = lineage.internal;
  const { sql } = db;

  /** Dataset versions matching the filter that existed at `at` (or now), of datasets in `projectIds` (null: any). */
  async function matchDatasetVersions(
    filter: DatasetVersionFilter,
    at: Date | null,
    field = 'usedDataset',
    projectIds: readonly number[] | null = null,
  ): Promise<number[]> {
    const { namespace, name, version, digest, coverageOverlaps, createdAfter, createdBefore } = filter;
    if (!name && !version && !digest && !coverageOverlaps && !createdAfter && !createdBefore) {
      throw new ValidationError(field, 'give at least one of name, version, digest, coverageOverlaps, createdAfter, createdBefore');
    }
    if (coverageOverlaps && coverageOverlaps.end <= coverageOverlaps.start) {
      throw new ValidationError(`${field}.coverageOverlaps.end`, 'must be after start');
    }
    const rows = await datasetVersionsMatching(sql, filter, at, projectIds, MAX_MATCHED_VERSIONS + 1);
    if (rows.length > MAX_MATCHED_VERSIONS) {
      throw new ValidationError(field, `matches more than ${MAX_MATCHED_VERSIONS} dataset versions; narrow it down`);
    }
    return rows.map((r) => r.id);
  }

  /** The aliases each version held at `at` (by effective time), from the alias event history; now, from the alias table. */
  async function aliasesOf(versionIds: readonly number[], at: Date | null): Promise<Map<number, string[]>> {
    const result = new Map<number, string[]>(versionIds.map((id) => [id, []]));
    if (versionIds.length === 0) return result;
    const rows = await aliasesHeld(sql, versionIds, at);
    for (const row of rows) result.get(row.version_id)?.push(row.alias);
    return result;
  }

  async function withAliases(reached: { id: number }[], aliases: readonly string[] | null, at: Date | null): Promise<ImpactedVersion[]> {
    const held = await aliasesOf(
      reached.map((r) => r.id),
      at,
    );
    const wanted = aliases?.length ? new Set(aliases) : null;
    return reached.map((r) => ({ modelVersionId: r.id, aliases: held.get(r.id) ?? [] })).filter((v) => !wanted || v.aliases.some((a) => wanted.has(a)));
  }

  /** Of the versions reached, those the caller may see: an impact report never names what the caller could not read. */
  async function visibleReached(caller: Access, reached: readonly NodeRef[]): Promise<{ id: number }[]> {
    if (isGlobalAdmin(caller)) return [...reached];
    const visible = new Set(
      (
        await visibleVersions(
          caller,
          await modelVersionsByIds(
            sql,
            reached.map((r) => r.id),
          ),
        )
      ).map((v) => v.version.id),
    );
    return reached.filter((r) => visible.has(r.id));
  }

  async function impactOf(caller: Access, starts: readonly NodeRef[], options: ImpactOptions): Promise<ImpactedVersion[]> {
    const at = options.at ?? null;
    const reached = await visibleReached(caller, await reach(starts, 'DOWNSTREAM', 'ModelVersion', at));
    return withAliases(reached, options.aliases ?? null, at);
  }

  return {
    /** The aliases each version the caller read held at `at` (now when null). */
    async aliasesOf(caller: Access, versions: readonly ModelVersion[], at: Date | null): Promise<Map<number, string[]>> {
      const visible = await visibleReached(
        caller,
        versions.map((v) => ({ type: 'ModelVersion', id: v.id })),
      );
      return aliasesOf(
        visible.map((v) => v.id),
        at,
      );
    },

    /**
     * Model versions the caller may see downstream of a node they may see (dataset version,
     * commit, run, ...; NOT_FOUND otherwise), optionally only those holding one of `aliases`.
     */
    async impact(caller: Access, start: NodeRef, options: ImpactOptions, ref?: string): Promise<ImpactedVersion[]> {
      await lineage.requireVisibleNode(caller, start, ref);
      return impactOf(caller, [start], options);
    },

    /** Model versions the caller may see downstream of any of several nodes the caller read, e.g. a pipeline run and what it writes. */
    impactOf,

    /**
     * "Which production model used the August dataset": versions the caller may see downstream
     * of any matching dataset version the caller may see.
     */
    async models(caller: Access, options: { usedDataset: DatasetVersionFilter; alias?: string | null; at?: Date | null }): Promise<ImpactedVersion[]> {
      const at = options.at ?? null;
      const datasetVersionIds = await matchDatasetVersions(options.usedDataset, at, 'usedDataset', await readableProjects(caller));
      if (datasetVersionIds.length === 0) return [];
      const reached = await visibleReached(
        caller,
        await reach(
          datasetVersionIds.map((id) => ({ type: 'DatasetVersion', id })),
          'DOWNSTREAM',
          'ModelVersion',
          at,
        ),
      );
      return withAliases(reached, options.alias ? [options.alias] : null, at);
    },

    /**
     * For each model version the caller read (a page of versions, every alias of a model): the
     * quarantined dataset versions upstream of it, the data the promotion gate checks. Those the
     * caller may see are named (`visible`); the others, in projects the caller has no role in,
     * are only counted (`hidden`), as the gate's refusal does.
     */
    async quarantinedUpstreamOfMany(caller: Access, versions: readonly ModelVersion[]): Promise<QuarantineOfVersion[]> {
      const ids = (
        await visibleReached(
          caller,
          versions.map((v) => ({ type: 'ModelVersion', id: v.id })),
        )
      ).map((v) => v.id);
      if (ids.length === 0) return [];
      const rows = await quarantinedUpstreamOf(sql, ids);
      const seen = new Set(await visibleVersionIds(sql, caller, [...new Set(rows.map((r) => r.datasetVersionId))]));
      return ids.map((modelVersionId) => {
        const upstream = [...new Set(rows.filter((r) => r.modelVersionId === modelVersionId).map((r) => r.datasetVersionId))];
        const visible = upstream.filter((id) => seen.has(id));
        return { modelVersionId, visibleDatasetVersionIds: visible, hidden: upstream.length - visible.length };
      });
    },

    /** Quarantined dataset versions anywhere upstream of a model version (through derived data and base models). */
    async quarantinedUpstream(modelVersionId: number): Promise<QuarantinedInput[]> {
      const upstream = await reach([{ type: 'ModelVersion', id: modelVersionId }], 'UPSTREAM', 'DatasetVersion', null);
      const quarantines = await quarantinesOf(upstream.map((n) => n.id));
      if (quarantines.length === 0) return [];
      const labels = await datasetVersionLabels(
        sql,
        quarantines.map((q) => q.datasetVersionId),
      );
      const byId = new Map(labels.map((l) => [l.id, l]));
      return quarantines.map((q) => ({ ...q, dataset: byId.get(q.datasetVersionId)?.dataset ?? '?', version: byId.get(q.datasetVersionId)?.version ?? '?' }));
    },
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;

/**
 * The refusal of a promotion onto quarantined data, naming every quarantined input the caller
 * may see and counting the others (in projects they have no role in) without naming them.
 */
export function quarantineConflict(field: string, target: string, inputs: readonly QuarantinedInput[], hidden = 0): ConflictError {
  const named = inputs.map((q) => `${q.dataset}@${q.version} (quarantined by ${q.by ?? 'unknown'}: ${q.reason})`);
  if (hidden > 0) named.push(`${hidden} quarantined dataset version${hidden === 1 ? '' : 's'} in projects you have no role in`);
  return new ConflictError(
    `${field}: ${target} was trained on quarantined data: ${named.join('; ')}. Pass override: { reason } to promote it anyway; the override is recorded in the alias history`,
    {
      field,
      quarantinedDatasetVersions: inputs.map((q) => ({ dataset: q.dataset, version: q.version, reason: q.reason })),
      hiddenQuarantinedDatasetVersions: hidden,
    },
  );
}
