// The edge's browser rules as pure functions: which Host names are served, which origins may
// call, and how the allow lists are read from the environment.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createOriginPolicy } from '../../src/http/edge/origin.js';

const policy = (env: Record<string, string> = {}) => {
  const config = loadConfig(env);
  return createOriginPolicy({ ...config.edge, bindHost: config.host });
};

describe('Host names served', () => {
  it('serves loopback names and any IP address by default, never another name', () => {
    const p = policy();
    for (const host of [
      'localhost',
      'localhost:4000',
      'LOCALHOST:1',
      '127.0.0.1:4000',
      '127.9.9.9',
      '[::1]:4000',
      'x.localhost',
      '192.168.1.20:4000',
      '[fe80::1]',
    ])
      expect(p.hostAllowed(host), host).toBe(true);
    for (const host of ['evil.example', 'evil.example:4000', 'localhost.evil.example', '127.0.0.1.nip.io', 'local host', '', 'a@b', 'localhost:99999x'])
      expect(p.hostAllowed(host), host).toBe(false);
  });

  it('serves the bind name, and listed names with their wildcards and ports', () => {
    const p = policy({ HOST: 'tracker.lan', RUNLEDGER_AUTH: 'on', RUNLEDGER_ALLOWED_HOSTS: 'Runledger.Example.com, *.corp.example, only-port.example:8443' });
    for (const host of ['tracker.lan:4000', 'runledger.example.com', 'a.b.corp.example', 'only-port.example:8443'])
      expect(p.hostAllowed(host), host).toBe(true);
    for (const host of ['corp.example', 'xcorp.example', 'only-port.example', 'only-port.example:443']) expect(p.hostAllowed(host), host).toBe(false);
    expect(policy({ RUNLEDGER_ALLOWED_HOSTS: '*' }).hostAllowed('anything.example')).toBe(true);
  });
});

describe('origins', () => {
  const facts = (origin: string | undefined, extra: Record<string, string> = {}) => ({
    method: 'POST',
    host: '127.0.0.1:4000',
    origin,
    secFetchSite: extra.site,
    secFetchMode: extra.mode,
  });

  it('allows the server’s own origin without CORS, and a listed one with it', () => {
    const p = policy({ RUNLEDGER_ALLOWED_ORIGINS: 'https://dash.example,http://localhost:5173' });
    expect(p.judge(facts('http://127.0.0.1:4000'))).toEqual({ refusal: null, corsOrigin: null });
    expect(p.judge(facts('https://dash.example'))).toEqual({ refusal: null, corsOrigin: 'https://dash.example' });
    expect(p.judge(facts('http://localhost:5173'))).toEqual({ refusal: null, corsOrigin: 'http://localhost:5173' });
    for (const origin of ['http://127.0.0.1:4001', 'https://127.0.0.1:4000.evil', 'null', 'file://', 'https://dash.example:444', 'http://dash.example'])
      expect(p.judge(facts(origin)).refusal?.field, origin).toBe('headers.origin');
  });

  it('judges requests without Origin by Sec-Fetch-Site: programs pass, other sites only navigate', () => {
    const p = policy();
    expect(p.judge(facts(undefined)).refusal).toBeNull();
    expect(p.judge(facts(undefined, { site: 'same-origin' })).refusal).toBeNull();
    expect(p.judge(facts(undefined, { site: 'none', mode: 'navigate' })).refusal).toBeNull();
    expect(p.judge({ ...facts(undefined, { site: 'cross-site', mode: 'navigate' }), method: 'GET' }).refusal).toBeNull();
    expect(p.judge(facts(undefined, { site: 'cross-site', mode: 'navigate' })).refusal?.field).toBe('headers.sec-fetch-site');
    expect(p.judge({ ...facts(undefined, { site: 'same-site', mode: 'no-cors' }), method: 'GET' }).refusal?.field).toBe('headers.sec-fetch-site');
  });

  it('checks Host before Origin: a rebound name is refused even though its page is same-origin', () => {
    const p = policy();
    expect(p.judge({ ...facts('http://evil.example:4000'), host: 'evil.example:4000' }).refusal?.field).toBe('headers.host');
  });
});

describe('allow lists in the environment', () => {
  it('refuses "*" as an origin and anything that is not an origin, naming the variable', () => {
    expect(() => loadConfig({ RUNLEDGER_ALLOWED_ORIGINS: '*' })).toThrow(ConfigError);
    expect(() => loadConfig({ RUNLEDGER_ALLOWED_ORIGINS: '*' })).toThrow(/RUNLEDGER_ALLOWED_ORIGINS/);
    for (const bad of ['dash.example', 'https://dash.example/app', 'ftp://dash.example', 'https://user@dash.example'])
      expect(() => loadConfig({ RUNLEDGER_ALLOWED_ORIGINS: bad }), bad).toThrow(/RUNLEDGER_ALLOWED_ORIGINS/);
    expect(() => loadConfig({ RUNLEDGER_ALLOWED_HOSTS: 'http://x.example' })).toThrow(/RUNLEDGER_ALLOWED_HOSTS/);
  });

  it('normalises listed origins', () => {
    expect(loadConfig({ RUNLEDGER_ALLOWED_ORIGINS: 'https://Dash.Example:443/, http://localhost:5173' }).edge.allowedOrigins).toEqual([
      'https://dash.example',
      'http://localhost:5173',
    ]);
    expect(loadConfig({}).edge).toEqual({ allowedHosts: [], allowedOrigins: [] });
  });
});
