// The per-request context: who is acting, the services, and this request's loaders.
import { Loaders } from './loaders.js';
import type { Logger } from './logger.js';
import type { Services } from './services.js';

export interface Context {
  services: Services;
  loaders: Loaders;
  /** The acting user; until authentication lands it comes from the x-runledger-user header. */
  actor: string | null;
  log: Logger;
}

const USER_HEADER = 'x-runledger-user';

/** The one place that decides who is acting, so authentication can replace it. */
export function actorFromRequest(headers: Headers): string | null {
  const user = headers.get(USER_HEADER)?.trim();
  return user ? user.slice(0, 250) : null;
}

/**
 * Who a write is recorded as: the request's actor, else the user of the run it concerns.
 * Authentication will replace this one function.
 */
export function actingUser(actor: string | null, runUser?: string | null): string | null {
  return actor ?? runUser ?? null;
}

export function createContext(services: Services, log: Logger, request: Request): Context {
  return { services, loaders: new Loaders(services), actor: actorFromRequest(request.headers), log };
}
