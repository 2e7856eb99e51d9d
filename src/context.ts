// The per-request context: who is acting, the services, and this request's loaders.
import { Loaders } from './loaders.js';
import type { Logger } from './logger.js';
import { Access, type Principal } from './modules/auth/access.js';
import type { Services } from './services.js';

export interface Context {
  services: Services;
  loaders: Loaders;
  /** The acting user's name: the token's user, or x-runledger-user when authentication is off. */
  actor: string | null;
  /** What the acting principal may see and change; every resolver checks through it. */
  access: Access;
  log: Logger;
}

/**
 * Who a write is recorded as: the request's actor, else the user of the run it concerns.
 * With authentication on, the actor is the token's user.
 */
export function actingUser(actor: string | null, runUser?: string | null): string | null {
  return actor ?? runUser ?? null;
}

export function createContext(services: Services, log: Logger, principal: Principal): Context {
  const access = new Access(principal, services.auth);
  return { services, loaders: new Loaders(services), actor: access.actor, access, log };
}
