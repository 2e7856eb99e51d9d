// The dashboard's front door: serves the built single-page app (web/dist) and answers every
// page URL with its index.html, so a pasted link such as /runs/<id> opens that page.
// Only the page paths below and /assets/ are claimed; /graphql, /healthz, /artifacts and /api
// stay with their own handlers.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { DASHBOARD_POLICY } from '../edge/headers.js';

/** First path segments of the app's pages (kept in step with web/src/router.ts). */
const PAGE_ROOTS = new Set(['', 'projects', 'runs', 'compare', 'lineage', 'models', 'incident', 'audit', 'promotions']);

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>runledger</title>
<p>The dashboard has not been built. Run <code>npm run build:web</code> (npm install does it) and reload.
The API is at <a href="/graphql">/graphql</a>.</p>`;

/** Returns a handler that answers the request (true) or leaves it to the next one (false). */
export function createWebRoutes(distDir: string) {
  const root = path.resolve(distDir);
  // index.html names the hashed assets of one build: reread it when a rebuild replaces it.
  let index: { mtimeMs: number; html: string } | null = null;
  const indexHtml = async (): Promise<string | null> => {
    const file = path.join(root, 'index.html');
    const info = await stat(file).catch(() => null);
    if (!info) return null;
    if (index?.mtimeMs !== info.mtimeMs) index = { mtimeMs: info.mtimeMs, html: await readFile(file, 'utf8') };
    return index.html;
  };

  return async function handleWebRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = (req.url ?? '/').split('?')[0]!;
    const first = pathname.split('/')[1] ?? '';

    if (first === 'assets' || pathname === '/favicon.svg') {
      let file: string;
      try {
        file = path.resolve(root, '.' + decodeURIComponent(pathname));
      } catch {
        return false;
      }
      // Only files under assets/ (and the icon): a decoded "../" must not reach the rest of dist.
      if (!file.startsWith(path.join(root, 'assets') + path.sep) && file !== path.join(root, 'favicon.svg')) return false;
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) return false;
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        // Vite puts a content hash in every asset name, so an asset never changes.
        'cache-control': first === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      return true;
    }

    // `//` and `/\` are not the home page: only `/` itself is.
    if (!PAGE_ROOTS.has(first) || (first === '' && pathname !== '/')) return false;
    const html = await indexHtml().catch(() => null);
    res.writeHead(html === null ? 503 : 200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': DASHBOARD_POLICY,
    });
    res.end(req.method === 'HEAD' ? undefined : (html ?? NOT_BUILT));
    return true;
  };
}
