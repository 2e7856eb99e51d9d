// GraphQL of authentication and roles: who am I, API tokens, and project role grants.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import { ProjectRef } from '../projects/schema.js';
import type { ApiToken } from './service.js';

type TokenWithUser = ApiToken & { user: { name: string } };

const ProjectRoleEnum = builder.enumType('ProjectRole', {
  description: 'VIEWER reads; EDITOR also writes runs, metrics and tags; ADMIN also grants roles.',
  values: ['VIEWER', 'EDITOR', 'ADMIN'] as const,
});

const Viewer = builder.simpleObject('Viewer', {
  description: 'The caller, as the server sees it.',
  fields: (t) => ({
    name: t.string({ nullable: true, description: 'The token user; with authentication off, the x-runledger-user header if any.' }),
    authenticated: t.boolean({ description: 'True when the request carried a valid API token.' }),
    isAdmin: t.boolean({ description: 'Global admin: sees and may change every project.' }),
  }),
});

const ApiTokenRef = builder.objectRef<TokenWithUser>('ApiToken');
ApiTokenRef.implement({
  description: 'An API token. Its secret is shown once, by createApiToken, and stored only as a hash.',
  fields: (t) => ({
    id: t.id({ description: 'Global id, for revokeApiToken.', resolve: (tk) => encodeGlobalID('ApiToken', tk.id) }),
    user: t.string({ description: 'The user the token acts as.', resolve: (tk) => tk.user.name }),
    label: t.exposeString('label', { nullable: true, description: 'What the token is for.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'After this instant the token is refused; null: never.' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Last use, to the minute.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'Set once revoked; a revoked token is refused.' }),
  }),
});

const ProjectMember = builder.simpleObject('ProjectMember', {
  description: 'A user and their role in a project.',
  fields: (t) => ({
    user: t.string({ description: 'User name.' }),
    role: t.field({ type: ProjectRoleEnum, description: 'Their role.' }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: Viewer,
    description: 'Who the server thinks the caller is.',
    resolve: (_root, _args, ctx) => ctx.services.accounts.viewer(ctx.access),
  }),
  apiTokens: t.field({
    type: [ApiTokenRef],
    description: "The caller's tokens; a global admin may name another user.",
    args: { user: t.arg.string({ description: 'Another user (global admins only).' }) },
    resolve: (_root, args, ctx) => ctx.services.accounts.tokens(ctx.access, args.user ?? null),
  }),
}));

builder.objectField(ProjectRef, 'myRole', (t) =>
  t.field({
    type: ProjectRoleEnum,
    nullable: true,
    description: "The caller's role in this project (ADMIN for global admins).",
    resolve: (p, _a, ctx) => ctx.services.accounts.roleIn(ctx.access, p),
  }),
);

const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
  fields: (t) => ({
    user: t.string({ description: 'The user the token acts as; defaults to the caller. Other users: global admins only.' }),
    label: t.string({ description: 'What the token is for, e.g. "ci" or "laptop".' }),
    expiresAt: t.field({ type: 'DateTime', description: 'When it stops working; default: never.' }),
    admin: t.boolean({ description: 'Makes the user a global admin (global admins only).' }),
  }),
});

const CreateApiTokenPayload = builder.simpleObject('CreateApiTokenPayload', {
  description: 'The new token and its secret. The secret is not stored and cannot be shown again.',
  fields: (t) => ({
    secret: t.string({ description: 'Send it as `Authorization: Bearer <secret>`.' }),
    token: t.field({ type: ApiTokenRef, description: 'The token record.' }),
  }),
});

const RevokeApiTokenInput = builder.inputType('RevokeApiTokenInput', {
  fields: (t) => ({ tokenId: t.id({ required: true, description: 'The ApiToken id.' }) }),
});

const RevokeApiTokenPayload = builder.simpleObject('RevokeApiTokenPayload', {
  description: 'The token after revocation.',
  fields: (t) => ({ token: t.field({ type: ApiTokenRef, description: 'Now with revokedAt set.' }) }),
});

const GrantProjectRoleInput = builder.inputType('GrantProjectRoleInput', {
  fields: (t) => ({
    project: t.string({ required: true, description: 'Project name.' }),
    user: t.string({ required: true, description: 'User name; the user is created if new.' }),
    role: t.field({ type: ProjectRoleEnum, required: true, description: 'The role to set (replaces any earlier one).' }),
  }),
});

const RevokeProjectRoleInput = builder.inputType('RevokeProjectRoleInput', {
  fields: (t) => ({
    project: t.string({ required: true, description: 'Project name.' }),
    user: t.string({ required: true, description: 'User name.' }),
  }),
});

const ProjectRolePayload = builder.simpleObject('ProjectRolePayload', {
  description: "A user's role in a project after the change.",
  fields: (t) => ({
    project: t.string({ description: 'Project name.' }),
    user: t.string({ description: 'User name.' }),
    role: t.field({ type: ProjectRoleEnum, nullable: true, description: 'Null once revoked.' }),
    members: t.field({ type: [ProjectMember], description: 'Everyone with a role in the project, by name.' }),
  }),
});

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: CreateApiTokenPayload,
    description: 'Creates an API token for the caller (or, for global admins, any user) and returns its secret once.',
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.accounts.createToken(ctx.access, { user: input.user, label: input.label, expiresAt: input.expiresAt, admin: input.admin ?? false }),
  }),
  revokeApiToken: t.field({
    type: RevokeApiTokenPayload,
    description: 'Revokes a token of the caller (global admins: any token). Requests with it are refused from then on.',
    args: { input: t.arg({ type: RevokeApiTokenInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      token: await ctx.services.accounts.revokeToken(ctx.access, decodeId('ApiToken', String(input.tokenId), 'input.tokenId'), String(input.tokenId)),
    }),
  }),
  grantProjectRole: t.field({
    type: ProjectRolePayload,
    description: "Sets a user's role in a project. Needs ADMIN in the project (or global admin).",
    args: { input: t.arg({ type: GrantProjectRoleInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accounts.grantRole(ctx.access, input.project, input.user, input.role),
  }),
  revokeProjectRole: t.field({
    type: ProjectRolePayload,
    description: "Removes a user's role in a project. Needs ADMIN in the project (or global admin).",
    args: { input: t.arg({ type: RevokeProjectRoleInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accounts.revokeRole(ctx.access, input.project, input.user),
  }),
}));
