// The pure parts of governance: who counts for which approval requirement (each approver once,
// never the requester), how rules are checked when declared, and which webhook targets are private.
import { describe, expect, it } from 'vitest';
import { validateGateRules } from '../../src/modules/governance/gate-rules.js';
import { describeRule, progress, validateRequirements } from '../../src/modules/governance/requirements.js';
import { isPrivateAddress, requireWebhookUrl } from '../../src/modules/webhooks/targets.js';
import { retryDelayMs } from '../../src/modules/webhooks/worker.js';

const rule = [
  { count: 1, users: [], groups: ['ml-lead'] },
  { count: 1, users: [], groups: ['product-owner'] },
];

describe('approval requirements', () => {
  it('count each approver once, assigning them where they are needed', () => {
    // ana is in both groups: alone she fills one requirement, not two.
    expect(progress(rule, [{ actor: 'ana', groups: ['ml-lead', 'product-owner'] }], 'req').met).toBe(false);
    // With bob (ml-lead only), ana moves over to product-owner: met.
    const both = progress(
      rule,
      [
        { actor: 'ana', groups: ['ml-lead', 'product-owner'] },
        { actor: 'bob', groups: ['ml-lead'] },
      ],
      'req',
    );
    expect(both.met).toBe(true);
    expect(both.requirements.map((r) => r.approvedBy)).toEqual([['bob'], ['ana']]);
  });

  it('never count the requester, nor the same person twice', () => {
    expect(
      progress(
        rule,
        [
          { actor: 'req', groups: ['ml-lead'] },
          { actor: 'po', groups: ['product-owner'] },
        ],
        'req',
      ).met,
    ).toBe(false);
    const two = [{ count: 2, users: ['a', 'b', 'c'], groups: [] }];
    expect(
      progress(
        two,
        [
          { actor: 'a', groups: [] },
          { actor: 'a', groups: [] },
        ],
        'x',
      ).met,
    ).toBe(false);
    expect(
      progress(
        two,
        [
          { actor: 'a', groups: [] },
          { actor: 'c', groups: [] },
        ],
        'x',
      ).met,
    ).toBe(true);
  });

  it('are checked when declared, and described in words', () => {
    expect(() => validateRequirements('r', [])).toThrow('r: give at least one requirement');
    expect(() => validateRequirements('r', [{ count: 0, groups: ['g'] }])).toThrow('r[0].count: must be a whole number from 1 to 20');
    expect(() => validateRequirements('r', [{ count: 2, users: ['a'] }])).toThrow('r[0].count: needs 2 approvers but names only 1 user and no group');
    expect(() => validateRequirements('r', [{ count: 1 }])).toThrow('r[0]: name the users or groups who may approve');
    expect(describeRule(validateRequirements('r', [{ count: 2, users: ['a', 'b'], groups: ['ml-lead'] }]))).toBe('2 of a, b or group ml-lead');
  });
});

describe('promotion rules', () => {
  it('are refused with the field and the rule broken', () => {
    expect(() => validateGateRules('rules', [{ kind: 'METRIC', metric: 'auc', op: '>=', threshold: Number.NaN }])).toThrow(
      'rules[0].threshold: must be a finite number',
    );
    expect(() => validateGateRules('rules', [{ kind: 'ARTIFACT', artifactKind: 'PDF' }])).toThrow('rules[0].artifactKind: must be one of');
    expect(() => validateGateRules('rules', [{ kind: 'CLEAN_CODE', aliases: ['prod uction'] }])).toThrow('rules[0].aliases[0]');
    expect(() => validateGateRules('rules', [{ kind: 'QUARANTINE' }])).toThrow('rules[0].kind: must be one of METRIC, TAG, ARTIFACT, INPUT_DATA, CLEAN_CODE');
  });
});

describe('webhook targets', () => {
  it('know loopback, private, link-local and mapped addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '2606:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuse private hosts unless allowed, and credentials always', () => {
    expect(() => requireWebhookUrl('url', 'http://169.254.169.254/latest', false)).toThrow('loopback or private');
    expect(() => requireWebhookUrl('url', 'http://localhost:8080/x', false)).toThrow('loopback or private');
    expect(requireWebhookUrl('url', 'http://localhost:8080/x', true)).toBe('http://localhost:8080/x');
    expect(() => requireWebhookUrl('url', 'https://user:pw@example.com/', true)).toThrow('must not carry credentials');
  });

  it('retry with doubling pauses up to the cap', () => {
    const config = { retryBaseMs: 10_000, retryMaxMs: 3_600_000 };
    expect([1, 2, 3, 4, 20].map((n) => retryDelayMs(n, config))).toEqual([10_000, 20_000, 40_000, 80_000, 3_600_000]);
  });
});
