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

export function createContext(services: Services, log: Logger, principal: Principal): Context {
  const access = new Access(principal, services.auth);
  return { services, loaders: new Loaders(services), actor: access.actor, access, log };
}
