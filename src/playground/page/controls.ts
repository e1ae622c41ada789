// The settings form: PlaygroundSettings <-> form fields, checks that point at the bad field, and the URL query kept in sync.
import { data, playground, type DatasetName, type PlaygroundSettings } from '../../index.js';
import type { BackendPreference } from './backend.js';
import type { DataIndex } from './data-loader.js';

/** What the address bar says besides the settings. */
export interface PageOptions {
  backend: BackendPreference;
  autostart: boolean;
}

/** Settings shown in the form as percentages. */
const PERCENT_FIELDS = new Set<keyof PlaygroundSettings>(['pruneFraction', 'pruneAt']);
const NUMBER_FIELDS: (keyof PlaygroundSettings)[] = [
  'alpha',
  'pruneFraction',
  'pruneAt',
  'threshold',
  'epochs',
  'batchSize',
  'lr',
  'seed',
  'trainSamples',
  'probe',
  'measureEvery',
  'maxSteps',
];
const CHOICE_FIELDS: (keyof PlaygroundSettings)[] = ['dataset', 'model', 'init', 'optimizer'];
const BACKENDS: BackendPreference[] = ['auto', 'webgpu', 'wasm'];
const TITLES: Record<DatasetName, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST', cifar10: 'CIFAR-10' };

/** The settings form and its link with the address bar. */
export class Controls {
  private readonly errorLine: HTMLElement;
  private readonly datasetNote: HTMLElement;
  private lastError: string | undefined;

  constructor(
    readonly form: HTMLFormElement,
    private readonly onChange: () => void,
  ) {
    this.errorLine = byId('settings-error');
    this.datasetNote = byId('dataset-note');
    const datasetSelect = this.field('dataset') as HTMLSelectElement;
    for (const name of data.datasetNames as DatasetName[]) datasetSelect.add(new Option(TITLES[name] ?? name, name));
    form.addEventListener('input', () => this.changed());
    form.addEventListener('change', () => this.changed());
    byId('reset').addEventListener('click', () => {
      this.write(playground.resolveSettings(), { ...this.pageOptions(), backend: 'auto' });
      this.changed();
    });
  }

  /** Settings and page options from the address bar; a bad query value is dropped (its default is used) and reported. */
  static fromUrl(search: string): { settings: PlaygroundSettings; options: PageOptions; error?: string } {
    const query = new URLSearchParams(search);
    const backendText = query.get('backend') ?? 'auto';
    const options: PageOptions = {
      backend: (BACKENDS as string[]).includes(backendText) ? (backendText as BackendPreference) : 'auto',
      autostart: ['1', 'true', 'yes'].includes(query.get('autostart') ?? ''),
    };
    const problems: string[] = [];
    if (options.backend !== backendText) problems.push(`backend must be one of ${BACKENDS.join(', ')}, got '${backendText}'`);
    for (;;) {
      try {
        const settings = playground.settingsFromQuery(query);
        if (problems.length === 0) return { settings, options };
        // A link with a bad setting does not train on its own: the user sees what was replaced first.
        return {
          settings,
          options: { ...options, autostart: false },
          error: `The address holds bad settings, replaced by their defaults: ${problems.join('; ')}.`,
        };
      } catch (error) {
        const message = (error as Error).message;
        const key = /settings: (\w+) must/.exec(message)?.[1];
        if (!key || !query.has(key)) {
          problems.push(message);
          return {
            settings: playground.resolveSettings(),
            options: { ...options, autostart: false },
            error: `The address holds bad settings, so the defaults are shown: ${problems.join('; ')}.`,
          };
        }
        problems.push(message.replace(/^playground settings: /, ''));
        query.delete(key);
      }
    }
  }

  /** Fills the form. */
  write(settings: PlaygroundSettings, options: PageOptions): void {
    for (const key of CHOICE_FIELDS) (this.field(key) as HTMLSelectElement).value = String(settings[key]);
    for (const key of NUMBER_FIELDS) {
      const value = settings[key] as number;
      (this.field(key) as HTMLInputElement).value = PERCENT_FIELDS.has(key) ? String(Number((value * 100).toPrecision(12))) : String(value);
    }
    (this.field('hidden') as HTMLInputElement).value = settings.hidden.join(',');
    (this.field('backend') as HTMLSelectElement).value = options.backend;
    this.updateDependentFields();
  }

  /** The settings the form holds, checked; throws naming the bad setting (and marks its field). */
  read(): PlaygroundSettings {
    const values: Record<string, unknown> = {};
    for (const key of CHOICE_FIELDS) values[key] = (this.field(key) as HTMLSelectElement).value;
    for (const key of NUMBER_FIELDS) {
      const text = (this.field(key) as HTMLInputElement).value.trim();
      const value = text === '' ? NaN : Number(text);
      values[key] = PERCENT_FIELDS.has(key) ? value / 100 : value;
    }
    const hiddenText = (this.field('hidden') as HTMLInputElement).value.trim();
    values.hidden = hiddenText === '' ? [] : hiddenText.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
    return playground.resolveSettings(values as Partial<PlaygroundSettings>);
  }

  pageOptions(): PageOptions {
    const autostart = new URLSearchParams(location.search).get('autostart');
    return {
      backend: (this.field('backend') as HTMLSelectElement).value as BackendPreference,
      autostart: ['1', 'true', 'yes'].includes(autostart ?? ''),
    };
  }

  /** Offers the data sets the server holds; the ones it lacks stay in the list, disabled, with the reason shown. */
  setDatasets(index: DataIndex | undefined, problem?: string): void {
    const select = this.field('dataset') as HTMLSelectElement;
    const notes: string[] = [];
    for (const option of Array.from(select.options)) {
      const name = option.value as DatasetName;
      const entry = index?.datasets.find((candidate) => candidate.name === name);
      const missing = index?.missing.find((candidate) => candidate.name === name);
      const title = entry?.title ?? missing?.title ?? TITLES[name] ?? name;
      option.disabled = !entry;
      option.textContent = entry ? title : `${title} (unavailable)`;
      if (!entry) notes.push(`${title}: ${missing?.reason ?? problem ?? 'not listed in the data index'}`);
    }
    this.datasetNote.textContent = notes.join(' · ');
    this.datasetNote.hidden = notes.length === 0;
  }

  /** Turns the settings fields on or off (off while a run trains). */
  setEnabled(enabled: boolean): void {
    for (const fieldset of Array.from(this.form.querySelectorAll('fieldset'))) fieldset.disabled = !enabled;
    if (enabled) this.updateDependentFields();
  }

  /** Shows a settings problem next to the form and marks the field it names; undefined clears it. */
  showError(message: string | undefined): void {
    this.lastError = message;
    for (const marked of Array.from(this.form.querySelectorAll('[aria-invalid="true"]'))) marked.removeAttribute('aria-invalid');
    this.errorLine.textContent = message ?? '';
    this.errorLine.hidden = message === undefined;
    const key = message === undefined ? undefined : /settings: (\w+) must|unknown setting '(\w+)'/.exec(message);
    const field = key ? this.form.elements.namedItem(key[1] ?? key[2]) : null;
    if (field instanceof HTMLElement) field.setAttribute('aria-invalid', 'true');
  }

  get error(): string | undefined {
    return this.lastError;
  }

  /** Writes the form's settings into the address bar (settings that differ from the defaults, plus backend and autostart). */
  syncUrl(settings: PlaygroundSettings): void {
    const query = new URLSearchParams(playground.settingsToQuery(settings));
    const options = this.pageOptions();
    if (options.backend !== 'auto') query.set('backend', options.backend);
    if (options.autostart) query.set('autostart', '1');
    // Commas are legal in a query; left unescaped, 'hidden=128,64' stays readable in a shared link.
    const search = query.toString().replaceAll('%2C', ',');
    const url = `${location.pathname}${search ? `?${search}` : ''}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
  }

  private changed(): void {
    this.updateDependentFields();
    this.onChange();
  }

  /** Fields that only matter for some choices are disabled otherwise (their values are kept). */
  private updateDependentFields(): void {
    const value = (key: string): string => (this.field(key) as HTMLInputElement | HTMLSelectElement).value;
    (this.field('hidden') as HTMLInputElement).disabled = value('model') !== 'mlp';
    (this.field('alpha') as HTMLInputElement).disabled = value('init') !== 'emergence';
    (this.field('pruneAt') as HTMLInputElement).disabled = !(Number(value('pruneFraction')) > 0);
  }

  private field(name: string): HTMLInputElement | HTMLSelectElement {
    const field = this.form.elements.namedItem(name);
    if (!(field instanceof HTMLInputElement || field instanceof HTMLSelectElement))
      throw new Error(`playground page: the form has no field '${name}'`);
    return field;
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`playground page: no element #${id}`);
  return found as T;
}
