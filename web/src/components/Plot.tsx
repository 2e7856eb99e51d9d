// A line chart on one canvas, for a single run's metric or a hundred runs overlaid: each series
// brings its own x values (runs log at different steps and times, so nothing is joined onto a
// shared axis), with EMA smoothing drawn over the faint raw line, a log y axis, x by step, wall
// time or time since start, min-max bands for groups, drag to zoom, and a hover readout drawn
// on a second canvas so hovering never redraws the lines.
import { useEffect, useRef } from 'react';
import { fmtNumber } from '../format';
import { ema } from '../plot/smooth';
import { elapsedTicks, fmtElapsed, linearScale, linearTicks, logScale, logTicks, padRange, type Scale, type Tick, timeTicks } from '../plot/scale';

export type XMode = 'step' | 'wall' | 'relative';

export interface PlotSeries {
  id: string;
  label: string;
  color: string;
  /** In the unit of the x mode (step, ms since epoch, seconds since start), ascending. */
  x: ArrayLike<number>;
  y: ArrayLike<number | null>;
  /** The step of each point, for the readout (default: x). */
  steps?: ArrayLike<number>;
  /** Wall-clock ms of each point, for the readout. */
  times?: ArrayLike<number>;
  /** A group's spread: drawn as a band between lo and hi at the same x. */
  band?: { lo: ArrayLike<number | null>; hi: ArrayLike<number | null> };
  /** Extra readout text for a point (a group's run count and range). */
  detail?: (i: number) => string;
}

export interface PlotOptions {
  xMode: XMode;
  logY: boolean;
  /** EMA weight, 0 (raw) to 0.99. */
  smoothing: number;
  yLabel: string;
}

const X_LABELS: Record<XMode, string> = { step: 'step', wall: 'wall time', relative: 'time since start' };
const FONT = '11px system-ui, sans-serif';
const AXIS = '#64748b';
const GRID = '#eef2f7';
const MARGIN = { top: 8, right: 14, bottom: 36 };
const MAX_READOUT_ROWS = 12;

interface Prepared {
  s: PlotSeries;
  shown: ArrayLike<number | null>;
  raw: ArrayLike<number | null> | null;
}

/** Index of the point nearest to x in an ascending array. */
function nearest(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(xs[lo - 1]! - x) <= Math.abs(xs[lo]! - x) ? lo - 1 : lo;
}

function firstAtOrAfter(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const fmtWall = (ms: number) =>
  new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

class Renderer {
  readonly root: HTMLDivElement;
  private readonly main: HTMLCanvasElement;
  private readonly over: HTMLCanvasElement;
  private readonly readout: HTMLDivElement;
  private prepared: Prepared[] = [];
  private options: PlotOptions = { xMode: 'step', logY: false, smoothing: 0, yLabel: '' };
  private smoothCache = new WeakMap<PlotSeries, { w: number; y: (number | null)[] }>();
  private view: [number, number] | null = null;
  private frame: { left: number; top: number; width: number; height: number; x: Scale; y: Scale } | null = null;
  private drag: { from: number; to: number } | null = null;
  /** Where the mouse is while it hovers, so new data (or settings) redraw the readout there. */
  private lastHover: { x: number; y: number } | null = null;
  onZoom: ((range: [number, number] | null) => void) | undefined;

  /** Given by `set`, which the owner calls right after constructing. */
  private height = 0;

  constructor(readonly container: HTMLDivElement) {
    this.root = container;
    this.main = document.createElement('canvas');
    this.over = document.createElement('canvas');
    this.over.className = 'plot-over';
    this.readout = document.createElement('div');
    this.readout.className = 'plot-readout';
    this.readout.dataset.testid = 'plot-readout';
    this.readout.hidden = true;
    container.append(this.main, this.over, this.readout);
    this.over.addEventListener('mousemove', this.onMove);
    this.over.addEventListener('mouseleave', this.onLeave);
    this.over.addEventListener('mousedown', this.onDown);
    this.over.addEventListener('dblclick', this.onDouble);
    window.addEventListener('mouseup', this.onUp);
    window.addEventListener('scroll', this.forgetRect, { capture: true, passive: true });
    window.addEventListener('resize', this.forgetRect, { passive: true });
  }

  private forgetRect = () => {
    this.rect = null;
  };

  destroy() {
    window.removeEventListener('mouseup', this.onUp);
    window.removeEventListener('scroll', this.forgetRect, { capture: true });
    window.removeEventListener('resize', this.forgetRect);
    this.main.remove();
    this.over.remove();
    this.readout.remove();
  }

  set(series: PlotSeries[], options: PlotOptions, height: number) {
    const modeChanged = options.xMode !== this.options.xMode;
    this.options = options;
    this.height = height;
    if (modeChanged) this.view = null;
    this.prepared = series.map((s) => {
      if (options.smoothing <= 0) return { s, shown: s.y, raw: null };
      let cached = this.smoothCache.get(s);
      if (!cached || cached.w !== options.smoothing) this.smoothCache.set(s, (cached = { w: options.smoothing, y: ema(s.y, options.smoothing) }));
      return { s, shown: cached.y, raw: s.y };
    });
    this.draw();
    if (this.lastHover) this.hover(this.lastHover.x, this.lastHover.y);
  }

  setView(view: [number, number] | null) {
    this.view = view;
    this.draw();
  }

  /** Data extent in x, and in y over the points inside the x range (positive ones on a log axis). */
  private extents(): { x: [number, number]; y: [number, number]; logOk: boolean } {
    let x0 = Infinity;
    let x1 = -Infinity;
    for (const { s } of this.prepared) {
      if (s.x.length === 0) continue;
      x0 = Math.min(x0, s.x[0]!);
      x1 = Math.max(x1, s.x[s.x.length - 1]!);
    }
    if (this.view) [x0, x1] = this.view;
    let y0 = Infinity;
    let y1 = -Infinity;
    let p0 = Infinity;
    const take = (v: number | null | undefined) => {
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      if (v < y0) y0 = v;
      if (v > y1) y1 = v;
      if (v > 0 && v < p0) p0 = v;
    };
    for (const { s, shown, raw } of this.prepared) {
      const from = firstAtOrAfter(s.x, x0);
      for (let i = from; i < s.x.length && s.x[i]! <= x1; i += 1) {
        take(shown[i]);
        if (raw) take(raw[i]);
        if (s.band) {
          take(s.band.lo[i]);
          take(s.band.hi[i]);
        }
      }
    }
    const logOk = this.options.logY && Number.isFinite(p0);
    return { x: [x0, x1], y: logOk ? [p0, Math.max(y1, p0)] : [y0, y1], logOk };
  }

  draw() {
    this.rect = null;
    const width = Math.max(200, this.root.clientWidth);
    const height = this.height;
    const dpr = window.devicePixelRatio || 1;
    for (const c of [this.main, this.over]) {
      if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
        c.width = Math.round(width * dpr);
        c.height = Math.round(height * dpr);
        c.style.width = `${width}px`;
        c.style.height = `${height}px`;
      }
    }
    const ctx = this.main.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const { x: xr, y: yr, logOk } = this.extents();
    this.root.dataset.logY = logOk ? 'yes' : 'no';
    if (!Number.isFinite(xr[0])) {
      this.frame = null;
      this.root.dataset.drawn = '0';
      ctx.fillStyle = AXIS;
      ctx.font = FONT;
      ctx.fillText('no points', width / 2 - 24, height / 2);
      return;
    }
    const xPad = xr[0] === xr[1] ? [xr[0] - 1, xr[1] + 1] : xr;
    const [ylo, yhi] = padRange(yr[0], yr[1], logOk);
    const y = logOk ? logScale(ylo, yhi) : linearScale(ylo, yhi);
    const plotHeight = height - MARGIN.top - MARGIN.bottom;
    const yTicks = logOk ? logTicks(ylo, yhi, Math.max(2, Math.floor(plotHeight / 28))) : linearTicks(ylo, yhi, Math.max(2, Math.floor(plotHeight / 36)));
    ctx.font = FONT;
    const labelWidth = Math.max(28, ...yTicks.map((t) => ctx.measureText(t.label).width));
    const left = 18 + labelWidth + 8;
    const plotWidth = width - left - MARGIN.right;
    const x = linearScale(xPad[0]!, xPad[1]!);
    const count = Math.max(2, Math.floor(plotWidth / 90));
    const xTicks: Tick[] =
      this.options.xMode === 'wall'
        ? timeTicks(x.min, x.max, count)
        : this.options.xMode === 'relative'
          ? elapsedTicks(x.min, x.max, count)
          : linearTicks(x.min, x.max, count);
    const frame = { left, top: MARGIN.top, width: plotWidth, height: plotHeight, x, y };
    this.frame = frame;
    const px = (v: number) => left + x.frac(v) * plotWidth;
    const py = (v: number) => MARGIN.top + (1 - y.frac(v)) * plotHeight;

    // Grid and axes.
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.fillStyle = AXIS;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of yTicks) {
      const yy = Math.round(py(t.value)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(left + plotWidth, yy);
      ctx.stroke();
      ctx.fillText(t.label, left - 6, yy);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of xTicks) {
      const xx = Math.round(px(t.value)) + 0.5;
      if (xx < left - 1 || xx > left + plotWidth + 1) continue;
      ctx.beginPath();
      ctx.moveTo(xx, MARGIN.top);
      ctx.lineTo(xx, MARGIN.top + plotHeight);
      ctx.stroke();
      ctx.fillText(t.label, Math.min(Math.max(xx, left + 14), width - 20), MARGIN.top + plotHeight + 5);
    }
    ctx.strokeStyle = '#cbd5e1';
    ctx.strokeRect(left + 0.5, MARGIN.top + 0.5, plotWidth, plotHeight);
    ctx.fillText(X_LABELS[this.options.xMode] + (logOk ? '' : ''), left + plotWidth / 2, height - 13);
    ctx.save();
    ctx.translate(9, MARGIN.top + plotHeight / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText(this.options.yLabel + (logOk ? ' (log)' : ''), 0, 0);
    ctx.restore();

    // Series: bands first, then the faint raw lines, then the lines shown.
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, MARGIN.top, plotWidth, plotHeight);
    ctx.clip();
    ctx.lineJoin = 'round';
    let drawn = 0;
    for (const { s } of this.prepared) {
      if (!s.band) continue;
      this.fillBand(ctx, s, px, py, x);
    }
    for (const { s, raw } of this.prepared) {
      if (!raw) continue;
      ctx.globalAlpha = 0.22;
      this.line(ctx, s.x, raw, s.color, 1, px, py, x);
    }
    ctx.globalAlpha = 1;
    // Many runs overlaid are drawn one pixel wide: on a standard-density screen the browser
    // rasterizes such hairlines on a fast path, where 1.2-pixel strokes of a panel of 100 runs
    // took 400 to 700 ms of software raster after the script had drawn them (Chromium, no GPU).
    const lineWidth = this.prepared.length > 20 ? 1 : 1.6;
    for (const { s, shown } of this.prepared) {
      if (this.line(ctx, s.x, shown, s.color, lineWidth, px, py, x)) drawn += 1;
    }
    ctx.restore();
    this.root.dataset.drawn = String(drawn);
    this.root.dataset.yMin = String(ylo);
    this.root.dataset.yMax = String(yhi);
    this.root.dataset.yTicks = yTicks.map((t) => t.label).join(' ');
    this.drawOverlay(null);
  }

  /** Draws the points inside the x range; a gap (null, NaN) breaks the line. Returns whether anything was drawn. */
  private line(
    ctx: CanvasRenderingContext2D,
    xs: ArrayLike<number>,
    ys: ArrayLike<number | null>,
    color: string,
    width: number,
    px: (v: number) => number,
    py: (v: number) => number,
    x: Scale,
  ): boolean {
    const from = Math.max(0, firstAtOrAfter(xs, x.min) - 1);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    let open = false;
    let any = false;
    for (let i = from; i < xs.length; i += 1) {
      const v = ys[i];
      const yy = v === null || v === undefined ? Number.NaN : py(v);
      if (!Number.isFinite(yy)) {
        open = false;
        continue;
      }
      const xx = px(xs[i]!);
      if (open) ctx.lineTo(xx, yy);
      else ctx.moveTo(xx, yy);
      open = true;
      any = true;
      if (xs[i]! > x.max) break;
    }
    ctx.stroke();
    return any;
  }

  private fillBand(ctx: CanvasRenderingContext2D, s: PlotSeries, px: (v: number) => number, py: (v: number) => number, x: Scale) {
    const band = s.band!;
    const from = Math.max(0, firstAtOrAfter(s.x, x.min) - 1);
    const upper: [number, number][] = [];
    const lowerPts: [number, number][] = [];
    for (let i = from; i < s.x.length; i += 1) {
      const lo = band.lo[i];
      const hi = band.hi[i];
      if (lo === null || hi === null || lo === undefined || hi === undefined) continue;
      const l = py(lo);
      const h = py(hi);
      if (!Number.isFinite(l) || !Number.isFinite(h)) continue;
      upper.push([px(s.x[i]!), h]);
      lowerPts.push([px(s.x[i]!), l]);
      if (s.x[i]! > x.max) break;
    }
    if (upper.length < 2) return;
    ctx.beginPath();
    upper.forEach(([a, b], i) => (i ? ctx.lineTo(a, b) : ctx.moveTo(a, b)));
    for (let i = lowerPts.length - 1; i >= 0; i -= 1) ctx.lineTo(lowerPts[i]![0], lowerPts[i]![1]);
    ctx.closePath();
    ctx.fillStyle = s.color;
    ctx.globalAlpha = 0.16;
    ctx.fill();
    ctx.globalAlpha = 1;
  }

  /** The overlay's place on screen, read once per hover (reading it after each readout update forced a layout per move). */
  private rect: DOMRect | null = null;
  private overRect(): DOMRect {
    this.rect ??= this.over.getBoundingClientRect();
    return this.rect;
  }

  private xAt(clientX: number): { px: number; value: number } | null {
    const f = this.frame;
    if (!f) return null;
    const rect = this.overRect();
    const px = Math.min(Math.max(clientX - rect.left, f.left), f.left + f.width);
    return { px, value: f.x.value((px - f.left) / f.width) };
  }

  /** The hover readout and crosshair for a mouse position (null hides them). */
  hover(clientX: number | null, clientY = 0) {
    const f = this.frame;
    const at = clientX === null ? null : this.xAt(clientX);
    if (!f || !at) {
      this.readout.hidden = true;
      this.drawOverlay(null);
      return;
    }
    const cursorY = clientY - this.overRect().top;
    const py = (v: number) => f.top + (1 - f.y.frac(v)) * f.height;
    const px = (v: number) => f.left + f.x.frac(v) * f.width;
    const rows: { p: Prepared; i: number; y: number; dist: number }[] = [];
    for (const p of this.prepared) {
      const xs = p.s.x;
      if (xs.length === 0) continue;
      const i = nearest(xs, at.value);
      // A run that ended before the cursor (or starts after it) has no value there.
      const gap = Math.max(4, xs.length > 1 ? (f.width / Math.max(1, xs.length - 1)) * 2 : 8);
      if (Math.abs(px(xs[i]!) - at.px) > gap) continue;
      const v = p.shown[i];
      if (v === null || v === undefined) continue;
      const yy = py(v);
      rows.push({ p, i, y: v, dist: Number.isFinite(yy) ? Math.abs(yy - cursorY) : Infinity });
    }
    if (rows.length === 0) {
      this.readout.hidden = true;
      this.drawOverlay({ px: at.px, dots: [] });
      return;
    }
    const closest = rows.reduce((a, b) => (b.dist < a.dist ? b : a));
    rows.sort((a, b) => (Number.isNaN(b.y) ? -1 : Number.isNaN(a.y) ? 1 : b.y - a.y));
    const shown = rows.slice(0, MAX_READOUT_ROWS);
    if (!shown.includes(closest)) shown[shown.length - 1] = closest;
    this.drawOverlay({
      px: at.px,
      dots: shown.map((r) => ({ x: px(r.p.s.x[r.i]!), y: py(r.y), color: r.p.s.color, big: r === closest })),
    });
    this.renderReadout(shown, closest, rows.length, at.px, cursorY);
  }

  // The readout's elements, made once and filled in place on each move.
  private readoutHead: HTMLDivElement | null = null;
  private readoutRows: HTMLTableRowElement[] = [];
  private readoutMore: HTMLDivElement | null = null;

  private readoutElements() {
    if (!this.readoutHead) {
      this.readoutHead = document.createElement('div');
      this.readoutHead.className = 'plot-readout-head';
      const table = document.createElement('table');
      for (let i = 0; i < MAX_READOUT_ROWS; i += 1) {
        const tr = document.createElement('tr');
        for (const name of ['', 'label', 'value', 'detail', 'time']) {
          const td = document.createElement('td');
          td.className = name;
          if (!name) td.append(Object.assign(document.createElement('span'), { className: 'swatch' }));
          tr.append(td);
        }
        table.append(tr);
        this.readoutRows.push(tr);
      }
      this.readoutMore = document.createElement('div');
      this.readoutMore.className = 'muted';
      this.readout.replaceChildren(this.readoutHead, table, this.readoutMore);
    }
    return { head: this.readoutHead, rows: this.readoutRows, more: this.readoutMore! };
  }

  private renderReadout(rows: { p: Prepared; i: number; y: number }[], closest: { p: Prepared }, total: number, atPx: number, cursorY: number) {
    const { xMode, smoothing } = this.options;
    const el = this.readoutElements();
    const first = rows[0]!;
    el.head.textContent =
      xMode === 'step'
        ? `step ${Math.round(first.p.s.x[first.i]!).toLocaleString()}`
        : xMode === 'wall'
          ? fmtWall(first.p.s.x[first.i]!)
          : `+${fmtElapsed(first.p.s.x[first.i]!)}`;
    el.rows.forEach((tr, k) => {
      const r = rows[k];
      tr.hidden = !r;
      if (!r) {
        delete tr.dataset.testid;
        return;
      }
      tr.dataset.testid = 'readout-row';
      const s = r.p.s;
      tr.dataset.series = s.id;
      tr.className = r.p === closest.p ? 'closest' : '';
      const step = s.steps ? s.steps[r.i]! : xMode === 'step' ? s.x[r.i]! : null;
      const time = s.times?.[r.i];
      const raw = r.p.raw?.[r.i];
      const cells = tr.children;
      (cells[0]!.firstChild as HTMLElement).style.background = s.color;
      cells[1]!.textContent = s.label;
      cells[2]!.textContent = fmtNumber(r.y) + (smoothing > 0 && raw !== undefined ? ` (raw ${fmtNumber(raw)})` : '');
      cells[3]!.textContent = s.detail ? s.detail(r.i) : step === null ? '' : `step ${Math.round(step).toLocaleString()}`;
      cells[4]!.textContent = time !== undefined ? fmtWall(time) : '';
    });
    el.more.textContent = total > rows.length ? `+${total - rows.length} more` : '';
    this.readout.hidden = false;
    // Anchored on the side away from the cursor, so its width need not be measured.
    const width = this.frame ? this.frame.left + this.frame.width + MARGIN.right : 0;
    // It never leaves the chart: what it has no room for is cut, the closest run stays first in view.
    if (atPx < width / 2) {
      this.readout.style.left = `${atPx + 14}px`;
      this.readout.style.right = '';
      this.readout.style.maxWidth = `${Math.max(120, width - atPx - 18)}px`;
    } else {
      this.readout.style.left = '';
      this.readout.style.right = `${width - atPx + 14}px`;
      this.readout.style.maxWidth = `${Math.max(120, atPx - 18)}px`;
    }
    this.readout.style.top = `${Math.max(0, Math.min(cursorY + 10, this.height - 40))}px`;
  }

  private drawOverlay(h: { px: number; dots: { x: number; y: number; color: string; big: boolean }[] } | null) {
    const ctx = this.over.getContext('2d')!;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.over.width / dpr, this.over.height / dpr);
    const f = this.frame;
    if (!f) return;
    if (this.drag) {
      const a = Math.min(this.drag.from, this.drag.to);
      ctx.fillStyle = 'rgba(79, 70, 229, 0.12)';
      ctx.fillRect(a, f.top, Math.abs(this.drag.to - this.drag.from), f.height);
    }
    if (!h) return;
    ctx.strokeStyle = '#94a3b8';
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(Math.round(h.px) + 0.5, f.top);
    ctx.lineTo(Math.round(h.px) + 0.5, f.top + f.height);
    ctx.stroke();
    ctx.setLineDash([]);
    for (const d of h.dots) {
      if (!Number.isFinite(d.y)) continue;
      ctx.fillStyle = d.color;
      ctx.beginPath();
      ctx.arc(d.x, d.y, d.big ? 4.5 : 3, 0, Math.PI * 2);
      ctx.fill();
      if (d.big) {
        ctx.strokeStyle = '#fff';
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
    }
  }

  private onMove = (e: MouseEvent) => {
    if (this.drag) {
      const at = this.xAt(e.clientX);
      if (at) this.drag.to = at.px;
      this.drawOverlay(null);
      return;
    }
    this.lastHover = { x: e.clientX, y: e.clientY };
    this.hover(e.clientX, e.clientY);
  };

  private onLeave = () => {
    this.lastHover = null;
    this.rect = null;
    if (!this.drag) this.hover(null);
  };

  private onDown = (e: MouseEvent) => {
    const at = this.xAt(e.clientX);
    if (!at || e.button !== 0) return;
    e.preventDefault();
    this.readout.hidden = true;
    this.drag = { from: at.px, to: at.px };
  };

  private onUp = () => {
    const d = this.drag;
    const f = this.frame;
    this.drag = null;
    if (!d || !f) return;
    this.drawOverlay(null);
    if (Math.abs(d.to - d.from) < 4) return;
    const a = f.x.value((Math.min(d.from, d.to) - f.left) / f.width);
    const b = f.x.value((Math.max(d.from, d.to) - f.left) / f.width);
    this.view = [a, b];
    this.draw();
    this.onZoom?.([a, b]);
  };

  private onDouble = () => {
    this.view = null;
    this.draw();
    this.onZoom?.(null);
  };
}

/**
 * The chart. `series` and `options` redraw it; hovering and zooming do not re-render React.
 * `onZoom` hears the x range dragged (in x units), or null on double-click.
 */
export function Plot({
  series,
  options,
  height = 220,
  onZoom,
  view,
  testId = 'plot',
}: {
  series: PlotSeries[];
  options: PlotOptions;
  height?: number;
  onZoom?: (range: [number, number] | null) => void;
  /** The x range shown, when the owner decides it (undefined: the chart's own zoom). */
  view?: [number, number] | null;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const renderer = useRef<Renderer | null>(null);
  useEffect(() => {
    // The height arrives with the first `set` below, so resizing never rebuilds the canvases.
    const r = new Renderer(box.current!);
    renderer.current = r;
    let width = box.current!.clientWidth;
    const resize = new ResizeObserver(() => {
      if (box.current && box.current.clientWidth !== width) {
        width = box.current.clientWidth;
        r.draw();
      }
    });
    resize.observe(box.current!);
    return () => {
      resize.disconnect();
      r.destroy();
      renderer.current = null;
    };
  }, []);
  useEffect(() => {
    if (renderer.current) renderer.current.onZoom = onZoom;
  });
  // Owners rebuild the options object freely: redraw only when a setting in it changes.
  const { xMode, logY, smoothing, yLabel } = options;
  useEffect(() => {
    renderer.current?.set(series, { xMode, logY, smoothing, yLabel }, height);
  }, [series, xMode, logY, smoothing, yLabel, height]);
  // A view the owner decides arrives as a new array each render: apply it only when its bounds change.
  const viewKey = view === undefined ? null : JSON.stringify(view);
  useEffect(() => {
    if (viewKey !== null) renderer.current?.setView(JSON.parse(viewKey) as [number, number] | null);
  }, [viewKey]);
  return (
    <div
      className="plot"
      ref={box}
      style={{ height }}
      data-testid={testId}
      data-series={series.length}
      data-x-mode={options.xMode}
      data-smoothing={options.smoothing}
    />
  );
}
