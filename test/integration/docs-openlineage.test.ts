// Runs every example of docs/openlineage.md, in order, against a fresh server: each ```json event
// block is sent to POST /api/v1/lineage (201), each ```graphql block must answer without errors,
// each line of a ```http block must answer 200 with JSON. A page whose examples drift fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { postEvent } from '../support/openlineage.js';
import { useServer } from '../support/server.js';

const server = useServer();
const page = readFileSync(new URL('../../docs/openlineage.md', import.meta.url), 'utf8');
const blocks = [...page.matchAll(/```(json event|graphql|http)\n([\s\S]*?)```/g)].map((m) => ({ kind: m[1]!, text: m[2]! }));

describe('docs/openlineage.md', () => {
  it('has examples of every kind', () => {
    expect(new Set(blocks.map((b) => b.kind))).toEqual(new Set(['json event', 'graphql', 'http']));
  });

  it('runs every example in order', async () => {
    for (const block of blocks) {
      if (block.kind === 'json event') {
        const res = await postEvent(server().url, JSON.parse(block.text));
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      } else if (block.kind === 'graphql') {
        const result = await server().client.request<Record<string, unknown>, Record<string, never>>(block.text);
        expect(result.errors, block.text).toBeUndefined();
      } else {
        for (const line of block.text.trim().split('\n')) {
          const [method, path] = line.split(' ');
          const res = await fetch(`${server().url}${path}`, { method });
          expect(res.status, `${line}: ${await res.clone().text()}`).toBe(200);
          await res.json();
        }
      }
    }
  });

  it('shows what it says: the dbt model reads the version the later-arriving Airflow task produced', async () => {
    const { pipelineRun } = await server().client.data<{ pipelineRun: { lineage: { nodes: { label: string }[] } } }, Record<string, never>>(
      'query { pipelineRun(runId: "0193a1c2-5d6e-7f80-9a1b-2c3d4e5f6a7b") { lineage(direction: UPSTREAM, depth: 2) { nodes { label } } } }',
    );
    const labels = pipelineRun.lineage.nodes.map((n) => n.label);
    expect(labels).toContain('analytics.staging.clicks@ol:run:0193a1c2-5d6e-7f80-9a1b-000000000001');
    expect(labels).toContain('ingest_clicks.load complete');
  });
});
