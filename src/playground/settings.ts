// The playground's settings: defaults, checks that name the bad setting, and their form as a URL query (shareable runs).
import { datasetNames, type DatasetName } from '../data/catalog.js';
import { EngineError } from '../errors.js';
import type { PlaygroundSettings } from './types.js';

/** A small MLP (784-128-64-10) that trains to about 96% MNIST test accuracy in one epoch (937 steps), even on a software GPU (53 s on SwiftShader in headless Chromium). */
export const defaultSettings: Readonly<PlaygroundSettings> = Object.freeze({
  dataset: 'mnist',
  model: 'mlp',
  hidden: [128, 64],
  init: 'kaiming',
  alpha: 2,
  pruneFraction: 0,
  pruneAt: 0.5,
  threshold: 0.05,
  epochs: 1,
  batchSize: 64,
  optimizer: 'adam',
  lr: 2e-3,
  seed: 0,
  trainSamples: 0,
  probe: 1000,
  measureEvery: 100,
  maxSteps: 0,
}) as Readonly<PlaygroundSettings>;

const choices = {
  dataset: datasetNames as readonly string[],
  model: ['mlp', 'cnn'],
  init: ['kaiming', 'xavier', 'emergence'],
  optimizer: ['adam', 'sgd'],
} as const;

type Key = keyof PlaygroundSettings;
const keys = Object.keys(defaultSettings) as Key[];

function fail(key: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? `'${got}'` : Array.isArray(got) ? `[${got.join(', ')}]` : String(got);
  throw new EngineError(`playground settings: ${key} must be ${expected}, got ${shown}`);
}

function integer(key: Key, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(key, `an integer >= ${min}`, value);
  return value;
}

function inRange(key: Key, value: unknown, min: number, max: number, maxIncluded: boolean): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && (maxIncluded ? value <= max : value < max);
  if (!ok) fail(key, `a number in [${min}, ${max}${maxIncluded ? ']' : ')'}`, value);
  return value as number;
}

function positive(key: Key, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(key, 'a positive number', value);
  return value;
}

function oneOf<T extends string>(key: Key, value: unknown, allowed: readonly string[]): T {
  if (typeof value !== 'string' || !allowed.includes(value)) fail(key, `one of ${allowed.map((c) => `'${c}'`).join(', ')}`, value);
  return value as T;
}

/** The defaults with `overrides` applied, each setting checked; an unknown or bad setting throws naming it and what it takes. */
export function resolveSettings(overrides: Partial<PlaygroundSettings> = {}): PlaygroundSettings {
  for (const key of Object.keys(overrides)) {
    if (!(keys as string[]).includes(key))
      throw new EngineError(`playground settings: unknown setting '${key}'; known: ${keys.join(', ')}`);
  }
  const merged = { ...defaultSettings, ...overrides } as Record<Key, unknown>;
  const hidden = merged.hidden;
  if (!Array.isArray(hidden) || hidden.length === 0 || hidden.some((w) => typeof w !== 'number' || !Number.isSafeInteger(w) || w < 1)) {
    fail('hidden', 'a non-empty list of positive integer widths', hidden);
  }
  return {
    dataset: oneOf<DatasetName>('dataset', merged.dataset, choices.dataset),
    model: oneOf('model', merged.model, choices.model),
    hidden: [...(hidden as number[])],
    init: oneOf('init', merged.init, choices.init),
    alpha: positive('alpha', merged.alpha),
    pruneFraction: inRange('pruneFraction', merged.pruneFraction, 0, 1, false),
    pruneAt: inRange('pruneAt', merged.pruneAt, 0, 1, true),
    threshold: inRange('threshold', merged.threshold, 0, Infinity, false),
    epochs: integer('epochs', merged.epochs, 1),
    batchSize: integer('batchSize', merged.batchSize, 1),
    optimizer: oneOf('optimizer', merged.optimizer, choices.optimizer),
    lr: positive('lr', merged.lr),
    seed: integer('seed', merged.seed, 0),
    trainSamples: integer('trainSamples', merged.trainSamples, 0),
    probe: integer('probe', merged.probe, 1),
    measureEvery: integer('measureEvery', merged.measureEvery, 1),
    maxSteps: integer('maxSteps', merged.maxSteps, 0),
  };
}

/** The settings that differ from the defaults, as a URL query string ('dataset=cifar10&hidden=128,64'). */
export function settingsToQuery(settings: PlaygroundSettings): string {
  const query = new URLSearchParams();
  for (const key of keys) {
    const value = settings[key];
    const text = Array.isArray(value) ? value.join(',') : String(value);
    const fallback = defaultSettings[key];
    if (text !== (Array.isArray(fallback) ? fallback.join(',') : String(fallback))) query.set(key, text);
  }
  return query.toString();
}

/** Settings from a URL query: keys it does not name keep their defaults; other query keys are ignored. Checked. */
export function settingsFromQuery(query: string | URLSearchParams): PlaygroundSettings {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const overrides: Record<string, unknown> = {};
  for (const key of keys) {
    const text = params.get(key);
    if (text === null) continue;
    const fallback = defaultSettings[key];
    if (Array.isArray(fallback)) overrides[key] = text.split(',').map((part) => Number(part.trim()));
    else if (typeof fallback === 'number') overrides[key] = text.trim() === '' ? NaN : Number(text);
    else overrides[key] = text;
  }
  return resolveSettings(overrides as Partial<PlaygroundSettings>);
}
