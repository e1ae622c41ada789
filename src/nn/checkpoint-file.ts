// Training checkpoints as one safetensors file: parameters, buffers, masks, optimizer state, step count and learning rates.
import type { Backend } from '../backend/backend.js';
import { EngineError } from '../errors.js';
import { checkStateDict, parseSafetensors, serializeSafetensors, type SafetensorsFile, type SafetensorsInput } from '../io/safetensors.js';
import { formatShape, type Shape } from '../tensor-meta.js';
import type { NetBlueprint } from './compile.js';
import { NonFiniteLossError } from './errors.js';
import type { NetState, StoredTensor } from './net-state.js';
import type { TrainingQueue } from './train-queue.js';

/** The `format` metadata value that marks a file as a checkpoint of this engine. */
export const CHECKPOINT_FORMAT = 'emergence-engine/checkpoint';
/** The layout version written; loading accepts exactly this one. */
export const CHECKPOINT_VERSION = 1;

/** A checkpoint cannot be read, or was saved from a different model or optimizer than the net loading it. */
export class CheckpointError extends EngineError {
  override name = 'CheckpointError';
}

/** What saving and loading reach inside the net. */
export interface CheckpointContext {
  readonly backend: Backend;
  readonly blueprint: NetBlueprint;
  readonly state: NetState;
  readonly queue: TrainingQueue;
}

/** The optimizer settings a checkpoint records per group: everything but the parameters. */
const groupSettingNames = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'beta1', 'beta2', 'eps'] as const;

const LOAD = 'loadCheckpoint';

/**
 * Writes everything training continues from: every parameter and float buffer under its state_dict name (F32), the
 * int64 counters (num_batches_tracked, I64), each trainable parameter's mask as 'mask.<name>', the optimizer state as
 * 'optimizer.<name>.<momentum_buffer | exp_avg | exp_avg_sq>', and in `__metadata__` the format tag and version, the
 * step count (which Adam's bias correction and SGD's first momentum step follow), the optimizer's name and every
 * group's settings (the current learning rates included) and the parameter list. Every dispatched step's loss is
 * checked first, so a non-finite step is rolled back (and reported by the next step() or losses()) before the read.
 */
export async function saveCheckpoint(net: CheckpointContext): Promise<Uint8Array> {
  const { backend, blueprint, state, queue } = net;
  await queue.beforeEdit();
  const phase = queue.phase;
  const steps = queue.dispatched;
  const read = (stored: StoredTensor): Promise<Float32Array> =>
    backend.read(stored.buffers[phase], stored.bytes).then((bytes) => new Float32Array(bytes));
  const sources = [...floatTensorsOf(state)];
  const values = await Promise.all(sources.map(([, { stored }]) => read(stored)));
  const tensors: Record<string, SafetensorsInput> = {};
  sources.forEach(([name, { stored }], i) => (tensors[name] = { shape: stored.shape, data: values[i] }));
  for (const [name, base] of state.counterBase) tensors[name] = { shape: [], data: BigInt64Array.of(BigInt(base + steps)) };
  const groups = blueprint.groups.map((group) => ({
    params: group.params,
    ...Object.fromEntries(groupSettingNames.map((key) => [key, group[key]])),
  }));
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    version: String(CHECKPOINT_VERSION),
    steps: String(steps),
    optimizer: blueprint.optimizer?.name ?? 'none',
    'optimizer.groups': JSON.stringify(groups),
    parameters: JSON.stringify(blueprint.parameters.map(({ name, spec }) => ({ name, shape: spec.shape, trainable: spec.trainable }))),
  };
  return serializeSafetensors(tensors, metadata);
}

/**
 * Restores a checkpoint written by saveCheckpoint into a net compiled with the same model and optimizer (the initial
 * weights may differ: they are all replaced). Everything is checked before anything is written: the format, the
 * optimizer and its settings (learning rates aside, which are restored), and every tensor's name, shape and type, so a
 * mismatch changes nothing. Losses of steps taken before the load (and a pending non-finite-loss error) are dropped.
 */
export async function loadCheckpoint(net: CheckpointContext, bytes: Uint8Array): Promise<void> {
  const { backend, blueprint, state, queue } = net;
  const file = parseCheckpointFile(bytes);
  const { metadata } = file;
  const steps = Number(metadata.steps);
  checkOptimizerName(blueprint, metadata);
  checkParameterList(metadata.parameters, file);

  const floats = [...floatTensorsOf(state)];
  const expected: Record<string, Shape> = {};
  for (const [name, { stored }] of floats) expected[name] = stored.shape;
  for (const name of state.counterBase.keys()) expected[name] = [];
  checkStateDict(expected, file.tensors, `${LOAD}: the checkpoint`);
  checkTensorValues(floats, [...state.counterBase.keys()], file);
  const learningRates = checkOptimizerGroups(blueprint, metadata);

  // Valid: settle the steps in flight, drop their losses, then write the whole state at the checkpoint's step count.
  await queue.beforeEdit();
  await discardLosses(queue);
  queue.resetCounters(steps);
  for (const [name, { stored }] of floats) {
    const data = file.tensors.get(name)!.data;
    for (const buffer of new Set(stored.buffers)) backend.write(buffer, data);
  }
  for (const name of state.counterBase.keys()) state.counterBase.set(name, file.tensors.get(name)!.data[0] - steps);
  learningRates.forEach((lr, g) => (blueprint.groups[g].lr = lr));
  queue.afterEdit();
}

/** A float tensor of the state as the checkpoint names it, and what it is. */
interface FloatTensor {
  readonly kind: 'parameter' | 'mask' | 'optimizer';
  readonly stored: StoredTensor;
}

/**
 * Every float tensor a checkpoint holds, by its name in the file: parameters and buffers (state_dict names), masks
 * ('mask.<name>', as the train program names them) and optimizer state (already named 'optimizer.<name>.<state>').
 */
function* floatTensorsOf(state: NetState): Generator<[string, FloatTensor]> {
  for (const [name, stored] of state.tensors) yield [name, { kind: 'parameter', stored }];
  for (const [name, buffer] of state.masks) {
    const { shape, bytes } = state.tensors.get(name)!;
    yield [`mask.${name}`, { kind: 'mask', stored: { name: `mask.${name}`, shape, bytes, buffers: [buffer, buffer] } }];
  }
  for (const stored of state.pingPongTensors()) if (!state.tensors.has(stored.name)) yield [stored.name, { kind: 'optimizer', stored }];
}

/** Float tensors must be F32 (nothing lossy), masks finite, counters I64 counts; names every tensor that is not. */
function checkTensorValues(floats: readonly [string, FloatTensor][], counters: readonly string[], file: SafetensorsFile): void {
  const problems: string[] = [];
  for (const [name, { kind }] of floats) {
    const { dtype, data } = file.tensors.get(name)!;
    if (dtype !== 'F32') problems.push(`'${name}' is ${dtype}, expected F32`);
    const bad = kind === 'mask' ? data.findIndex((m) => !Number.isFinite(m)) : -1;
    if (bad >= 0) problems.push(`'${name}' holds ${data[bad]} at index ${bad}, but masks must be finite`);
  }
  for (const name of counters) {
    const { dtype, data } = file.tensors.get(name)!;
    if (dtype !== 'I64') problems.push(`'${name}' is ${dtype}, expected I64`);
    else if (!(data[0] >= 0)) problems.push(`'${name}' holds ${data[0]}, expected a count >= 0`);
  }
  if (problems.length > 0) throw new CheckpointError(`${LOAD}: the checkpoint's tensors are not as saved: ${problems.join('; ')}`);
}

/** Parses the bytes and checks the format tag, the version and the step count. */
function parseCheckpointFile(bytes: Uint8Array): SafetensorsFile {
  let file: SafetensorsFile;
  try {
    file = parseSafetensors(bytes);
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    throw new CheckpointError(`${LOAD}: the bytes are not a readable checkpoint (${error.message})`);
  }
  const { format, version, steps } = file.metadata;
  if (format !== CHECKPOINT_FORMAT) {
    const found =
      format === undefined ? 'no format tag (a plain safetensors file? load one with loadSafetensors)' : `format ${JSON.stringify(format)}`;
    throw new CheckpointError(`${LOAD}: expected a checkpoint with format '${CHECKPOINT_FORMAT}' in __metadata__, found ${found}`);
  }
  if (version !== String(CHECKPOINT_VERSION)) {
    throw new CheckpointError(`${LOAD}: expected checkpoint version ${CHECKPOINT_VERSION}, found ${JSON.stringify(version)}`);
  }
  if (steps === undefined || !/^\d+$/.test(steps) || !Number.isSafeInteger(Number(steps))) {
    throw new CheckpointError(`${LOAD}: the checkpoint's step count must be a non-negative integer, found ${JSON.stringify(steps)}`);
  }
  return file;
}

/** The checkpoint's optimizer must be the net's ('none' when compiled without one). */
function checkOptimizerName(blueprint: NetBlueprint, metadata: Record<string, string>): void {
  const expectedName = blueprint.optimizer?.name ?? 'none';
  if (metadata.optimizer !== expectedName) {
    throw new CheckpointError(
      `${LOAD}: the checkpoint was saved with optimizer ${JSON.stringify(metadata.optimizer)}, but the net was compiled with '${expectedName}'`,
    );
  }
}

/**
 * Checks that the checkpoint's optimizer groups are the net's: the same groups over the same parameters, with the same
 * settings except the learning rates. Returns each group's saved learning rate.
 */
function checkOptimizerGroups(blueprint: NetBlueprint, metadata: Record<string, string>): number[] {
  const expectedName = metadata.optimizer;
  const saved = parseJson(metadata['optimizer.groups'], 'optimizer.groups');
  const groups = blueprint.groups;
  if (!Array.isArray(saved) || saved.length !== groups.length) {
    const found = Array.isArray(saved) ? `${saved.length} groups` : JSON.stringify(saved);
    throw new CheckpointError(`${LOAD}: the net's optimizer has ${groups.length} parameter groups, the checkpoint's has ${found}`);
  }
  const problems: string[] = [];
  const learningRates = groups.map((group, g) => {
    const entry = saved[g] as Record<string, unknown> | null;
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`group ${g} is ${JSON.stringify(entry)}, expected an object`);
      return 0;
    }
    const params = entry.params;
    if (!Array.isArray(params) || params.join('\u0000') !== group.params.join('\u0000')) {
      problems.push(`group ${g} holds ${JSON.stringify(params)} in the checkpoint, ${JSON.stringify(group.params)} in the net`);
    }
    for (const key of groupSettingNames) {
      if (key === 'lr') continue;
      if (entry[key] !== group[key]) {
        problems.push(`group ${g} ${key} is ${JSON.stringify(entry[key])} in the checkpoint, ${JSON.stringify(group[key])} in the net`);
      }
    }
    const lr = entry.lr;
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
      problems.push(`group ${g} lr is ${JSON.stringify(lr)}, expected a positive finite number`);
      return 0;
    }
    return lr;
  });
  if (problems.length > 0)
    throw new CheckpointError(`${LOAD}: the checkpoint's optimizer '${expectedName}' differs from the net's: ${problems.join('; ')}`);
  return learningRates;
}

/** The metadata's parameter list must name the parameters and buffers the file holds, with their shapes. */
function checkParameterList(text: string | undefined, file: SafetensorsFile): void {
  const listed = parseJson(text, 'parameters');
  const entries = Array.isArray(listed) ? (listed as { name?: unknown; shape?: unknown }[]) : undefined;
  const problems: string[] = [];
  for (const entry of entries ?? []) {
    const name = typeof entry === 'object' && entry !== null ? entry.name : undefined;
    const shape = typeof entry === 'object' && entry !== null ? entry.shape : undefined;
    const tensor = typeof name === 'string' ? file.tensors.get(name) : undefined;
    if (!tensor || !Array.isArray(shape) || shape.join(',') !== tensor.shape.join(',')) {
      const held = tensor ? `holds it as ${formatShape(tensor.shape)}` : 'does not hold it';
      problems.push(`${JSON.stringify(name)} ${JSON.stringify(shape)} (the file ${held})`);
    }
  }
  if (!entries || problems.length > 0) {
    const what = entries ? `lists ${problems.join(', ')}` : `is ${JSON.stringify(listed)}, expected a list of parameters`;
    throw new CheckpointError(`${LOAD}: the checkpoint is corrupt: its metadata 'parameters' ${what}`);
  }
}

function parseJson(text: string | undefined, key: string): unknown {
  if (text === undefined) throw new CheckpointError(`${LOAD}: the checkpoint's __metadata__ has no '${key}'`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CheckpointError(`${LOAD}: the checkpoint's metadata '${key}' is not valid JSON (${(error as Error).message})`);
  }
}

/** Drops the losses of steps taken before a load; a non-finite-loss error about that old state is dropped too. */
async function discardLosses(queue: TrainingQueue): Promise<void> {
  try {
    await queue.losses();
  } catch (error) {
    if (!(error instanceof NonFiniteLossError)) throw error;
    // The error was delivered (and so cleared); the losses before it are still queued.
    await queue.losses();
  }
}
