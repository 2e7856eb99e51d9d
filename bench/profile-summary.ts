// Summarises a V8 CPU profile (node --cpu-prof) as text: the hottest functions by self time and
// by total time (own + callees), and the share of the profile spent in each package, so a
// benchmark row that misses its goal can be explained in a note without a flame graph viewer.
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25] [--match text] [--skip seconds]
// --skip leaves out the first seconds (the server starting: module loading and compiling);
// --match keeps only samples whose stack passes through a frame containing `text` (e.g. a
// resolver's name), to see where one request type spends its time.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame comes from: a package under node_modules, our source, node itself, or V8 (GC, idle). */
export function originOf(url: string): string {
  if (!url) return '(v8/native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node';
  const src = url.indexOf('/src/');
  if (src >= 0)
    return `src/${
      url
        .slice(src + 5)
        .split('/')
        .slice(0, -1)
        .join('/') || '.'
    }`;
  return url.replace(/^file:\/\//, '');
}

function frameName(frame: CallFrame): string {
  const file = frame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(src|bench)\//, '$1/');
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
}

export function summarize(profile: CpuProfile, options: { top?: number; match?: string; skipSeconds?: number } = {}): string {
  const top = options.top ?? 25;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number): ProfileNode[] => {
    const stack: ProfileNode[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur)!);
    return stack;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const origins = new Map<string, number>();
  let sampled = 0;
  let idle = 0;
  let clock = 0;
  const skipUs = (options.skipSeconds ?? 0) * 1e6;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    clock += us;
    if (clock < skipUs) return;
    const stack = stackOf(id);
    const leaf = stack[0]!.callFrame;
    if (leaf.functionName === '(idle)' || leaf.functionName === '(program)') {
      idle += us;
      if (leaf.functionName === '(idle)') return;
    }
    if (options.match && !stack.some((n) => frameName(n.callFrame).includes(options.match!))) return;
    sampled += us;
    const leafName = frameName(leaf);
    self.set(leafName, (self.get(leafName) ?? 0) + us);
    origins.set(originOf(leaf.url), (origins.get(originOf(leaf.url)) ?? 0) + us);
    for (const name of new Set(stack.map((n) => frameName(n.callFrame)))) total.set(name, (total.get(name) ?? 0) + us);
  });
  const wall = profile.endTime - profile.startTime - skipUs;
  const pct = (us: number) => `${((100 * us) / Math.max(1, sampled)).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => `  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`)
      .join('\n');
  return [
    `wall ${(wall / 1e6).toFixed(1)} s, busy ${(sampled / 1e6).toFixed(1)} s (${((100 * sampled) / Math.max(1, wall)).toFixed(0)}% of one core)${options.match ? ` in stacks through "${options.match}"` : ''}, idle ${(idle / 1e6).toFixed(1)} s`,
    'by package (self time):',
    list(origins, 15),
    `top ${top} by self time:`,
    list(self, top),
    `top ${top} by total time:`,
    list(new Map([...total].filter(([name]) => !name.startsWith('(root)') && !name.startsWith('(program)'))), top),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--match text]');
  const topAt = args.indexOf('--top');
  const matchAt = args.indexOf('--match');
  const skipAt = args.indexOf('--skip');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(
    summarize(profile, {
      top: topAt >= 0 ? Number(args[topAt + 1]) : 25,
      match: matchAt >= 0 ? args[matchAt + 1] : undefined,
      skipSeconds: skipAt >= 0 ? Number(args[skipAt + 1]) : 0,
    }),
  );
}
