// Reads the fenced code blocks of the user docs and says how each one is executed, so the docs
// test can run them and fail on any block it does not know how to treat.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** How a block is treated: run by a runner, or deliberately not run (with the reason). */
export type Kind = 'sh' | 'python' | 'python mlflow' | 'graphql' | 'json event' | 'http' | 'no-run' | 'not-code' | 'integrations' | 'torch';

export interface Block {
  file: string;
  line: number;
  info: string;
  kind: Kind;
  text: string;
}

/** Pages whose examples a user pastes: the README, the Python client's page and every docs page. */
export function docFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', 'clients/python/README.md', ...docs];
}

/** Pages a suite of their own executes whole, as written (with authentication on, or files the
 * page names), so this test checks their links and scripts but does not run them a second time. */
export const RUN_ELSEWHERE: Record<string, string> = {
  'docs/governance.md': 'clients/python/tests/test_governance_doc.py',
  'docs/media.md': 'test/integration/media.test.ts',
};

/** Blocks that need packages only another suite installs: the framework integrations example
 * needs scikit-learn, which the integrations suite's virtualenv has and which runs it as written. */
export const INTEGRATIONS_SUITE = 'clients/python/integration-tests/test_frameworks.py';

/** Blocks that need torch, Lightning and transformers: the PyTorch suite's virtualenv has them
 * (7 GB, so no other suite installs them), and that suite runs them as written. */
export const TORCH_SUITE = 'clients/python/torch-tests/test_torch_frameworks.py';

/** The info string of the blocks each suite above runs, by kind. */
export const RUN_BY_SUITE = {
  integrations: { info: 'python integrations', suite: INTEGRATIONS_SUITE },
  torch: { info: 'python torch', suite: TORCH_SUITE },
} as const;

// Blocks that are not commands to paste: a diagram, and a browser/Node.js fragment that needs
// the caller's own `runId` and drawing code.
const NOT_CODE = new Set(['mermaid', 'js']);

function kindOf(info: string): Kind | null {
  const [lang, ...flags] = info.split(/\s+/).filter(Boolean);
  if (flags.includes('no-run')) return 'no-run';
  // MLflow's own client, run against runledger's MLflow door.
  if (info === 'python mlflow') return 'python mlflow';
  // Rich data (numpy, pandas, PIL, matplotlib: all in the client's test virtualenv).
  if (info === 'python media') return 'python';
  if (info === 'python integrations') return 'integrations';
  if (info === 'python torch') return 'torch';
  if (lang === 'sh' || lang === 'bash') return flags.length === 0 ? 'sh' : null;
  if (lang === 'python' || lang === 'graphql' || lang === 'http') return flags.length === 0 ? lang : null;
  if (info === 'json event') return 'json event';
  if (lang && NOT_CODE.has(lang) && flags.length === 0) return 'not-code';
  return null;
}

/** Every fenced block of a file, in document order; indented fences (in lists) are dedented. */
export function readBlocks(file: string): Block[] {
  if (file in RUN_ELSEWHERE) return [];
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^( *)```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const info = open[2]!.trim();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^ {${indent}}\`\`\`\\s*$`).test(lines[j]!); j += 1) body.push(lines[j]!.slice(indent));
    if (j === lines.length) throw new Error(`${file}:${i + 1}: code block never closed`);
    const kind = kindOf(info);
    if (kind === null)
      throw new Error(
        `${file}:${i + 1}: code block with info string "${info}": use sh, bash, python, python media, python mlflow, python integrations, python torch, graphql, http, json event, or add no-run`,
      );
    blocks.push({ file, line: i + 1, info, kind, text: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}

// What may be marked no-run: commands that install, start long-lived servers, prompt, or need
// software a test machine does not have. A no-run block must contain one of them.
const UNRUNNABLE = [
  /\bnpm ci\b/,
  /\bnpm start\b/,
  /\bnpm test\b/,
  /\bnpm run (bench|token:create)/,
  /\bpip install\b/,
  /\bspark-submit\b/,
  /\bscripts\/services\b/,
  /\btools\/neo4j\/start\b/,
  /\brunledger login\b/,
  // Needs a run logged from a git checkout, and the reproduce.sh it writes trains again
  // (clients/python/tests/test_reproduce.py does both).
  /\brunledger reproduce\b/,
];

export function noRunReason(block: Block): string | null {
  const hit = UNRUNNABLE.find((re) => re.test(block.text));
  return hit ? hit.source.replace(/\\b/g, '').replace(/\\\//g, '/') : null;
}
