// Readable references: resolves what a person types (clicks@aug, recommender@production,
// recommender/3, churn/xgb-baseline) to the lineage node it names, so a client needs one request.
import type { Database } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import type { NodeRef } from '../lineage/graph.js';
import { projectAccess } from '../projects/policy.js';

/** Whether the caller may read a project; a reference into an unreadable project is not found. */
export type CanRead = (projectId: number) => Promise<boolean>;

const PREFIXES = ['dataset', 'model', 'run'] as const;
type Prefix = (typeof PREFIXES)[number];

export const REF_FORMS = 'dataset@version, model@alias, model/version, project/run-name (optionally prefixed dataset:, model: or run:)';

/** Splits an optional `dataset:`/`model:`/`run:` prefix off a reference. */
export function parsePrefix(ref: string): { prefix: Prefix | null; rest: string } {
  const m = /^(dataset|model|run):(.+)$/.exec(ref);
  return m ? { prefix: m[1] as Prefix, rest: m[2]! } : { prefix: null, rest: ref };
}

export function createRefService(db: Database) {
  const { prisma } = db;

  async function visible<T extends { projectId: number }>(row: T | null, canRead: CanRead): Promise<T | null> {
    return row && (await canRead(row.projectId)) ? row : null;
  }

  /**
   * A reference names a dataset without its OpenLineage namespace: the one registered without a
   * namespace, else the only namespace that has that name (several: none, so nothing is guessed).
   */
  async function datasetNamed(name: string) {
    const rows = await prisma.dataset.findMany({ where: { name }, orderBy: { namespace: 'asc' }, take: 2 });
    if (rows[0]?.namespace === '' || rows.length === 1) return rows[0]!;
    return null;
  }

  async function datasetVersionAt(name: string, label: string, canRead: CanRead): Promise<NodeRef | null> {
    const dataset = await visible(await datasetNamed(name), canRead);
    if (!dataset) return null;
    const version = await prisma.datasetVersion.findUnique({ where: { datasetId_version: { datasetId: dataset.id, version: label } } });
    return version ? { type: 'DatasetVersion', id: version.id } : null;
  }

  async function modelVersionAt(name: string, aliasOrNumber: { alias: string } | { version: number }, canRead: CanRead): Promise<NodeRef | null> {
    const model = await visible(await prisma.registeredModel.findUnique({ where: { name } }), canRead);
    if (!model) return null;
    if ('alias' in aliasOrNumber) {
      const held = await prisma.modelAlias.findFirst({ where: { modelId: model.id, alias: aliasOrNumber.alias } });
      return held ? { type: 'ModelVersion', id: held.versionId } : null;
    }
    const version = await prisma.modelVersion.findUnique({ where: { modelId_version: { modelId: model.id, version: aliasOrNumber.version } } });
    return version ? { type: 'ModelVersion', id: version.id } : null;
  }

  /** The latest started, not deleted run of that name; project names may hold "/", so each split is tried. */
  async function runNamed(path: string, canRead: CanRead): Promise<NodeRef | null> {
    for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
      const project = await prisma.project.findUnique({ where: { name: path.slice(0, i) } });
      if (!project || !(await canRead(project.id))) continue;
      const run = await prisma.run.findFirst({
        where: { projectId: project.id, name: path.slice(i + 1), deletedAt: null },
        orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      });
      if (run) return { type: 'Run', id: run.id };
    }
    return null;
  }

  function ambiguous(field: string, ref: string, found: { prefix: Prefix }[]): never {
    const forms = found.map((f) => `${f.prefix}:${ref}`).join(' or ');
    throw new ValidationError(field, `${JSON.stringify(ref)} names more than one thing; write ${forms}`);
  }

  return {
    /**
     * The node a readable reference names. `name@x` is a dataset version (label x) or a model's
     * alias x; `name/n` a model version n or, with `project/run-name`, the latest run of that
     * name. When both readings exist the caller must choose with a prefix; none is NOT_FOUND.
     * Only what the caller may see is found.
     */
    async resolve(caller: Access, ref: string, field: string): Promise<NodeRef> {
      // A reference into a project the caller has no role in is not found.
      const canRead: CanRead = (projectId) => projectAccess.canSee(caller, { id: projectId });
      const trimmed = ref.trim();
      if (!trimmed) throw new ValidationError(field, `a reference is empty; expected ${REF_FORMS}`);
      const { prefix, rest } = parsePrefix(trimmed);
      const candidates: { prefix: Prefix; find: () => Promise<NodeRef | null> }[] = [];
      const at = rest.lastIndexOf('@');
      const slash = rest.lastIndexOf('/');
      if (at > 0 && at < rest.length - 1) {
        const [name, label] = [rest.slice(0, at), rest.slice(at + 1)];
        candidates.push({ prefix: 'dataset', find: () => datasetVersionAt(name, label, canRead) });
        candidates.push({ prefix: 'model', find: () => modelVersionAt(name, { alias: label }, canRead) });
      } else if (slash > 0 && slash < rest.length - 1) {
        const number = rest.slice(slash + 1);
        if (/^[1-9][0-9]{0,8}$/.test(number)) {
          candidates.push({ prefix: 'model', find: () => modelVersionAt(rest.slice(0, slash), { version: Number(number) }, canRead) });
        }
        candidates.push({ prefix: 'run', find: () => runNamed(rest, canRead) });
      } else {
        throw new ValidationError(field, `${JSON.stringify(ref)} is not a reference; expected ${REF_FORMS}`);
      }
      const wanted = prefix ? candidates.filter((c) => c.prefix === prefix) : candidates;
      if (wanted.length === 0) throw new ValidationError(field, `${JSON.stringify(ref)}: a ${prefix} reference has another form; expected ${REF_FORMS}`);
      const found = (await Promise.all(wanted.map(async (c) => ({ prefix: c.prefix, node: await c.find() })))).filter(
        (f): f is { prefix: Prefix; node: NodeRef } => f.node !== null,
      );
      if (found.length > 1) ambiguous(field, rest, found);
      if (found.length === 0) throw new NotFoundError(prefix ?? 'Reference', trimmed);
      return found[0]!.node;
    },
  };
}

export type RefService = ReturnType<typeof createRefService>;
