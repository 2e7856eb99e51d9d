// Fitting labels into space without cutting them: lineage node labels wrapped onto lines,
// runs-table key headers broken onto two lines and the columns sized for them.

/**
 * Breaks a label into lines of at most `chars` characters, at separators when it can
 * (/ @ - _ . : and spaces stay at the end of their line), else mid-word.
 */
export function wrapLabel(label: string, chars: number): string[] {
  const lines: string[] = [];
  let rest = label;
  while (rest.length > chars) {
    const window = rest.slice(0, chars);
    const breakAt = Math.max(...['/', '@', '-', '_', '.', ':', ' '].map((c) => window.lastIndexOf(c)));
    const cut = breakAt >= chars / 3 ? breakAt + 1 : chars;
    lines.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest || lines.length === 0) lines.push(rest);
  return lines;
}

/**
 * A key column's header: its name as logged, in at most two lines broken after a separator
 * (_ . / - or a space) as evenly as it can be.
 */
export function headerLines(name: string): string[] {
  let best = [name];
  for (let i = 1; i < name.length; i += 1) {
    if (!/[_./\- ]/.test(name[i - 1]!)) continue;
    const split = [name.slice(0, i), name.slice(i)];
    if (Math.max(...split.map((l) => l.length)) < Math.max(...best.map((l) => l.length))) best = split;
  }
  return best;
}

/** A key column wide enough for its header's longer line (beside the kind mark and sort mark), 80 to 150 px. */
export function columnWidth(column: string): number {
  const longest = Math.max(...headerLines(column.slice(column.indexOf('.') + 1)).map((l) => l.length));
  return Math.min(150, Math.max(80, Math.ceil(longest * 6.8) + 48));
}
