// GraphQL of lineage: the graph types, `lineage` and `lineagePath`, code commits as nodes, and
// a `lineage` field on every entity that is a lineage node.
import { brandWithType, type ObjectRef } from '@pothos/core';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { CodeCommit } from '../../generated/prisma/client.js';
import { runLoader } from '../runs/loaders.js';
import { RunRef } from '../runs/schema.js';
import type { Run } from '../runs/service.js';
import { EDGE_KINDS, type LineageEdge, NODE_TYPES, type NodeRef, type NodeType, type ReachedNode } from './graph.js';
import { loadNodes } from '../../loaders.js';
import { codeCommitLoader, lineageLoader } from './loaders.js';
import { isAnonymized } from './redact.js';
import { clampDepth, type LineageQuery } from './service.js';

// ---- node ids -------------------------------------------------------------------------------

/** Decodes a global id of any lineage node type; other ids are refused naming the field. */
export function decodeNodeRef(globalId: string, field: string): NodeRef {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw new ValidationError(field, `${JSON.stringify(globalId)} is not a valid id`);
  }
  if (!(NODE_TYPES as readonly string[]).includes(decoded.typename)) {
    throw new ValidationError(field, `a ${decoded.typename || 'malformed'} id is not a lineage node; expected one of ${NODE_TYPES.join(', ')}`);
  }
  const id = Number(decoded.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError(decoded.typename, globalId);
  return { type: decoded.typename as NodeType, id };
}

const globalIdOf = (node: NodeRef) => encodeGlobalID(node.type, node.id);

// ---- what each node type resolves to ----------------------------------------------------------

interface NodeKind<T extends object> {
  /** The GraphQL type name, which is also the lineage node type. */
  ref: string;
  load(ctx: Context, id: number): Promise<T | null>;
  label(value: T, ctx: Context): string | Promise<string>;
}

const nodeKinds = new Map<NodeType, NodeKind<object>>();

/** Lets a domain say how its lineage nodes load and what they are called on a drawing. */
export function registerLineageNode<T extends object>(type: NodeType, kind: NodeKind<T>) {
  nodeKinds.set(type, kind as unknown as NodeKind<object>);
}

/** The object behind a node, through the domain's per-request loader: null when it is missing or the caller may not see it. */
export async function loadNode(ctx: Context, node: NodeRef): Promise<object | null> {
  const kind = nodeKinds.get(node.type);
  if (!kind) return null;
  const value = await kind.load(ctx, node.id);
  if (value) brandWithType(value, kind.ref as never);
  return value;
}

/** A node a query starts from must exist and be visible (the lineage service decides); otherwise NOT_FOUND, so existence does not leak. */
export async function requireVisibleNode(ctx: Context, node: NodeRef, globalId: string): Promise<NodeRef> {
  await ctx.services.lineage.requireVisibleNode(ctx.access, node, globalId);
  return node;
}

// ---- types ------------------------------------------------------------------------------------

export const LineageDirectionEnum = builder.enumType('LineageDirection', {
  description: 'UPSTREAM walks against the arrows (what went in), DOWNSTREAM along them (what came out), BOTH does both.',
  values: ['UPSTREAM', 'DOWNSTREAM', 'BOTH'] as const,
});

export const LineageNodeTypeEnum = builder.enumType('LineageNodeType', {
  description: 'The kinds of node in the lineage graph.',
  values: Object.fromEntries(NODE_TYPES.map((t) => [t.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(), { value: t }])) as Record<string, { value: NodeType }>,
});

export const LineageEdgeKindEnum = builder.enumType('LineageEdgeKind', {
  description:
    'DatasetVersion -INPUT_TO-> Run -PRODUCED-> Artifact -REGISTERED_AS-> ModelVersion; CodeCommit -INPUT_TO-> Run; ' +
    'DatasetVersion -DERIVED_INTO-> DatasetVersion; ModelVersion -INPUT_TO-> Run (fine-tuning); Run -PARENT_OF-> Run; ' +
    'DatasetVersion -INPUT_TO-> PipelineRun -PRODUCED-> DatasetVersion, CodeCommit -INPUT_TO-> PipelineRun, PipelineRun -PARENT_OF-> PipelineRun (OpenLineage).',
  values: EDGE_KINDS,
});

export const LineageSourceEnum = builder.enumType('LineageSource', {
  description: 'Which store answered: POSTGRES (the system of record) or NEO4J (its projection, used when reachable and current).',
  values: { POSTGRES: { value: 'postgres' }, NEO4J: { value: 'neo4j' } } as const,
});

interface NodeShape extends ReachedNode {}

const LineageNodeRef = builder.objectRef<NodeShape>('LineageNode').implement({
  description:
    'A node of a lineage graph: what it is, how far from the start, and the object itself. A node of a project the caller has no role in is redacted: its type and id only.',
  fields: (t) => ({
    id: t.id({ description: 'Global id of the object (the same id `node(id)` takes).', resolve: (n) => globalIdOf(n) }),
    type: t.field({ type: LineageNodeTypeEnum, resolve: (n) => n.type }),
    depth: t.int({ description: 'Fewest hops from the start node (0 for the start; position on a path).', resolve: (n) => n.depth }),
    redacted: t.boolean({
      description: 'True when the object belongs to a project the caller has no role in: `node` is null and `label` names only the type.',
      resolve: async (n, _a, ctx) => (await loadNode(ctx, n)) === null,
    }),
    label: t.string({
      description: 'A short human name to draw: run name, dataset name@version, model name vN, short commit sha; "<Type> (redacted)" for a redacted node.',
      resolve: async (n, _a, ctx) => {
        const kind = nodeKinds.get(n.type);
        const value = kind ? await kind.load(ctx, n.id) : null;
        return value && kind ? kind.label(value, ctx) : `${n.type} (redacted)`;
      },
    }),
    node: t.field({
      type: builder.nodeInterfaceRef(),
      nullable: true,
      description: 'The object behind the node, loaded in batches with every other node of the response; null when redacted.',
      resolve: (n, _a, ctx) => loadNode(ctx, n) as never,
    }),
  }),
});

const LineageEdgeRef = builder.objectRef<LineageEdge>('LineageEdge').implement({
  description: 'A recorded link between two nodes, pointing the way the data flowed.',
  fields: (t) => ({
    from: t.id({ description: 'Global id of the upstream node.', resolve: (e) => globalIdOf(e.from) }),
    to: t.id({ description: 'Global id of the downstream node.', resolve: (e) => globalIdOf(e.to) }),
    kind: t.field({ type: LineageEdgeKindEnum, resolve: (e) => e.kind }),
    role: t.string({ nullable: true, description: 'How an input was used, e.g. "train" or "eval".', resolve: (e) => e.role }),
    createdAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the link was recorded; `at` arguments compare with it. Null when one end is redacted.',
      resolve: (e) => (isAnonymized(e.from) || isAnonymized(e.to) ? null : e.createdAt),
    }),
  }),
});

interface GraphShape {
  nodes: ReachedNode[];
  edges: LineageEdge[];
  direction: LineageQuery['direction'] | null;
  requestedDepth: number;
  appliedDepth: number;
  depthClamped: boolean;
  at: Date | null;
  source: 'postgres' | 'neo4j';
}

export const LineageGraphRef = builder.objectRef<GraphShape>('LineageGraph').implement({
  description: 'Nodes and edges ready to draw, and how the walk was bounded.',
  fields: (t) => ({
    nodes: t.field({ type: [LineageNodeRef], description: 'Nodes, nearest first; the start node has depth 0.', resolve: (g) => g.nodes }),
    edges: t.field({ type: [LineageEdgeRef], description: 'Edges between the returned nodes.', resolve: (g) => g.edges }),
    direction: t.field({ type: LineageDirectionEnum, nullable: true, description: 'The direction walked (null for a path).', resolve: (g) => g.direction }),
    requestedDepth: t.int({ description: 'The depth asked for.', resolve: (g) => g.requestedDepth }),
    appliedDepth: t.int({ description: 'The depth walked: the request, capped at the maximum.', resolve: (g) => g.appliedDepth }),
    depthClamped: t.boolean({ description: 'True when the requested depth was over the maximum and was cut to appliedDepth.', resolve: (g) => g.depthClamped }),
    at: t.field({ type: 'DateTime', nullable: true, description: 'The instant the graph is as of (null: now).', resolve: (g) => g.at }),
    source: t.field({ type: LineageSourceEnum, description: 'Which store answered.', resolve: (g) => g.source }),
  }),
});

export const CodeCommitRef = builder.objectRef<CodeCommit>('CodeCommit');

builder.node(CodeCommitRef, {
  description: 'A commit of a code repository, shared by every run that executed it.',
  id: { resolve: (c) => c.id },
  loadMany: (ids, ctx) => loadNodes(codeCommitLoader(ctx), ids, CodeCommitRef.name),
  fields: (t) => ({
    repository: t.exposeString('repository', { description: 'Repository URL or name.' }),
    commit: t.exposeString('commit', { description: 'Commit sha, lowercase hex.' }),
    committedAt: t.expose('committedAt', {
      type: 'DateTime',
      nullable: true,
      description:
        "When the commit was made (git's committer date), as the first run to give it reported (startRun's codeVersion.committedAt); null when none did.",
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When a run first reported this commit.' }),
  }),
});

registerLineageNode<CodeCommit>('CodeCommit', {
  ref: 'CodeCommit',
  load: (ctx, id) => codeCommitLoader(ctx).load(id),
  label: (c) => `${c.commit.slice(0, 10)} ${c.repository}`,
});
registerLineageNode<Run>('Run', { ref: 'Run', load: (ctx, id) => runLoader(ctx).load(id), label: (r) => r.name });

// ---- fields -----------------------------------------------------------------------------------

const walkArgs = builder.args((t) => ({
  direction: t.field({ type: LineageDirectionEnum, defaultValue: 'BOTH', description: 'Which way to walk.' }),
  depth: t.int({ defaultValue: 10, description: 'Hops from the start (0 returns the start alone); above 50 it is clamped to 50 and reported.' }),
  types: t.field({ type: [LineageNodeTypeEnum], description: 'Return only nodes of these types (the walk still passes through others).' }),
  at: t.field({ type: 'DateTime', description: 'The graph as it stood at this instant: edges recorded later are ignored.' }),
}));

type WalkArgs = { direction?: LineageQuery['direction'] | null; depth?: number | null; types?: NodeType[] | null; at?: Date | null };

function toQuery(args: WalkArgs): LineageQuery {
  return { direction: args.direction ?? 'BOTH', depth: args.depth ?? null, types: args.types ?? null, at: args.at ?? null };
}

/** Adds `lineage(direction, depth, types, at)` to an entity type, batched across a page. */
// biome-ignore lint/suspicious/noExplicitAny: Pothos object refs are invariant in their source type; this field is added to refs of every node type
export function addLineageField<T extends object>(ref: ObjectRef<never, T> | ObjectRef<any, T>, type: NodeType, idOf: (value: T) => number) {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  builder.objectField(ref as ObjectRef<any, T>, 'lineage', (t) =>
    t.field({
      type: LineageGraphRef,
      description: `The lineage graph around this ${type}, as of \`at\` when given.`,
      args: walkArgs,
      resolve: (value, args, ctx) => lineageLoader(ctx, toQuery(args as WalkArgs)).load({ type, id: idOf(value) }),
    }),
  );
}

addLineageField(RunRef, 'Run', (r) => r.id);
addLineageField(CodeCommitRef, 'CodeCommit', (c) => c.id);

builder.queryFields((t) => ({
  lineage: t.field({
    type: LineageGraphRef,
    description: 'The lineage graph around any node (run, commit, dataset version, artifact, model version), ready to draw.',
    args: { id: t.arg.id({ required: true, description: 'Global id of the start node.' }), ...walkArgs },
    resolve: (_root, args, ctx) => {
      const start = decodeNodeRef(String(args.id), 'id');
      clampDepth('depth', args.depth); // a bad depth is reported before anything is looked up
      return ctx.services.lineage.lineage(ctx.access, start, toQuery(args as WalkArgs), String(args.id));
    },
  }),
  lineagePath: t.field({
    type: LineageGraphRef,
    nullable: true,
    description: 'A shortest chain of edges between two nodes (from upstream to downstream, whichever way round they are given); null when none.',
    args: {
      from: t.arg.id({ required: true }),
      to: t.arg.id({ required: true }),
      at: t.arg({ type: 'DateTime', description: 'Only edges recorded at or before this instant.' }),
    },
    resolve: async (_root, args, ctx) => {
      const from = decodeNodeRef(String(args.from), 'from');
      const to = decodeNodeRef(String(args.to), 'to');
      const path = await ctx.services.lineage.path(ctx.access, from, to, args.at ?? null, { from: String(args.from), to: String(args.to) });
      if (!path) return null;
      return { ...path, direction: null, requestedDepth: path.edges.length, appliedDepth: path.edges.length, depthClamped: false };
    },
  }),
  codeCommit: t.field({
    type: CodeCommitRef,
    nullable: true,
    description:
      'The commit node of a repository and sha, as runs reported it; null when no run you may see used it. `commit` may be an unambiguous prefix of at least 7 hex characters, as git abbreviates it.',
    args: {
      repository: t.arg.string({ required: true }),
      commit: t.arg.string({
        required: true,
        description: 'The full sha, or a prefix of 7 or more characters that only one commit of the repository starts with (else BAD_USER_INPUT).',
      }),
    },
    resolve: (_root, args, ctx) => ctx.services.lineage.codeCommit(ctx.access, args.repository, args.commit),
  }),
}));
