// A small canvas line chart (axes, ticks, labels, legend, several series, linear or log y, vertical markers), no library.

/** One line of a chart: parallel arrays of x and y values, in x order. */
export interface ChartSeries {
  name: string;
  color: string;
  x: readonly number[];
  y: readonly number[];
  /** Line width in CSS pixels; default 1.75. */
  width?: number;
  /** Canvas dash pattern; default solid. */
  dash?: number[];
  /** Draw a dot at each point (for sparse series such as per-epoch values); default: only when the series has one point. */
  dots?: boolean;
  /** 0..1; default 1. */
  opacity?: number;
}

/** A vertical line across the plot at x, labelled (e.g. where pruning happened). */
export interface ChartMarker {
  x: number;
  label: string;
}

export interface ChartOptions {
  /** Names the chart in its accessible label. */
  title: string;
  xLabel: string;
  yLabel: string;
  /** 'log' plots y on a base-10 log axis (values <= 0 are not drawn); default 'linear'. */
  scale?: 'linear' | 'log';
  /** Fixed y range; without it the range follows the data. */
  yRange?: [number, number];
  /** Bounds the automatic y range (e.g. [0, 100] for percentages). */
  yBounds?: [number, number];
  /** Formats a y value for the accessible summary; default 4 significant digits. */
  formatY?: (value: number) => string;
}

/** Colours that read on light and dark backgrounds (Tableau 10). */
export const palette = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];

const FONT_PX = 11;
const MARGIN = { left: 58, right: 14, top: 8, bottom: 36 };
const LEGEND_ROW_PX = 16;

interface Theme {
  text: string;
  muted: string;
  grid: string;
  axis: string;
  marker: string;
  font: string;
}

interface Ticks {
  values: number[];
  label: (value: number) => string;
}

/** A line chart drawn on `canvas`; it redraws itself (once per frame at most) on every change and on resize. */
export class LineChart {
  private series: ChartSeries[] = [];
  private markers: ChartMarker[] = [];
  private xDomain: [number, number] | undefined;
  private frame: number | undefined;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private options: ChartOptions,
  ) {
    this.resizeObserver = new ResizeObserver(() => this.invalidate());
    this.resizeObserver.observe(canvas);
    this.update();
  }

  /** Replaces the plotted series. */
  setSeries(series: ChartSeries[]): void {
    this.series = series;
    this.update();
  }

  setMarkers(markers: ChartMarker[]): void {
    this.markers = markers;
    this.update();
  }

  /** The x range to show at least (e.g. 0 to the planned steps), so the axis does not jump as data arrives. */
  setXDomain(min: number, max: number): void {
    this.xDomain = max > min ? [min, max] : undefined;
    this.update();
  }

  setScale(scale: 'linear' | 'log'): void {
    this.options = { ...this.options, scale };
    this.update();
  }

  clear(): void {
    this.series = [];
    this.markers = [];
    this.xDomain = undefined;
    this.update();
  }

  /** Points drawn now, over all series (what data-points on the canvas says). */
  get pointCount(): number {
    return this.series.reduce((sum, series) => sum + this.drawable(series).length, 0);
  }

  /** Updates the canvas's data-points and accessible label at once, and draws on the next frame. */
  private update(): void {
    this.canvas.dataset.points = String(this.pointCount);
    this.canvas.setAttribute('aria-label', this.summary());
    this.invalidate();
  }

  private invalidate(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.draw();
    });
  }

  private summary(): string {
    const format = this.options.formatY ?? ((value: number) => formatNumber(value, 4));
    const parts = this.series.flatMap((series) => {
      const points = this.drawable(series);
      const last = points.at(-1);
      return last === undefined
        ? []
        : [`${series.name} ${format(series.y[last])} at ${this.options.xLabel.toLowerCase()} ${series.x[last]}`];
    });
    return `${this.options.title}: ${parts.length ? parts.join('; ') : 'no data yet'}`;
  }

  /** Indices of the points of `series` that can be drawn on this chart's scale. */
  private drawable(series: ChartSeries): number[] {
    const indices: number[] = [];
    const log = this.options.scale === 'log';
    for (let i = 0; i < series.x.length; i++) {
      const y = series.y[i];
      if (Number.isFinite(series.x[i]) && Number.isFinite(y) && (!log || y > 0)) indices.push(i);
    }
    return indices;
  }

  private theme(): Theme {
    const style = getComputedStyle(this.canvas);
    const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
    return {
      text: read('--chart-text', '#222'),
      muted: read('--chart-muted', '#666'),
      grid: read('--chart-grid', '#e4e4e4'),
      axis: read('--chart-axis', '#888'),
      marker: read('--chart-marker', '#c0392b'),
      font: `${FONT_PX}px ${style.fontFamily || 'system-ui, sans-serif'}`,
    };
  }

  private draw(): void {
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (width === 0 || height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
    }
    const context = this.canvas.getContext('2d');
    if (!context) return;
    const theme = this.theme();
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    context.font = theme.font;
    context.textBaseline = 'middle';

    const legendHeight = this.drawLegend(context, theme, width);
    const plot = {
      left: MARGIN.left,
      top: MARGIN.top + legendHeight,
      right: width - MARGIN.right,
      bottom: height - MARGIN.bottom,
    };
    if (plot.right - plot.left < 40 || plot.bottom - plot.top < 30) return;

    const log = this.options.scale === 'log';
    const drawn = this.series.map((series) => ({ series, points: this.drawable(series) }));
    const xs = drawn.flatMap(({ series, points }) => points.map((i) => series.x[i]));
    const ys = drawn.flatMap(({ series, points }) => points.map((i) => series.y[i]));
    const [xMin, xMax] = this.xRange(xs);
    const [yLow, yHigh] = this.yRange(ys, log);
    const transform = (y: number): number => (log ? Math.log10(y) : y);
    const toX = (x: number): number => plot.left + ((x - xMin) / (xMax - xMin)) * (plot.right - plot.left);
    const toY = (y: number): number =>
      plot.bottom - ((transform(y) - transform(yLow)) / (transform(yHigh) - transform(yLow))) * (plot.bottom - plot.top);

    // Grid, ticks and tick labels (none before there is data: an empty chart's numbers would mean nothing).
    const empty = xs.length === 0;
    const xTicks = empty ? { values: [], label: String } : linearTicks(xMin, xMax, Math.max(2, Math.floor((plot.right - plot.left) / 80)));
    const yTicks: Ticks = empty
      ? { values: [], label: String }
      : log
        ? logTicks(yLow, yHigh)
        : linearTicks(yLow, yHigh, Math.max(2, Math.floor((plot.bottom - plot.top) / 40)));
    context.lineWidth = 1;
    context.strokeStyle = theme.grid;
    context.fillStyle = theme.muted;
    context.textAlign = 'center';
    for (const x of xTicks.values) {
      const px = Math.round(toX(x)) + 0.5;
      line(context, px, plot.top, px, plot.bottom);
      context.fillText(xTicks.label(x), px, plot.bottom + 10);
    }
    context.textAlign = 'right';
    for (const y of yTicks.values) {
      const py = Math.round(toY(y)) + 0.5;
      line(context, plot.left, py, plot.right, py);
      context.fillText(yTicks.label(y), plot.left - 6, py);
    }
    context.strokeStyle = theme.axis;
    line(context, plot.left + 0.5, plot.top, plot.left + 0.5, plot.bottom + 0.5);
    line(context, plot.left, plot.bottom + 0.5, plot.right, plot.bottom + 0.5);

    // Axis labels.
    context.fillStyle = theme.text;
    context.textAlign = 'center';
    context.fillText(this.options.xLabel, (plot.left + plot.right) / 2, height - 9);
    context.save();
    context.translate(12, (plot.top + plot.bottom) / 2);
    context.rotate(-Math.PI / 2);
    context.fillText(this.options.yLabel + (log ? ' (log scale)' : ''), 0, 0);
    context.restore();
    if (empty) {
      context.fillStyle = theme.muted;
      context.fillText('waiting for data…', (plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2);
      return;
    }

    // Markers under the lines.
    context.save();
    context.setLineDash([4, 3]);
    context.strokeStyle = theme.marker;
    context.fillStyle = theme.marker;
    context.textAlign = 'left';
    for (const marker of this.markers) {
      if (marker.x < xMin || marker.x > xMax) continue;
      const px = Math.round(toX(marker.x)) + 0.5;
      line(context, px, plot.top, px, plot.bottom);
      const textWidth = context.measureText(marker.label).width;
      const textX = px + 4 + textWidth > plot.right ? px - 4 - textWidth : px + 4;
      context.fillText(marker.label, textX, plot.top + 8);
    }
    context.restore();

    // Series, clipped to the plot.
    context.save();
    context.beginPath();
    context.rect(plot.left - 4, plot.top - 4, plot.right - plot.left + 8, plot.bottom - plot.top + 8);
    context.clip();
    context.lineJoin = 'round';
    for (const { series, points } of drawn) {
      if (points.length === 0) continue;
      context.globalAlpha = series.opacity ?? 1;
      context.strokeStyle = series.color;
      context.fillStyle = series.color;
      context.lineWidth = series.width ?? 1.75;
      context.setLineDash(series.dash ?? []);
      context.beginPath();
      points.forEach((i, k) => {
        const px = toX(series.x[i]);
        const py = toY(series.y[i]);
        if (k === 0) context.moveTo(px, py);
        else context.lineTo(px, py);
      });
      context.stroke();
      if (series.dots || points.length === 1) {
        for (const i of points) {
          context.beginPath();
          context.arc(toX(series.x[i]), toY(series.y[i]), 2.75, 0, 2 * Math.PI);
          context.fill();
        }
      }
    }
    context.restore();
  }

  /** Draws the legend in rows above the plot; returns its height. */
  private drawLegend(context: CanvasRenderingContext2D, theme: Theme, width: number): number {
    if (this.series.length === 0) return 0;
    let x = MARGIN.left;
    let row = 0;
    context.textAlign = 'left';
    for (const series of this.series) {
      const itemWidth = 22 + context.measureText(series.name).width + 14;
      if (x + itemWidth > width - MARGIN.right && x > MARGIN.left) {
        x = MARGIN.left;
        row++;
      }
      const y = MARGIN.top + row * LEGEND_ROW_PX + LEGEND_ROW_PX / 2;
      context.save();
      context.globalAlpha = Math.max(series.opacity ?? 1, 0.6);
      context.strokeStyle = series.color;
      context.lineWidth = 2.5;
      context.setLineDash(series.dash ?? []);
      line(context, x, y, x + 16, y);
      context.restore();
      context.fillStyle = theme.text;
      context.fillText(series.name, x + 22, y);
      x += itemWidth;
    }
    return (row + 1) * LEGEND_ROW_PX + 4;
  }

  private xRange(xs: number[]): [number, number] {
    let min = this.xDomain?.[0] ?? Infinity;
    let max = this.xDomain?.[1] ?? -Infinity;
    for (const x of xs) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
    if (max === min) return [min, min + 1];
    return [min, max];
  }

  private yRange(ys: number[], log: boolean): [number, number] {
    if (this.options.yRange) return this.options.yRange;
    let min = Infinity;
    let max = -Infinity;
    for (const y of ys) {
      if (y < min) min = y;
      if (y > max) max = y;
    }
    if (!Number.isFinite(min)) return log ? [0.1, 10] : (this.options.yBounds ?? [0, 1]);
    if (log) {
      const low = Math.log10(min);
      const high = Math.log10(max);
      const pad = Math.max((high - low) * 0.05, 0.05);
      return [10 ** (low - pad), 10 ** (high + pad)];
    }
    const pad = max > min ? (max - min) * 0.06 : Math.max(Math.abs(max) * 0.05, 0.5);
    let low = min - pad;
    let high = max + pad;
    if (this.options.yBounds) {
      low = Math.max(low, this.options.yBounds[0]);
      high = Math.min(high, this.options.yBounds[1]);
      if (high <= low) high = low + 1;
    }
    return [low, high];
  }
}

function line(context: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  context.beginPath();
  context.moveTo(x0, y0);
  context.lineTo(x1, y1);
  context.stroke();
}

/** About `count` round-numbered ticks within [min, max]. */
export function linearTicks(min: number, max: number, count: number): Ticks {
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude;
  const values: number[] = [];
  for (let value = Math.ceil(min / step - 1e-9) * step; value <= max + step * 1e-9; value += step)
    values.push(Math.abs(value) < step * 1e-9 ? 0 : value);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const large = Math.max(Math.abs(min), Math.abs(max)) >= 1e6;
  return { values, label: (value) => (large ? value.toExponential(1) : value.toFixed(decimals)) };
}

/** Ticks for a log axis: 1-2-5 steps over up to 2.5 decades, decades (every k-th when there are many) beyond. */
export function logTicks(min: number, max: number): Ticks {
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  if (Math.log10(max / min) <= 2.5) {
    const values: number[] = [];
    for (let exponent = low; exponent <= high; exponent++) {
      for (const factor of [1, 2, 5]) {
        const value = factor * 10 ** exponent;
        if (value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9)) values.push(value);
      }
    }
    if (values.length >= 2) return { values, label: (value) => formatNumber(value, 2) };
    const ticks = linearTicks(min, max, 4);
    return { values: ticks.values.filter((value) => value > 0), label: (value) => formatNumber(value, 2) };
  }
  const first = Math.ceil(Math.log10(min) - 1e-9);
  const last = Math.floor(Math.log10(max) + 1e-9);
  const every = Math.max(1, Math.ceil((last - first + 1) / 6));
  const values: number[] = [];
  for (let exponent = first; exponent <= last; exponent += every) values.push(10 ** exponent);
  return { values, label: (value) => formatDecade(Math.round(Math.log10(value))) };
}

function formatDecade(exponent: number): string {
  if (exponent >= 0 && exponent <= 4) return String(10 ** exponent);
  if (exponent < 0 && exponent >= -3) return (10 ** exponent).toFixed(-exponent);
  return `1e${exponent}`;
}

/** A number with `digits` significant digits, in exponent form when very large or small. */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}
