// Assembles the GraphQL schema from every domain module.
import { builder } from './builder.js';
import './modules/projects/schema.js';
import './modules/runs/schema.js';
import './modules/runs/queries.js';
import './modules/runs/mutations.js';
import './modules/metrics/schema.js';
import './modules/auth/schema.js';
import './modules/audit/schema.js';
import './modules/live/schema.js';
import './modules/artifacts/schema.js';
import './modules/artifacts/transfer-schema.js';
import './modules/registry/schema.js';
import './modules/datasets/schema.js';
import './modules/lineage/schema.js';
import './modules/lineage/incidents-schema.js';
import './modules/refs/schema.js';
import './modules/pipelines/schema.js';
import './modules/pipelines/jobs-schema.js';
import './modules/pipelines/column-lineage-schema.js';
import './modules/catalog/schema.js';
import './modules/governance/schema.js';
import './modules/registry/promotions-schema.js';
import './modules/webhooks/schema.js';
import './modules/compliance/schema.js';
import './modules/retention/schema.js';

export const schema = builder.toSchema({ sortSchema: false });
