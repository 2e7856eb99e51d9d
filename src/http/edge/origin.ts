// Who may talk to this server from a browser: the Host a request names (DNS rebinding), the
// Origin of the page that sent it, and Fetch Metadata (Sec-Fetch-Site). A browser request from
// a page of another site is refused unless its origin is listed; requests without either header
// come from programs (the Python client, mlflow, openlineage-python, curl), which a web page
// cannot be, and pass. Pure functions over header values, so the rules can be tested alone.
import net from 'node:net';
import type { EdgeConfig } from '../../config.js';
import { isLoopbackHost } from '../../config.js';

export interface OriginPolicyOptions extends EdgeConfig {
  /** The address the server binds (HOST): its name is served too. */
  bindHost: string;
}

export interface RequestFacts {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  secFetchMode: string | undefined;
}

export interface Refusal {
  /** The header to blame, e.g. `headers.origin`. */
  field: string;
  message: string;
}

export interface OriginVerdict {
  refusal: Refusal | null;
  /** Set for an allowed cross-origin caller: the origin to name in Access-Control-Allow-Origin. */
  corsOrigin: string | null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A Host header as [name, port]; null when it is not one. */
export function parseHost(value: string): [string, number | null] | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return null;
  return [m[1]!.toLowerCase(), m[2] === undefined ? null : Number(m[2])];
}

/** The host of an origin URL as browsers compare it (default ports left out), or null. */
function originHost(origin: string): string | null {
  try {
    const url = new URL(origin);
    return /^https?:$/.test(url.protocol) ? url.host.toLowerCase() : null;
  } catch {
    return null;
  }
}

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '[::]', '']);

export function createOriginPolicy(options: OriginPolicyOptions) {
  const bind = options.bindHost.trim().toLowerCase();
  const allowedOrigins = new Set(options.allowedOrigins);

  function hostAllowed(header: string | undefined): boolean {
    if (options.allowedHosts === 'any') return true;
    // HTTP/1.0 clients may send no Host; browsers always do.
    if (header === undefined) return true;
    const parsed = parseHost(header);
    if (!parsed) return false;
    const [name, port] = parsed;
    const bare = name.replace(/^\[|\]$/g, '');
    // Rebinding needs a name the attacker's DNS answers for: an address is never one, and
    // browsers resolve localhost and *.localhost to this machine themselves.
    if (net.isIP(bare) || isLoopbackHost(bare) || bare.endsWith('.localhost')) return true;
    if (!WILDCARD_BINDS.has(bind) && bare === bind.replace(/^\[|\]$/g, '')) return true;
    return options.allowedHosts.some((pattern) => {
      const [patternName, patternPort] = parseHost(pattern.replace(/^\*\./, '')) ?? ['', null];
      if (patternPort !== null && patternPort !== port) return false;
      return pattern.startsWith('*.') ? name.endsWith(`.${patternName}`) : name === patternName;
    });
  }

  /** Same origin as the Host it was sent to, or listed in RUNLEDGER_ALLOWED_ORIGINS. */
  function originAllowed(origin: string, host: string | undefined): boolean {
    const from = originHost(origin);
    if (!from) return false;
    if (
      host !== undefined &&
      from ===
        host
          .trim()
          .toLowerCase()
          .replace(/:(80|443)$/, '')
    )
      return true;
    return allowedOrigins.has(new URL(origin).origin);
  }

  function judge(request: RequestFacts): OriginVerdict {
    if (!hostAllowed(request.host)) {
      return {
        refusal: {
          field: 'headers.host',
          message: `${JSON.stringify(request.host?.slice(0, 200))} is not a host this server answers to (a page on another site may have renamed this server to reach it: DNS rebinding); add it to RUNLEDGER_ALLOWED_HOSTS if it is yours`,
        },
        corsOrigin: null,
      };
    }
    if (request.origin !== undefined) {
      if (!originAllowed(request.origin, request.host)) {
        return {
          refusal: {
            field: 'headers.origin',
            message: `pages of ${JSON.stringify(request.origin.slice(0, 200))} may not call this server; add the origin to RUNLEDGER_ALLOWED_ORIGINS if its pages should act for your users`,
          },
          corsOrigin: null,
        };
      }
      const own =
        originHost(request.origin) ===
        request.host
          ?.trim()
          .toLowerCase()
          .replace(/:(80|443)$/, '');
      return { refusal: null, corsOrigin: own ? null : new URL(request.origin).origin };
    }
    // No Origin: a navigation or a no-cors subresource. Another site may link here (GET), but
    // nothing else: not a form post, not an <img> or <script> reading an API.
    const site = request.secFetchSite;
    if (site === 'cross-site' || site === 'same-site') {
      if (SAFE_METHODS.has(request.method) && request.secFetchMode === 'navigate') return { refusal: null, corsOrigin: null };
      return {
        refusal: { field: 'headers.sec-fetch-site', message: `a page of another site (${site}) may only link to this server, not send it requests` },
        corsOrigin: null,
      };
    }
    return { refusal: null, corsOrigin: null };
  }

  return { hostAllowed, originAllowed, judge };
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;
