// The playground page's entry: wires the form, backend, data, live charts and node view to playground.run, and exposes window.playground.
import { playground, type Engine, type PlaygroundEvent, type PlaygroundSettings } from '../../index.js';
import { BackendError, chooseBackend, type BackendPreference, type WebGpuSupport } from './backend.js';
import { Controls, byId } from './controls.js';
import { fetchIndex, isCached, loadDataset, type DataIndex } from './data-loader.js';
import { download, historyJson, measurementsCsv, runFileName } from './export.js';
import { emptyHistory, recordEvent, type LiveHistory } from '../history.js';
import { NodeView } from './node-view.js';
import { RunCharts } from './run-charts.js';
import { StatusPanel } from './status.js';

type PageState = 'idle' | 'loading' | 'training' | 'done' | 'error';

/** What tests and the console can read: the page's state, settings, backend and the current run's history. */
interface PageHooks {
  state: PageState;
  settings: PlaygroundSettings;
  backend: 'webgpu' | 'wasm' | undefined;
  description: string | undefined;
  webgpu: WebGpuSupport;
  history: LiveHistory;
  error: string | undefined;
}

declare global {
  interface Window {
    playground: PageHooks;
  }
}

const BACKEND_NAMES = { webgpu: 'WebGPU', wasm: 'WebAssembly' } as const;

const fromUrl = Controls.fromUrl(location.search);
const hooks: PageHooks = {
  state: 'idle',
  settings: fromUrl.settings,
  backend: undefined,
  description: undefined,
  webgpu: { available: false },
  history: emptyHistory(),
  error: undefined,
};
window.playground = hooks;

const startButton = byId<HTMLButtonElement>('start');
const stopButton = byId<HTMLButtonElement>('stop');
const exportJson = byId<HTMLButtonElement>('export-json');
const exportCsv = byId<HTMLButtonElement>('export-csv');
const banner = byId('backend-banner');
const notice = byId('backend-notice');
const engineDescription = byId('engine-description');
const status = new StatusPanel();
const charts = new RunCharts();
const nodeView = new NodeView(byId('node-view'));
const controls = new Controls(byId<HTMLFormElement>('settings'), settingsChanged);

let engine: Engine | undefined;
let enginePromise: Promise<Engine | undefined>;
let dataIndex: DataIndex | undefined;
let indexError: string | undefined;
let running: AbortController | undefined;
let currentPreference: BackendPreference = fromUrl.options.backend;

function setState(state: PageState, text: string): void {
  hooks.state = state;
  document.body.dataset.state = state;
  status.setState(text);
  updateButtons();
}

function fail(message: string): void {
  hooks.error = message;
  status.showError(message);
  setState('error', 'Error.');
}

function updateButtons(): void {
  const busy = hooks.state === 'loading' || hooks.state === 'training';
  startButton.disabled =
    busy || engine === undefined || indexError !== undefined || controls.error !== undefined || datasetProblem() !== undefined;
  stopButton.disabled = !busy;
  controls.setEnabled(!busy);
  const hasRun = hooks.history.start !== undefined;
  exportJson.disabled = !hasRun;
  exportCsv.disabled = !hasRun;
}

/** Why the chosen data set cannot be trained on, if it cannot. */
function datasetProblem(): string | undefined {
  if (!dataIndex) return undefined;
  const name = hooks.settings.dataset;
  if (dataIndex.datasets.some((entry) => entry.name === name)) return undefined;
  const missing = dataIndex.missing.find((entry) => entry.name === name);
  return `The data set '${name}' is not available here${missing ? `: ${missing.reason}` : ' (the data index does not list it)'}.`;
}

function settingsChanged(): void {
  try {
    hooks.settings = controls.read();
    controls.showError(datasetProblem());
    controls.syncUrl(hooks.settings);
  } catch (error) {
    controls.showError((error as Error).message);
  }
  const wanted = controls.pageOptions().backend;
  if (wanted !== currentPreference && hooks.state !== 'loading' && hooks.state !== 'training') {
    currentPreference = wanted;
    enginePromise = startEngine(wanted);
  }
  updateButtons();
}

/** Creates the engine for the preference (disposing the previous one) and fills the banner. */
async function startEngine(preference: BackendPreference): Promise<Engine | undefined> {
  const previous = engine;
  engine = undefined;
  hooks.backend = undefined;
  hooks.description = undefined;
  updateButtons();
  await previous?.dispose();
  notice.textContent = preference === 'wasm' ? 'Starting the WebAssembly engine…' : 'Checking for WebGPU…';
  engineDescription.textContent = '';
  banner.classList.remove('warning', 'failure');
  try {
    const chosen = await chooseBackend(preference);
    if (preference !== currentPreference) {
      await chosen.engine.dispose();
      return undefined;
    }
    engine = chosen.engine;
    hooks.backend = engine.backend;
    hooks.description = engine.description;
    hooks.webgpu = chosen.webgpu;
    notice.textContent = chosen.notice;
    engineDescription.textContent = `Engine: ${BACKEND_NAMES[engine.backend]} — ${engine.description}`;
    banner.classList.toggle('warning', chosen.fallback);
    if (hooks.state === 'error' && hooks.error?.startsWith('Backend: ')) {
      hooks.error = undefined;
      status.clearError();
      setState('idle', 'Idle.');
    }
    updateButtons();
    return engine;
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof BackendError) hooks.webgpu = error.webgpu;
    banner.classList.add('failure');
    notice.textContent = message;
    fail(`Backend: ${message}`);
    return undefined;
  }
}

async function startRun(): Promise<void> {
  if (hooks.state === 'loading' || hooks.state === 'training') return;
  let settings: PlaygroundSettings;
  try {
    settings = controls.read();
  } catch (error) {
    controls.showError((error as Error).message);
    return;
  }
  hooks.settings = settings;
  hooks.error = undefined;
  hooks.history = emptyHistory();
  status.reset();
  charts.reset();
  nodeView.reset([], settings.threshold);
  const controller = new AbortController();
  running = controller;
  setState('loading', 'Starting…');
  try {
    const [index, chosenEngine] = await Promise.all([indexPromise, enginePromise]);
    if (!chosenEngine) throw new Error(hooks.error ?? 'no engine could be started');
    if (!index) throw new Error(hooks.error ?? 'the data index could not be read');
    const problem = datasetProblem();
    if (problem) throw new Error(problem);
    const entry = index.datasets.find((candidate) => candidate.name === settings.dataset);
    if (!entry) throw new Error(`the data set '${settings.dataset}' is not in the data index`);
    setState('loading', isCached(entry.name) ? `Preparing ${entry.title}…` : `Fetching ${entry.title}…`);
    const datasets = await loadDataset(entry, (progress) => status.showDownload(entry.title, progress));
    status.hideDownload();
    if (controller.signal.aborted) {
      setState('idle', 'Stopped before training.');
      return;
    }
    setState('training', `Compiling the model and measuring it at initialization on ${BACKEND_NAMES[chosenEngine.backend]}…`);
    const history = hooks.history;
    await playground.run(chosenEngine, settings, datasets, {
      signal: controller.signal,
      onEvent: (event) => handleEvent(history, event, entry.title),
    });
    const done = history.done;
    setState('done', done?.reason === 'stopped' ? 'Stopped.' : 'Done.');
    status.finish(history, `${BACKEND_NAMES[chosenEngine.backend]} (${chosenEngine.description})`);
  } catch (error) {
    status.hideDownload();
    fail((error as Error).message);
  } finally {
    if (running === controller) running = undefined;
    updateButtons();
  }
}

function handleEvent(history: LiveHistory, event: PlaygroundEvent, title: string): void {
  if (history !== hooks.history) return;
  recordEvent(history, event);
  switch (event.type) {
    case 'start':
      nodeView.reset(event.layers, event.settings.threshold);
      status.started();
      setState('training', `Training on ${title} with ${BACKEND_NAMES[event.backend]}…`);
      break;
    case 'measure':
      nodeView.setMeasures(history.measures);
      break;
    case 'done':
      nodeView.setMeasures(history.measures);
      break;
    default:
      break;
  }
  charts.update(history);
  status.progress(history);
}

function stopRun(): void {
  running?.abort();
  status.setState(hooks.state === 'training' ? 'Stopping after the current step…' : 'Stopping…');
}

async function readIndex(): Promise<DataIndex | undefined> {
  try {
    dataIndex = await fetchIndex();
    controls.setDatasets(dataIndex);
    settingsChanged();
    return dataIndex;
  } catch (error) {
    indexError = (error as Error).message;
    controls.setDatasets(undefined, indexError);
    fail(`Data: ${indexError}`);
    return undefined;
  }
}

controls.write(fromUrl.settings, fromUrl.options);
// A bad address is reported where errors go; the form then holds the defaults, which the address is left to differ from.
if (fromUrl.error) status.showError(fromUrl.error);
else controls.syncUrl(fromUrl.settings);
controls.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void startRun();
});
stopButton.addEventListener('click', stopRun);
/** Files are named after the run's own settings, which the form may have moved away from since. */
const runSettings = (): PlaygroundSettings => hooks.history.start?.settings ?? hooks.settings;
exportJson.addEventListener('click', () => download(historyJson(hooks.history), runFileName(runSettings(), 'json'), 'application/json'));
exportCsv.addEventListener('click', () => download(measurementsCsv(hooks.history), runFileName(runSettings(), 'csv'), 'text/csv'));
window.addEventListener('unhandledrejection', (event) =>
  fail(`Unexpected error: ${(event.reason as Error)?.message ?? String(event.reason)}`),
);

const indexPromise = readIndex();
enginePromise = startEngine(currentPreference);
setState('idle', 'Idle.');
if (fromUrl.options.autostart && !fromUrl.error) void startRun();
