// Checks of experiment settings the experiments share: each error names the experiment, the CLI option and what it takes.
import type { DatasetName } from '../data/catalog.js';

/** The CLI spelling of a settings key: `batchSize` is `--batch-size`. */
export function optionName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A value as the messages show it: strings quoted, lists comma-separated as the CLI takes them. */
function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** 'a', 'a or b', 'a, b or c'. */
function alternatives(choices: readonly string[]): string {
  return choices.length < 2 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
}

/** The checks of one experiment's settings (its validate()); every failure throws '<experiment>: <message>'. */
export class SettingsCheck<S extends object> {
  constructor(
    readonly experiment: string,
    readonly settings: S,
  ) {}

  /** Throws '<experiment>: <message>'. */
  fail(message: string): never {
    throw new Error(`${this.experiment}: ${message}`);
  }

  /** Throws '<experiment>: --<option> takes <expected>, got <value>'. */
  reject(key: keyof S & string, expected: string): never {
    return this.fail(`--${optionName(key)} takes ${expected}, got ${shown(this.settings[key])}`);
  }

  /** Counts such as epochs, batch sizes, seeds and step counts: integers >= 1. */
  positiveIntegers(...keys: (keyof S & string)[]): void {
    for (const key of keys) {
      const value = this.settings[key];
      if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 1)) this.reject(key, 'a positive integer');
    }
  }

  /** Sample limits ("the first N images"): integers >= 0, where 0 means the whole split. */
  sampleLimits(...keys: (keyof S & string)[]): void {
    for (const key of keys) {
      const value = this.settings[key];
      if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) this.reject(key, 'an integer >= 0 (0: all)');
    }
  }

  /** Learning rates, alphas and other scales: finite numbers > 0. */
  positiveNumbers(...keys: (keyof S & string)[]): void {
    for (const key of keys) {
      const value = this.settings[key];
      if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) this.reject(key, 'a positive number');
    }
  }

  /** A setting the CLI offers as a choice (the API passes any string). */
  oneOf(key: keyof S & string, choices: readonly string[]): void {
    if (!choices.includes(this.settings[key] as string)) this.reject(key, alternatives(choices));
  }
}

/** Comma-separated data set names (the `datasets` setting of `experiment`), each one of `allowed` and none twice. */
export function parseDatasetList(experiment: string, text: string, allowed: readonly DatasetName[]): DatasetName[] {
  const names = text.split(',').map((part) => part.trim());
  const unknown = names.filter((name) => !allowed.includes(name as DatasetName));
  if (unknown.length > 0) {
    throw new Error(`${experiment}: --datasets takes comma-separated names of ${allowed.join(', ')}, got '${text}'`);
  }
  if (new Set(names).size !== names.length) throw new Error(`${experiment}: --datasets lists a data set twice: '${text}'`);
  return names as DatasetName[];
}
