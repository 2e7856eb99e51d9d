// Security headers every response carries, and the content security policies of what this
// server serves: API answers run nothing, the dashboard runs only its own files, GraphiQL only
// the scripts it inlines (by hash), stored bytes nothing at all, and no page may be framed.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** JSON and anything else that is not a page: nothing in it may load or run. */
export const API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The dashboard (web/dist): its own scripts and styles. Inline styles stay allowed: React and
 * uPlot position elements with style attributes, and a style cannot run code.
 */
export const DASHBOARD_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Stored bytes (artifacts), whatever they claim to be: if a browser renders them anyway, they
 * run in a sandbox with an opaque origin that can load nothing and reach no API.
 */
export const STORED_BYTES_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'";

/**
 * GraphiQL as @graphql-yoga/render-graphiql renders it: its code is inlined (it works offline),
 * so the policy allows exactly those scripts by hash; its editor starts web workers from blobs.
 */
export function inlinePagePolicy(html: string): string {
  const hashes = [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)]
    .filter((m) => m[1]!.trim() !== '')
    .map((m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
  return [
    "default-src 'none'",
    `script-src ${hashes.join(' ') || "'none'"}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Set on every response before any door writes it; a door serving a page replaces the policy. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-security-policy', API_POLICY);
  // For browsers without frame-ancestors.
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  // Other sites may not embed these responses (<img>, <script>); CORS requests are not affected.
  res.setHeader('cross-origin-resource-policy', 'same-origin');
}
