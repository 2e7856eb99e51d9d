// The per-request context: who is acting, the services, and this request's loaders.
import { Loaders } from './loaders.js';
import type { Logger } from './logger.js';
import type { PendingAudit } from './modules/audit/pending.js';
import { Access, type Principal } from './modules/auth/access.js';
import type { Services } from './services.js';

export interface Context {
  services: Services;
  loaders: Loaders;
  /** Who is calling; resolvers pass it to the services, which decide what it may see and change. */
  access: Access;
  log: Logger;
  /**
   * Audit rows opened by the audit plugin for this request's root mutation fields, by response
   * key, which a service may write with its own statement (see modules/audit/pending.ts).
   */
  pendingAudits: Map<string, PendingAudit>;
}

export function createContext(services: Services, log: Logger, principal: Principal): Context {
  const access = new Access(principal, services.auth);
  return { services, loaders: new Loaders(services), access, log, pendingAudits: new Map() };
}
