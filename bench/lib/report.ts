// The benchmark table: our figure beside the raw baseline from the same run, printed as
// Markdown and written as JSON under bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface Row {
  benchmark: string;
  ours: string;
  raw: string;
  ratio: number;
  goal: string;
  /** null: no goal for this row. */
  met: boolean | null;
  details: Record<string, unknown>;
}

export const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

export function printTable(rows: readonly Row[]): void {
  const header = ['benchmark', 'runledger', 'raw baseline', 'ratio', 'goal', 'met'];
  const table = [
    header,
    ...rows.map((r) => [r.benchmark, r.ours, r.raw, Number.isNaN(r.ratio) ? '-' : r.ratio.toFixed(2), r.goal, r.met === null ? '-' : r.met ? 'yes' : 'NO']),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table.slice(1)) console.log(line(row));
}

/** Writes bench/results/<name>.json. */
export async function writeResults(name: string, report: Record<string, unknown>): Promise<void> {
  const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(`${resultsDir}/${name}.json`, `${JSON.stringify({ at: new Date().toISOString(), ...report }, null, 2)}\n`);
  console.log(`results: bench/results/${name}.json`);
}
