import { decodeNameCursor, forwardConnection, nameCursor } from '../../connections.js';
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { byId, loadNodes } from '../../loaders.js';
import { KEY_RULE_TEXT, requireForwardPaging, requirePageSize } from '../../validation.js';
import { experimentIdOf, type Project } from './service.js';

// Drops projects the caller has no role in: they load as null, exactly like missing ones.
export const projectLoader = (ctx: Context) =>
  ctx.loaders.get('project', (s) =>
    byId(
      (ids) => s.projects.visibleByIds(ctx.access, ids),
      (p) => p.id,
    ),
  );

export const ProjectRef = builder.objectRef<Project>('Project');

builder.node(ProjectRef, {
  description: 'A namespace of runs, usually one model or one team problem.',
  id: { resolve: (p) => p.id },
  authScopes: (p) => ({ readProject: p.id }),
  loadMany: (ids, ctx) => loadNodes(projectLoader(ctx), ids, ProjectRef.name),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Unique name; runs are started in a project by this name.' }),
    description: t.exposeString('description', { nullable: true, description: 'Free text.' }),
    mlflowExperimentId: t.string({
      description: 'This project as an experiment on the MLflow REST API: its number, or "0" for the project named Default.',
      resolve: (p) => experimentIdOf(p),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the project was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it was last renamed, described, tagged, deleted or restored.' }),
    deletedAt: t.expose('deletedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was deleted (through MLflow), or null. A deleted project keeps its runs and name and takes no new runs until restored.',
    }),
  }),
});

builder.queryFields((t) => ({
  project: t.field({
    type: ProjectRef,
    nullable: true,
    description: 'The project with this name, or null.',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.projects.get(ctx.access, args.name),
  }),
  mlflowExperiment: t.field({
    type: ProjectRef,
    nullable: true,
    description:
      'The project behind an MLflow experiment id (Project.mlflowExperimentId; what the links MLflow clients print carry, as in <server>/#/experiments/<id>), or null when there is none or the caller may not see it.',
    args: { id: t.arg.string({ required: true, description: 'The experiment id: a project number, or "0" for the project named Default.' }) },
    resolve: (_root, args, ctx) => ctx.services.projects.findByExperimentId(ctx.access, args.id),
  }),
  projects: t.connection({
    type: ProjectRef,
    description: 'Every project the caller has a role in (all of them for admins), by name.',
    resolve: async (_root, args, ctx) => {
      requireForwardPaging(args);
      const first = requirePageSize('first', args.first, 100);
      const afterName = decodeNameCursor(args.after);
      const { projects, hasNextPage } = await ctx.services.projects.list(ctx.access, first, afterName);
      const edges = projects.map((p) => ({ node: p, cursor: nameCursor(p.name) }));
      return forwardConnection(edges, hasNextPage, afterName);
    },
  }),
}));

const CreateProjectPayload = builder.simpleObject('CreateProjectPayload', {
  description: 'The project, and whether this call created it (false when it already existed).',
  fields: (t) => ({
    project: t.field({ type: ProjectRef }),
    created: t.boolean(),
  }),
});

const CreateProjectInput = builder.inputType('CreateProjectInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: KEY_RULE_TEXT }),
    description: t.string({ description: 'Free text.' }),
  }),
});

builder.mutationFields((t) => ({
  createProject: t.field({
    type: CreateProjectPayload,
    description: 'Creates a project, or returns the existing one with that name (safe to retry). The creator becomes its admin.',
    args: { input: t.arg({ type: CreateProjectInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.projects.create(ctx.access, input),
  }),
}));
