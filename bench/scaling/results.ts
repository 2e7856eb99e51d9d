// bench/results/scaling.json holds one entry per part, each replaced only when that part runs,
// so parts measured on different days (or skipped) keep their last figures and the plots
// (bench/scaling/plot.py) can be redrawn from whatever is there.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Part } from './config.js';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const FILE = `${RESULTS_DIR}scaling.json`;

export interface PartResult {
  at: string;
  rerun: string;
  /** The machine as the part started: figures from a busy machine are not comparable. */
  machine: { cpus: number; loadAverage1m: number; node: string };
  [key: string]: unknown;
}

export function machine(): PartResult['machine'] {
  return { cpus: os.cpus().length, loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)), node: process.version };
}

export async function mergeResult(part: Part, result: PartResult): Promise<void> {
  let current: { parts?: Record<string, unknown> } = {};
  try {
    current = JSON.parse(await readFile(FILE, 'utf8')) as typeof current;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parts = { ...current.parts, [part]: result };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(FILE, `${JSON.stringify({ updatedAt: new Date().toISOString(), parts }, null, 2)}\n`);
  console.log(`results: bench/results/scaling.json (${part})`);
}

/** A Markdown table under a title, then the date and the command that reruns it. */
export function printPart(title: string, header: string[], rows: string[][], result: PartResult, notes: string[] = []): void {
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  for (const note of notes) console.log(note);
  console.log(`date: ${result.at} (${result.machine.cpus} CPUs, load ${result.machine.loadAverage1m} at start)`);
  console.log(`rerun: ${result.rerun}`);
}

export const ms = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
export const int = (n: number) => Math.round(n).toLocaleString('en-US');
