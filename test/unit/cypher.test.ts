// Every Cypher statement the Neo4j adapter can send, checked by Neo4j's own parser: a syntax
// error fails the build here, without a Neo4j server. And no statement carries a value
// spliced into its text: values travel as $parameters.
import { lintCypherQuery, parseParameters, parseStatementsStrs } from '@neo4j-cypher/language-support';
import { describe, expect, it } from 'vitest';
import { EDGE_KINDS, MAX_DEPTH } from '../../src/modules/lineage/graph.js';
import { allCypherStatements, CYPHER } from '../../src/modules/lineage/graph-neo4j.js';

const statements = allCypherStatements();

// What may appear literally: our label and property names, relationship types (one per edge
// kind) and the fixed depth bound of shortestPath. Anything else that looks like a value fails.
const ALLOWED_LITERALS = new Set([String(MAX_DEPTH), '1']);

describe('the Cypher of graph-neo4j.ts', () => {
  it('covers every statement kind the adapter sends', () => {
    const names = statements.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['createKeyConstraint', 'ping', 'stepUpstream', 'stepDownstream', 'shortestPath', 'deleteBatch']));
    for (const kind of EDGE_KINDS) expect(names).toContain(`mergeEdges.${kind}`);
    expect(Object.keys(CYPHER.mergeEdges)).toHaveLength(EDGE_KINDS.length);
  });

  for (const { name, text } of statements) {
    it(`${name} parses as exactly one statement with no syntax errors`, () => {
      expect(parseStatementsStrs(text)).toHaveLength(1);
      const params = parseParameters(text, false);
      // Declaring the parameters it uses turns "parameter not defined" notes off; what is left is a real problem.
      const diagnostics = lintCypherQuery(text, { parameters: Object.fromEntries(params.map((p) => [p, null])) });
      expect(diagnostics.map((d) => `${d.message} at ${d.offsets?.start}`)).toEqual([]);
    });

    it(`${name} passes values only as parameters`, () => {
      // No string literals at all, and no numbers but the fixed bounds.
      expect(text).not.toMatch(/'[^']*'|"[^"]*"/);
      const numbers = text.match(/(?<![\w$.])\d+(?![\w])/g) ?? [];
      for (const n of numbers) expect(ALLOWED_LITERALS, `literal ${n} in ${name}`).toContain(n);
    });
  }

  it('a statement with a syntax error would fail this test', () => {
    const diagnostics = lintCypherQuery('UNWIND $rows AS row MERGE (a:LineageNode {key: row.fromKey)', {});
    expect(diagnostics.length).toBeGreaterThan(0);
  });
});
