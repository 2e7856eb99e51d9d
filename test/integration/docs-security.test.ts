// The examples of docs/security.md, executed: each `RUNLEDGER_…= npm start` line is started
// and does what the page says, and each curl line, sent to a started server, answers the
// status written after its `#`. The curl lines are read with a small shell-words parser and
// sent with node:http (curl need not be installed; fetch cannot set Host).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startServer, testConfig, useServer } from '../support/server.js';

const DOC = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
const shellLines = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').filter(Boolean));

/** Words of a shell line: single and double quotes, adjacent parts joined, `#` comment dropped. */
function words(line: string): { argv: string[]; comment: string } {
  const argv: string[] = [];
  let word: string | null = null;
  let i = 0;
  for (; i < line.length; i += 1) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      let text = '';
      for (i += 1; line[i] !== '"'; i += 1) text += line[i] === '\\' && '"\\$`'.includes(line[i + 1]!) ? line[++i] : line[i];
      word = (word ?? '') + text;
    } else if (ch === ' ') {
      if (word !== null) argv.push(word);
      word = null;
    } else if (ch === '#' && word === null) break;
    else word = (word ?? '') + ch;
  }
  if (word !== null) argv.push(word);
  return { argv, comment: line.slice(i + 1).trim() };
}

function curl(argv: string[], base: string): Promise<number> {
  let url = '';
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '-H') {
      const [name, ...value] = argv[++i]!.split(':');
      headers[name!.trim().toLowerCase()] = value.join(':').trim();
    } else if (arg === '-d') body = argv[++i];
    else if (arg === '-o' || arg === '-w') i += 1;
    else if (!arg.startsWith('-')) url = arg;
  }
  const target = new URL(url.replace('http://127.0.0.1:4000', base));
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method: body === undefined ? 'GET' : 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const server = useServer();

describe('docs/security.md', () => {
  it('has curl checks, and each answers the status it documents', async () => {
    const checks = shellLines.filter((l) => l.startsWith('curl '));
    expect(checks.length).toBeGreaterThanOrEqual(5);
    for (const line of checks) {
      const { argv, comment } = words(line);
      expect(comment, line).toMatch(/^\d{3}$/);
      expect(await curl(argv, server().url), line).toBe(Number(comment));
    }
  });

  it('has allow-list lines that start a server serving those hosts and origins', async () => {
    const starts = shellLines.filter((l) => / npm start$/.test(l));
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (const line of starts) {
      const env = Object.fromEntries(
        words(line)
          .argv.filter((w) => /^RUNLEDGER_\w+=/.test(w))
          .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
      );
      const own = await startServer(testConfig(env));
      try {
        const get = (headers: Record<string, string>) =>
          curl(['curl', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), `${own.url}/api/2.0/mlflow/experiments/search`], own.url);
        for (const host of (env.RUNLEDGER_ALLOWED_HOSTS ?? '').split(',').filter(Boolean)) {
          const name = host.replace(/^\*\./, 'any.');
          expect(await get({ host: name }), `${line}: ${name}`).toBe(200);
          expect(await get({ host: `${name}.evil.example` }), `${line}: ${name}.evil.example`).toBe(403);
        }
        for (const origin of (env.RUNLEDGER_ALLOWED_ORIGINS ?? '').split(',').filter(Boolean)) {
          const res = await fetch(`${own.url}/api/2.0/mlflow/experiments/search`, { headers: { origin } });
          expect(res.status, `${line}: ${origin}`).toBe(200);
          expect(res.headers.get('access-control-allow-origin')).toBe(origin);
          await res.arrayBuffer();
        }
      } finally {
        await own.app.stop();
      }
    }
  });
});
