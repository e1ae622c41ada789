// Downloads of a run: the whole history as JSON, and one CSV row per measurement (E, relative E, accuracy, per-layer a/n).
import type { PlaygroundSettings } from '../../index.js';
import type { LiveHistory } from '../history.js';

/** A file name naming the run: data set, model, init and seed. */
export function runFileName(settings: PlaygroundSettings, extension: string): string {
  const model = settings.model === 'mlp' ? `mlp-${settings.hidden.join('-')}` : 'cnn';
  const prune = settings.pruneFraction > 0 ? `-prune${Math.round(settings.pruneFraction * 100)}` : '';
  return `playground-${settings.dataset}-${model}-${settings.init}${prune}-seed${settings.seed}.${extension}`;
}

/** The history as JSON, in the order of PlaygroundHistory (start first, done last). */
export function historyJson(history: LiveHistory): string {
  const { start, losses, measures, prunes, epochs, done } = history;
  return JSON.stringify({ start, losses, measures, prunes, epochs, done }, null, 1);
}

/**
 * One row per measurement: step, epoch, E (exact), log10 E, relative E (over all and over unpruned parameters), the
 * probe's loss and accuracy, the mean training loss of the steps since the previous measurement, then a, n and the
 * active fraction of each layer (columns named by the layer's state-dict prefix: a_1 is the layer after '1.weight').
 */
export function measurementsCsv(history: LiveHistory): string {
  const layers = history.start?.layers ?? history.measures[0]?.layers ?? [];
  const header = [
    'step',
    'epoch',
    'E',
    'log10E',
    'relativeE',
    'relativeE_unpruned',
    'probe_loss',
    'probe_accuracy',
    'train_loss_since_previous',
    ...layers.flatMap((layer) => [`a_${layer.name}`, `n_${layer.name}`, `fraction_${layer.name}`]),
  ];
  const rows = [header.join(',')];
  let previousStep = 0;
  for (const measure of history.measures) {
    const recent = history.losses.slice(previousStep, measure.step);
    const trainLoss = recent.length ? recent.reduce((sum, loss) => sum + loss, 0) / recent.length : NaN;
    if (measure.step > previousStep) previousStep = measure.step;
    const perLayer = layers.flatMap((layer) => {
      const measured = measure.layers.find((candidate) => candidate.name === layer.name);
      return measured ? [measured.a, measured.n, measured.fraction] : [NaN, NaN, NaN];
    });
    const cells = [
      measure.step,
      measure.epoch,
      measure.E,
      measure.log10E,
      measure.relative,
      measure.relativeUnpruned,
      measure.probeLoss,
      measure.probeAccuracy,
      trainLoss,
      ...perLayer,
    ];
    rows.push(cells.map(csvCell).join(','));
  }
  return rows.join('\n') + '\n';
}

function csvCell(value: number | string): string {
  if (typeof value === 'string') return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  return Number.isFinite(value) ? String(value) : '';
}

/** Saves `text` as a file through a temporary link. */
export function download(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
