// The status panel: state line, download bar, training progress line (step, epoch, samples/s, ETA, accuracy), results, errors.
import { formatNumber } from './charts.js';
import { byId } from './controls.js';
import type { DownloadProgress } from './data-loader.js';
import type { LiveHistory } from '../history.js';

/** E from its exact decimal digits: grouped when short, else d.ddd × 10^k (no float64 overflow). */
export function formatE(digits: string): string {
  if (digits.length <= 7) return Number(digits).toLocaleString('en-US');
  return `${digits[0]}.${digits.slice(1, 4)}e${digits.length - 1}`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${bytes} B`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${Math.max(0, seconds).toFixed(1)} s`;
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const hours = Math.floor(minutes / 60);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return hours > 0 ? `${hours}:${pad(minutes % 60)}:${pad(whole % 60)}` : `${minutes}:${pad(whole % 60)}`;
}

const percent = (fraction: number): string => (Number.isFinite(fraction) ? `${(fraction * 100).toFixed(2)}%` : '—');

export class StatusPanel {
  private readonly stateLine = byId('state-line');
  private readonly download = byId('download');
  private readonly downloadLabel = byId('download-label');
  private readonly downloadBar = byId<HTMLProgressElement>('download-progress');
  private readonly training = byId('training');
  private readonly trainingBar = byId<HTMLProgressElement>('training-progress');
  private readonly progressLine = byId('progress-line');
  private readonly resultsLine = byId('results-line');
  private readonly errorLine = byId('error-line');
  /** performance.now() when the run's start event came, to measure throughput from. */
  private startedAt = 0;

  setState(text: string): void {
    this.stateLine.textContent = text;
  }

  showDownload(title: string, progress: DownloadProgress): void {
    this.download.hidden = false;
    this.downloadBar.max = Math.max(progress.total, 1);
    this.downloadBar.value = progress.loaded;
    const file = progress.file ? `: ${progress.file}` : '';
    this.downloadLabel.textContent = `Fetching ${title}${file} — ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}`;
  }

  hideDownload(): void {
    this.download.hidden = true;
  }

  /** Clears the panel for a new run. */
  reset(): void {
    this.training.hidden = true;
    this.resultsLine.hidden = true;
    this.trainingBar.value = 0;
    this.progressLine.textContent = '';
    this.clearError();
  }

  /** Marks the start of the training proper (after data and compilation), for samples/s and ETA. */
  started(): void {
    this.startedAt = performance.now();
    this.training.hidden = false;
  }

  /** Updates the progress bar and line from the history. */
  progress(history: LiveHistory): void {
    const start = history.start;
    if (!start) return;
    const step = history.losses.length;
    const { settings } = start;
    this.trainingBar.max = Math.max(start.steps, 1);
    this.trainingBar.value = step;
    const seconds = (performance.now() - this.startedAt) / 1000;
    const samplesPerSecond = step > 0 && seconds > 0 ? (step * settings.batchSize) / seconds : NaN;
    const eta = step > 0 ? ((start.steps - step) * seconds) / step : NaN;
    const epoch = Math.min(settings.epochs, Math.floor(Math.max(step - 1, 0) / start.stepsPerEpoch) + 1);
    const lastEpoch = history.epochs.at(-1);
    const lastMeasure = history.measures.at(-1);
    const parts = [
      `Step ${step.toLocaleString('en-US')} / ${start.steps.toLocaleString('en-US')}`,
      `epoch ${epoch} / ${settings.epochs}`,
      `${Number.isFinite(samplesPerSecond) ? Math.round(samplesPerSecond).toLocaleString('en-US') : '—'} samples/s`,
      `ETA ${history.done ? '0:00' : formatDuration(eta)}`,
      history.done
        ? `test accuracy ${percent(history.done.testAccuracy)} (final)`
        : `test accuracy ${lastEpoch ? `${percent(lastEpoch.testAccuracy)} (epoch ${lastEpoch.epoch})` : '— (after the first epoch)'}`,
    ];
    if (lastMeasure) parts.push(`probe accuracy ${percent(lastMeasure.probeAccuracy)} at step ${lastMeasure.step}`);
    this.progressLine.textContent = parts.join(' · ');
  }

  /** The results line of a finished (or stopped) run. */
  finish(history: LiveHistory, backend: string): void {
    const done = history.done;
    const start = history.start;
    if (!done || !start) return;
    this.progress(history);
    const measure = history.measures.at(-1);
    const how =
      done.reason === 'stopped'
        ? `Stopped after ${done.step} steps`
        : done.reason === 'max-steps'
          ? `Reached the step limit: ${done.step} steps`
          : `Finished ${start.settings.epochs} epoch${start.settings.epochs > 1 ? 's' : ''} (${done.step} steps)`;
    const parts = [
      `${how} in ${formatDuration(done.seconds)} on ${backend}`,
      `test accuracy ${percent(done.testAccuracy)} (loss ${formatNumber(done.testLoss, 4)})`,
    ];
    if (measure) {
      parts.push(`E = ${formatE(measure.E)}`, `E / parameters ${formatNumber(measure.relative, 3)}`);
      if (history.prunes.length > 0) parts.push(`E / unpruned parameters ${formatNumber(measure.relativeUnpruned, 3)}`);
      parts.push(`active ${measure.layers.map((layer) => `${layer.a}/${layer.n}`).join(', ')}`);
    }
    parts.push(`${start.parameters.toLocaleString('en-US')} parameters`);
    this.resultsLine.textContent = parts.join(' · ');
    this.resultsLine.hidden = false;
  }

  showError(message: string): void {
    this.errorLine.textContent = message;
    this.errorLine.hidden = false;
  }

  clearError(): void {
    this.errorLine.textContent = '';
    this.errorLine.hidden = true;
  }
}
