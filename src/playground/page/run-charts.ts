// The page's five live charts (loss, accuracy, log10 E, relative E, per-layer active fraction), drawn from the run's history.
import { LineChart, palette, type ChartMarker } from './charts.js';
import type { LiveHistory } from '../history.js';

/** Weight of the exponential moving average that smooths the per-step training loss. */
const SMOOTHING = 0.95;

function canvas(name: string): HTMLCanvasElement {
  const found = document.querySelector<HTMLCanvasElement>(`canvas[data-chart="${name}"]`);
  if (!found) throw new Error(`playground page: no canvas[data-chart="${name}"]`);
  return found;
}

const percent = (value: number): string => `${value.toFixed(2)}%`;

/** Keeps the charts in step with a run's history; call update() after each event. */
export class RunCharts {
  readonly loss = new LineChart(canvas('loss'), { title: 'Training loss', xLabel: 'Step', yLabel: 'Cross-entropy loss' });
  readonly accuracy = new LineChart(canvas('accuracy'), {
    title: 'Accuracy',
    xLabel: 'Step',
    yLabel: 'Accuracy (%)',
    yBounds: [0, 100],
    formatY: percent,
  });
  readonly emergence = new LineChart(canvas('emergence'), { title: 'log10 E', xLabel: 'Step', yLabel: 'log10 E' });
  readonly relative = new LineChart(canvas('relative'), {
    title: 'Relative emergence',
    xLabel: 'Step',
    yLabel: 'E / parameters',
    scale: 'log',
  });
  readonly active = new LineChart(canvas('active'), {
    title: 'Active fraction per layer',
    xLabel: 'Step',
    yLabel: 'Active nodes / nodes',
    yRange: [0, 1],
    formatY: (value) => `${(value * 100).toFixed(1)}%`,
  });
  private readonly all = [this.loss, this.accuracy, this.emergence, this.relative, this.active];

  /** Smoothed losses computed so far (extended as losses arrive, not recomputed). */
  private smoothed: number[] = [];
  private average = 0;

  constructor() {
    const logToggle = document.getElementById('loss-log');
    if (logToggle instanceof HTMLInputElement) {
      logToggle.addEventListener('change', () => this.loss.setScale(logToggle.checked ? 'log' : 'linear'));
    }
  }

  /** Empties every chart for a new run. */
  reset(): void {
    this.smoothed = [];
    this.average = 0;
    for (const chart of this.all) chart.clear();
  }

  /** Redraws every chart from the history. */
  update(history: LiveHistory): void {
    const steps = history.start?.steps;
    if (steps !== undefined) for (const chart of this.all) chart.setXDomain(0, steps);
    const markers: ChartMarker[] = history.prunes.map((prune) => ({ x: prune.step, label: `pruned ${Math.round(prune.fraction * 100)}%` }));
    for (const chart of this.all) chart.setMarkers(markers);

    const losses = history.losses;
    for (let i = this.smoothed.length; i < losses.length; i++) {
      this.average = SMOOTHING * this.average + (1 - SMOOTHING) * losses[i];
      // Bias-corrected, so the first steps are not pulled towards 0.
      this.smoothed.push(this.average / (1 - SMOOTHING ** (i + 1)));
    }
    const lossSteps = losses.map((_, i) => i + 1);
    const measures = history.measures;
    const measureSteps = measures.map((measure) => measure.step);
    const epochSteps = history.epochs.map((epoch) => epoch.step);
    this.loss.setSeries([
      { name: 'per step', color: palette[0], x: lossSteps, y: losses, width: 1, opacity: 0.35 },
      { name: `smoothed (EMA ${SMOOTHING})`, color: palette[0], x: lossSteps, y: this.smoothed, width: 2.25 },
      { name: 'probe', color: palette[1], x: measureSteps, y: measures.map((m) => m.probeLoss), dots: true },
      { name: 'test (epoch end)', color: palette[2], x: epochSteps, y: history.epochs.map((e) => e.testLoss), dots: true, dash: [5, 3] },
    ]);

    const testSteps = [...epochSteps];
    const testAccuracy = history.epochs.map((epoch) => epoch.testAccuracy * 100);
    const done = history.done;
    if (done && testSteps.at(-1) !== done.step) {
      testSteps.push(done.step);
      testAccuracy.push(done.testAccuracy * 100);
    }
    const probeCount = history.start ? `${history.start.settings.probe} samples` : 'samples';
    this.accuracy.setSeries([
      {
        name: `probe (first ${probeCount} of test)`,
        color: palette[1],
        x: measureSteps,
        y: measures.map((m) => m.probeAccuracy * 100),
        dots: true,
      },
      { name: 'test set', color: palette[2], x: testSteps, y: testAccuracy, dots: true, dash: [5, 3] },
    ]);

    this.emergence.setSeries([
      { name: 'log10 E (hidden layers)', color: palette[4], x: measureSteps, y: measures.map((m) => m.log10E), dots: true },
    ]);

    this.relative.setSeries([
      { name: 'E / all parameters', color: palette[4], x: measureSteps, y: measures.map((m) => m.relative), dots: true },
      {
        name: 'E / unpruned parameters',
        color: palette[3],
        x: measureSteps,
        y: measures.map((m) => m.relativeUnpruned),
        dots: true,
        dash: [5, 3],
      },
    ]);

    const layers = history.start?.layers ?? [];
    this.active.setSeries(
      layers.map((layer, index) => ({
        name: `layer ${layer.label}`,
        color: palette[index % palette.length],
        x: measureSteps,
        y: measures.map((m) => m.layers.find((measured) => measured.name === layer.name)?.fraction ?? NaN),
        dots: true,
      })),
    );
  }
}
