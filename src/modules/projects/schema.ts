import { forwardConnection } from '../../connections.js';
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { ValidationError } from '../../errors.js';
import { byId } from '../../loaders.js';
import { requireForwardPaging, requirePageSize } from '../../validation.js';
import type { Project } from './service.js';

export const projectLoader = (ctx: Context) => ctx.loaders.get('project', (s) => byId((ids) => s.projects.byIds(ids), (p) => p.id));

export const ProjectRef = builder.objectRef<Project>('Project');

builder.node(ProjectRef, {
  description: 'A namespace of runs, usually one model or one team problem.',
  id: { resolve: (p) => p.id },
  loadMany: (ids, ctx) => Promise.all(ids.map((id) => projectLoader(ctx).load(Number(id)))),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Unique name; runs are started in a project by this name.' }),
    description: t.exposeString('description', { nullable: true, description: 'Free text.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the project was created.' }),
  }),
});

builder.queryFields((t) => ({
  project: t.field({
    type: ProjectRef,
    nullable: true,
    description: 'The project with this name, or null.',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.projects.byName(args.name),
  }),
  projects: t.connection({
    type: ProjectRef,
    description: 'Every project, by name.',
    resolve: async (_root, args, ctx) => {
      requireForwardPaging(args);
      const first = requirePageSize('first', args.first, 100);
      let afterName: string | null = null;
      if (args.after) {
        try {
          afterName = Buffer.from(args.after, 'base64url').toString('utf8');
        } catch {
          throw new ValidationError('after', 'is not a cursor returned by this field');
        }
      }
      const { projects, hasNextPage } = await ctx.services.projects.list(first, afterName);
      const edges = projects.map((p) => ({ node: p, cursor: Buffer.from(p.name).toString('base64url') }));
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
    name: t.string({ required: true, description: 'Letters, digits and _ . - / or spaces; at most 250 characters.' }),
    description: t.string({ description: 'Free text.' }),
  }),
});

builder.mutationFields((t) => ({
  createProject: t.field({
    type: CreateProjectPayload,
    description: 'Creates a project, or returns the existing one with that name (safe to retry).',
    args: { input: t.arg({ type: CreateProjectInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.projects.create(input),
  }),
}));
