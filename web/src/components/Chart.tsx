// A time-series chart on uPlot: canvas drawing that stays fast with thousands of points per
// series. Dragging across it zooms (the owner refetches a finer downsample for the range);
// double-click resets.
import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  steps: ArrayLike<number>;
  values: ArrayLike<number | null>;
}

export const PALETTE = ['#4f46e5', '#e11d48', '#059669', '#d97706', '#0891b2', '#7c3aed', '#db2777', '#65a30d', '#2563eb', '#ea580c'];

function aligned(series: ChartSeries[]): AlignedData {
  if (series.length === 1) return [series[0]!.steps as number[], series[0]!.values as (number | null)[]];
  return uPlot.join(series.map((s) => [s.steps as number[], s.values as (number | null)[]]));
}

export function Chart({
  series,
  height = 220,
  onZoom,
  title,
}: {
  series: ChartSeries[];
  height?: number;
  onZoom?: (range: [number, number] | null) => void;
  title?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const shape = series.map((s) => `${s.label}|${s.color}`).join(',');

  useEffect(() => {
    const el = box.current!;
    const options: Options = {
      width: Math.max(200, el.clientWidth),
      height,
      title,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: false } },
      axes: [
        {
          stroke: '#64748b',
          grid: { stroke: '#eef2f7' },
          ticks: { stroke: '#e2e8f0' },
          label: 'step',
          labelSize: 20,
          font: '11px system-ui',
          labelFont: '11px system-ui',
        },
        { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' }, size: 56, font: '11px system-ui' },
      ],
      series: [{ label: 'step' }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, points: { show: false }, spanGaps: true }))],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const min = u.posToVal(u.select.left, 'x');
            const max = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoomRef.current?.([Math.floor(min), Math.ceil(max)]);
          },
        ],
      },
    };
    const u = new uPlot(options, aligned(series), el);
    plot.current = u;
    const dbl = () => zoomRef.current?.(null);
    u.over.addEventListener('dblclick', dbl);
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of series changes; data updates go through setData below.
  }, [shape, height, title]);

  useEffect(() => {
    plot.current?.setData(aligned(series));
  }, [series]);

  return <div className="chart" ref={box} />;
}
