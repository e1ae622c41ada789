// The active-node view: per measured layer a grid of cells, one per node, shaded by its statistic relative to θ.
import type { PlaygroundMeasure } from '../../index.js';
import { formatNumber } from './charts.js';

interface LayerView {
  name: string;
  label: string;
  count: HTMLElement;
  canvas: HTMLCanvasElement;
  n: number;
}

interface Colours {
  dead: Rgb;
  nearThreshold: Rgb;
  activeLow: Rgb;
  activeHigh: Rgb;
}

type Rgb = [number, number, number];

/** Active cells go from the low to the high colour as the statistic grows from θ to θ·2^ACTIVE_OCTAVES. */
const ACTIVE_OCTAVES = 4;
const GAP_PX = 1;

/** Shows which nodes of each layer are active at a measurement; a slider moves through the run's measurements. */
export class NodeView {
  private layers: LayerView[] = [];
  private measures: readonly PlaygroundMeasure[] = [];
  private threshold = 0;
  /** The measurement shown, or undefined to follow the newest. */
  private pinned: number | undefined;
  private readonly list: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly sliderLabel: HTMLElement;
  private readonly hover: HTMLElement;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly container: HTMLElement) {
    container.replaceChildren();
    const controls = element('div', 'node-controls');
    this.slider = document.createElement('input');
    this.slider.type = 'range';
    this.slider.id = 'node-measure';
    this.slider.min = '0';
    this.slider.max = '0';
    this.slider.disabled = true;
    this.sliderLabel = element('label', 'node-measure-label');
    this.sliderLabel.setAttribute('for', this.slider.id);
    this.sliderLabel.textContent = 'No measurement yet.';
    this.slider.addEventListener('input', () => {
      const index = Number(this.slider.value);
      this.pinned = index >= this.measures.length - 1 ? undefined : index;
      this.render();
    });
    controls.append(this.sliderLabel, this.slider, legend());
    this.list = element('div', 'node-layers');
    this.hover = element('p', 'node-hover');
    this.hover.setAttribute('aria-live', 'off');
    this.hover.textContent = 'Point at a cell to read its node’s statistic.';
    container.append(controls, this.list, this.hover);
    container.dataset.layers = '0';
    this.resizeObserver = new ResizeObserver(() => this.render());
    this.resizeObserver.observe(this.list);
  }

  /** Starts a new run: one grid per measured layer. */
  reset(layers: readonly { name: string; label: string; n: number }[], threshold: number): void {
    this.threshold = threshold;
    this.measures = [];
    this.pinned = undefined;
    this.list.replaceChildren();
    this.layers = layers.map((layer) => {
      const row = element('div', 'node-layer');
      const heading = element('h3', 'node-layer-title');
      const label = element('span', 'node-layer-label');
      label.textContent = `Layer ${layer.label}`;
      const count = element('span', 'node-layer-count');
      heading.append(label, count);
      const canvas = document.createElement('canvas');
      canvas.className = 'node-grid';
      canvas.setAttribute('role', 'img');
      canvas.dataset.layer = layer.name;
      canvas.addEventListener('mousemove', (event) => this.describeCell(view, event));
      canvas.addEventListener('mouseleave', () => (this.hover.textContent = 'Point at a cell to read its node’s statistic.'));
      row.append(heading, canvas);
      this.list.append(row);
      const view: LayerView = { name: layer.name, label: layer.label, count, canvas, n: layer.n };
      return view;
    });
    this.container.dataset.layers = String(this.layers.length);
    this.render();
  }

  /** The run's measurements so far (the newest is shown unless the slider holds an earlier one). */
  setMeasures(measures: readonly PlaygroundMeasure[]): void {
    this.measures = measures;
    this.render();
  }

  private current(): PlaygroundMeasure | undefined {
    if (this.measures.length === 0) return undefined;
    return this.measures[Math.min(this.pinned ?? this.measures.length - 1, this.measures.length - 1)];
  }

  private render(): void {
    const count = this.measures.length;
    const index = Math.min(this.pinned ?? count - 1, count - 1);
    this.slider.max = String(Math.max(0, count - 1));
    this.slider.value = String(Math.max(0, index));
    this.slider.disabled = count < 2;
    const measure = this.current();
    this.sliderLabel.textContent = measure
      ? `Measurement ${index + 1} of ${count}: after step ${measure.step}${this.pinned === undefined ? ' (newest)' : ''}`
      : 'No measurement yet.';
    const colours = readColours(this.container);
    for (const view of this.layers) {
      const layer = measure?.layers.find((candidate) => candidate.name === view.name);
      view.count.textContent = layer ? `${layer.a} / ${layer.n} active (${(layer.fraction * 100).toFixed(1)}%)` : `${view.n} nodes`;
      view.canvas.setAttribute('aria-label', `Layer ${view.label}: ${view.count.textContent}`);
      this.drawGrid(view, layer?.statistic, colours);
    }
  }

  private geometry(view: LayerView): { cell: number; columns: number; rows: number } {
    const cell = view.n <= 256 ? 12 : view.n <= 1024 ? 8 : 5;
    const available = Math.max(this.list.clientWidth, 120);
    const columns = Math.max(1, Math.min(view.n, Math.floor((available + GAP_PX) / (cell + GAP_PX))));
    return { cell, columns, rows: Math.ceil(view.n / columns) };
  }

  private drawGrid(view: LayerView, statistic: readonly number[] | undefined, colours: Colours): void {
    const { cell, columns, rows } = this.geometry(view);
    const width = columns * (cell + GAP_PX) - GAP_PX;
    const height = rows * (cell + GAP_PX) - GAP_PX;
    const ratio = window.devicePixelRatio || 1;
    view.canvas.style.width = `${width}px`;
    view.canvas.style.height = `${height}px`;
    view.canvas.width = Math.round(width * ratio);
    view.canvas.height = Math.round(height * ratio);
    const context = view.canvas.getContext('2d');
    if (!context) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const reference = this.reference(statistic);
    for (let node = 0; node < view.n; node++) {
      const value = statistic?.[node];
      context.fillStyle = value === undefined ? rgb(colours.dead) : cellColour(value, this.threshold, reference, colours);
      context.fillRect((node % columns) * (cell + GAP_PX), Math.floor(node / columns) * (cell + GAP_PX), cell, cell);
    }
  }

  /** The scale statistics are shaded against: θ, or (θ = 0) a sixteenth of the largest statistic. */
  private reference(statistic: readonly number[] | undefined): number {
    if (this.threshold > 0) return this.threshold;
    const largest = statistic ? Math.max(0, ...statistic) : 0;
    return largest > 0 ? largest / 2 ** ACTIVE_OCTAVES : 1;
  }

  private describeCell(view: LayerView, event: MouseEvent): void {
    const { cell, columns } = this.geometry(view);
    const bounds = view.canvas.getBoundingClientRect();
    const column = Math.floor((event.clientX - bounds.left) / (cell + GAP_PX));
    const row = Math.floor((event.clientY - bounds.top) / (cell + GAP_PX));
    const node = row * columns + column;
    if (column < 0 || column >= columns || node < 0 || node >= view.n) return;
    const measure = this.current();
    const value = measure?.layers.find((layer) => layer.name === view.name)?.statistic[node];
    this.hover.textContent =
      value === undefined
        ? `Layer ${view.label}, node ${node}: not measured yet`
        : `Layer ${view.label}, node ${node}: mean activation ${formatNumber(value, 4)} (${value > this.threshold ? 'active' : 'inactive'}, θ = ${this.threshold})`;
  }
}

function cellColour(value: number, threshold: number, reference: number, colours: Colours): string {
  if (value > threshold) {
    const octaves = Math.log2(Math.max(value, 1e-30) / reference);
    return rgb(mix(colours.activeLow, colours.activeHigh, clamp(octaves / ACTIVE_OCTAVES)));
  }
  return rgb(mix(colours.dead, colours.nearThreshold, clamp(value / reference)));
}

function legend(): HTMLElement {
  const box = element('div', 'node-legend');
  const items: [string, string][] = [
    ['dead', 'inactive, statistic 0 … θ'],
    ['near', 'just under θ'],
    ['active-low', 'active, just over θ'],
    ['active-high', `≥ ${2 ** ACTIVE_OCTAVES}·θ`],
  ];
  for (const [kind, text] of items) {
    const item = element('span', 'legend-item');
    const swatch = element('span', `swatch swatch-${kind}`);
    swatch.setAttribute('aria-hidden', 'true');
    item.append(swatch, text);
    box.append(item);
  }
  return box;
}

function readColours(container: HTMLElement): Colours {
  const style = getComputedStyle(container);
  const read = (name: string, fallback: Rgb): Rgb => parseHex(style.getPropertyValue(name).trim()) ?? fallback;
  return {
    dead: read('--node-dead', [232, 232, 232]),
    nearThreshold: read('--node-near', [150, 150, 150]),
    activeLow: read('--node-active-low', [253, 190, 110]),
    activeHigh: read('--node-active-high', [200, 70, 10]),
  };
}

function parseHex(text: string): Rgb | undefined {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(text);
  return match ? [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)] : undefined;
}

function mix(from: Rgb, to: Rgb, t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(from[i] + (to[i] - from[i]) * t)) as Rgb;
}

function rgb([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

function clamp(t: number): number {
  return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : t > 0 ? 1 : 0;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  created.className = className;
  return created;
}
