// Configuration rules that protect deployments: anonymous access only on loopback.
import { describe, expect, it } from 'vitest';
import { ConfigError, isLoopbackHost, loadConfig } from '../../src/config.js';

describe('authentication configuration', () => {
  it('defaults to auth off on loopback, so npm start just works', () => {
    expect(loadConfig({}).auth).toBe('off');
    expect(loadConfig({ HOST: '::1' }).auth).toBe('off');
    expect(loadConfig({ HOST: 'localhost' }).auth).toBe('off');
  });

  it('defaults to auth on for any other bind', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).auth).toBe('on');
    expect(loadConfig({ HOST: '10.1.2.3' }).auth).toBe('on');
  });

  it('refuses RUNLEDGER_AUTH=off on a non-loopback bind, naming the variable', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0', RUNLEDGER_AUTH: 'off' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: '0.0.0.0', RUNLEDGER_AUTH: 'off' })).toThrow(/RUNLEDGER_AUTH.*loopback/);
    expect(loadConfig({ HOST: '127.0.0.1', RUNLEDGER_AUTH: 'on' }).auth).toBe('on');
  });

  it('knows what loopback is', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('HTTP connection timeouts', () => {
  it('keeps idle connections 65 s by default (past load balancers’ 60 s), headers timeout above it', () => {
    expect(loadConfig({}).http).toEqual({ keepAliveTimeoutMs: 65_000, headersTimeoutMs: 66_000 });
    expect(loadConfig({ RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS: '1000', RUNLEDGER_HEADERS_TIMEOUT_MS: '2000' }).http).toEqual({
      keepAliveTimeoutMs: 1000,
      headersTimeoutMs: 2000,
    });
  });

  it('refuses a headers timeout that does not exceed the keep-alive timeout, naming both', () => {
    expect(() => loadConfig({ RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS: '70000' })).toThrow(/RUNLEDGER_HEADERS_TIMEOUT_MS.*RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS/);
    expect(() => loadConfig({ RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS: 'soon' })).toThrow(/RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS/);
  });
});
