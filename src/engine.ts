// The engine: picks a backend, creates tensors, runs ops eagerly and tracks what a scope created.
import type { Backend, BackendKind, DeviceBuffer, KernelVariant } from './backend/backend.js';
import { WasmBackend } from './backend/wasm/backend.js';
import { BackendUnavailableError, EngineError, ShapeError } from './errors.js';
import type { AttrsOf, InputName, NodeStatistic, OpName, OutputName, ReduceOp, TensorMeta } from './ops/defs.js';
import { opSpecs } from './ops/specs.js';
import { detectRuntime, type RuntimeName } from './platform/runtime.js';
import { formatShape, sizeOf, type DType, type Shape } from './tensor-meta.js';
import { Tensor, type TensorOwner } from './tensor.js';

export interface EngineOptions {
  /**
   * 'auto' takes a hardware GPU through WebGPU when there is one, else WebAssembly (saying why, once per process);
   * default 'auto'.
   */
  backend?: 'auto' | BackendKind;
  /** Let 'auto' choose a software WebGPU renderer (SwiftShader, lavapipe) over WebAssembly. Default false. */
  allowSoftwareGpu?: boolean;
  /** Seed for the engine's random generator (initializers, shuffling); default 0. */
  seed?: number;
  /** WebAssembly threads, the caller's included; default: the hardware's, at most 8. */
  threads?: number;
  /** Where the one-line fallback notice goes; default console.warn. */
  log?: (message: string) => void;
}

type Pair = number | [number, number];

export interface BatchNormOptions {
  gamma: Tensor;
  beta: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  /** Train mode normalizes with the batch statistics and returns updated running statistics. Default true. */
  training?: boolean;
  /** Weight of the batch statistics in the running averages (PyTorch's convention). Default 0.1. */
  momentum?: number;
  eps?: number;
}

export interface BatchNormResult {
  output: Tensor;
  /** Batch mean and biased variance (train mode only). */
  mean?: Tensor;
  variance?: Tensor;
  /** Updated running statistics (train mode; the running variance uses the unbiased batch variance). */
  runningMean?: Tensor;
  runningVar?: Tensor;
}

export interface ActiveCountOptions {
  /** θ: a node is active when its statistic exceeds it (EMERGENCE.md section 1). Default 0.05. */
  threshold?: number;
  /** 'mean': mean activation over the batch (and positions); 'fraction': share of entries above θ. Default 'mean'. */
  statistic?: NodeStatistic;
  /** With statistic 'fraction': the share of entries above θ a node needs to count as active. Default 0.5. */
  minFraction?: number;
}

export interface ActiveCounts {
  /** The per-node statistic (one value per unit or channel). */
  perNode: Float32Array;
  active: number;
  total: number;
}

export interface SgdUpdateOptions {
  lr: number;
  /** Default 0 (no velocity; the velocity input passes through, masked). */
  momentum?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
  /** PyTorch's first step: the velocity starts as the gradient instead of being blended into. Default false. */
  firstStep?: boolean;
}

export interface AdamUpdateOptions {
  lr: number;
  /** The step being taken, counting from 1 (bias correction). */
  step: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Default 0: L2 penalty on the gradient for Adam, decoupled decay of the weights for AdamW. */
  weightDecay?: number;
  /** AdamW: decay the weights directly (param *= 1 - lr * weightDecay) instead of the gradient. Default false. */
  decoupled?: boolean;
}

/** Set once the fallback notice has been printed, so 'auto' says it once per process. */
let fallbackAnnounced = false;

export class Engine implements TensorOwner {
  private readonly scopes: Set<Tensor<DType>>[] = [];
  private destroyed = false;

  private constructor(
    readonly backendImpl: Backend,
    readonly runtime: RuntimeName,
    readonly seed: number,
  ) {}

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const wanted = options.backend ?? 'auto';
    if (!['auto', 'webgpu', 'wasm'].includes(wanted)) {
      throw new EngineError(`createEngine: unknown backend '${String(wanted)}', expected 'auto', 'webgpu' or 'wasm'`);
    }
    const runtime = detectRuntime();
    const seed = options.seed ?? 0;
    let backend: Backend | undefined;
    if (wanted !== 'wasm') {
      try {
        const { WebGpuBackend } = await import('./backend/webgpu/backend.js');
        backend = await WebGpuBackend.create({ allowSoftware: wanted === 'webgpu' || options.allowSoftwareGpu === true });
      } catch (error) {
        if (wanted === 'webgpu') throw error;
        if (!(error instanceof BackendUnavailableError)) throw error;
        if (!fallbackAnnounced) {
          fallbackAnnounced = true;
          (options.log ?? console.warn)(`emergence-engine: using WebAssembly. ${error.message}`);
        }
      }
    }
    backend ??= await WasmBackend.create({ threads: options.threads });
    return new Engine(backend, runtime, seed);
  }

  /** 'webgpu' or 'wasm': what was chosen. */
  get backend(): BackendKind {
    return this.backendImpl.kind;
  }

  /** The adapter (WebGPU) or the build and thread count (WebAssembly). */
  get description(): string {
    return this.backendImpl.description;
  }

  // ---- tensors -------------------------------------------------------------------------------------------------

  /** A tensor from values and a row-major shape; int32 when given an Int32Array, else float32. */
  tensor(values: Int32Array, shape: Shape): Tensor<'int32'>;
  tensor(values: Float32Array | readonly number[], shape: Shape): Tensor;
  tensor<D extends DType>(values: Float32Array | Int32Array | readonly number[], shape: Shape, dtype: D): Tensor<D>;
  tensor(values: Float32Array | Int32Array | readonly number[], shape: Shape, dtype?: DType): Tensor<DType> {
    this.checkAlive('tensor');
    const type: DType = dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
    checkShape('tensor', shape);
    if (values.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', `${values.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
    }
    const data =
      type === 'int32'
        ? values instanceof Int32Array
          ? values
          : Int32Array.from(values)
        : values instanceof Float32Array
          ? values
          : Float32Array.from(values);
    const t = this.allocate(shape, type);
    this.backendImpl.write(t.deviceBuffer(), data);
    return t;
  }

  /** A view of x with another shape of the same size; no copy. Dispose it like any tensor. */
  reshape<D extends DType>(x: Tensor<D>, shape: Shape): Tensor<D> {
    this.checkAlive('reshape');
    checkShape('reshape', shape);
    return this.track(x.view(shape));
  }

  zeros(shape: Shape): Tensor {
    return this.tensor(new Float32Array(sizeOf(shape)), shape);
  }

  /** Runs `fn` and disposes every tensor it created, except those in its result (searched through arrays and objects). */
  scope<T>(fn: () => T): T {
    const created = new Set<Tensor<DType>>();
    this.scopes.push(created);
    let popped = false;
    const finish = (result: unknown): void => {
      if (popped) return;
      popped = true;
      this.scopes.splice(this.scopes.lastIndexOf(created), 1);
      const keep = new Set<Tensor<DType>>();
      collectTensors(result, keep);
      for (const t of created) {
        if (keep.has(t)) this.scopes.at(-1)?.add(t);
        else t.dispose();
      }
    };
    try {
      const result = fn();
      if (result instanceof Promise) {
        return result.then(
          (value) => (finish(value), value),
          (error) => {
            finish(undefined);
            throw error;
          },
        ) as T;
      }
      finish(result);
      return result;
    } catch (error) {
      finish(undefined);
      throw error;
    }
  }

  /** Removes a tensor from the current scope so the scope does not dispose it. */
  keep<T extends Tensor<DType>>(t: T): T {
    this.scopes.at(-1)?.delete(t);
    return t;
  }

  // ---- kernels ------------------------------------------------------------------------------------------------

  matmul(a: Tensor, b: Tensor, options: { transposeA?: boolean; transposeB?: boolean } = {}): Tensor {
    return this.run('matmul', { a, b }, { transposeA: !!options.transposeA, transposeB: !!options.transposeB }).out;
  }

  /** Adds bias[c] along dimension 1 (features of [N, F], channels of NCHW). */
  biasAdd(x: Tensor, bias: Tensor): Tensor {
    return this.run('biasAdd', { x, bias }, {}).out;
  }

  /** x * scale[c] + shift[c] along dimension 1 (features of [N, F], channels of NCHW); scale and shift are [C]. */
  channelAffine(x: Tensor, scale: Tensor, shift: Tensor): Tensor {
    return this.run('channelAffine', { x, scale, shift }, {}).out;
  }

  relu(x: Tensor): Tensor {
    return this.run('relu', { x }, {}).out;
  }

  /** 1 where x > 0, else 0: ReLU's derivative. */
  reluMask(x: Tensor): Tensor {
    return this.run('reluMask', { x }, {}).out;
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.run('binary', { a, b }, { op: 'add' }, 'add').out;
  }

  sub(a: Tensor, b: Tensor): Tensor {
    return this.run('binary', { a, b }, { op: 'sub' }, 'sub').out;
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return this.run('binary', { a, b }, { op: 'mul' }, 'mul').out;
  }

  /** x * alpha + beta. */
  scale(x: Tensor, alpha: number, beta = 0): Tensor {
    return this.run('scale', { x }, { alpha, beta }).out;
  }

  /** NCHW input, OIHW filter; stride and padding as a number or [h, w]. */
  conv2d(x: Tensor, w: Tensor, options: { stride?: Pair; padding?: Pair } = {}): Tensor {
    return this.run('conv2d', { x, w }, { stride: options.stride ?? 1, padding: options.padding ?? 0 }).out;
  }

  /**
   * Gradient of conv2d(x, w) with respect to x, from dy (the gradient of its output) and w; `inputSize` is x's [H, W]
   * (rows and columns no window reaches get 0).
   */
  conv2dBackwardInput(dy: Tensor, w: Tensor, options: { stride?: Pair; padding?: Pair; inputSize: [number, number] }): Tensor {
    const attrs = { stride: options.stride ?? 1, padding: options.padding ?? 0, inputSize: options.inputSize };
    return this.run('conv2dBackwardInput', { dy, w }, attrs).dx;
  }

  /** Gradient of conv2d(x, w) with respect to w, from x and dy (the gradient of its output); `kernelSize` is w's [KH, KW]. */
  conv2dBackwardFilter(x: Tensor, dy: Tensor, options: { stride?: Pair; padding?: Pair; kernelSize: [number, number] }): Tensor {
    const attrs = { stride: options.stride ?? 1, padding: options.padding ?? 0, kernelSize: options.kernelSize };
    return this.run('conv2dBackwardFilter', { x, dy }, attrs).dw;
  }

  maxPool2d(x: Tensor, options: { size: Pair; stride?: Pair; padding?: Pair }): Tensor {
    const attrs = { mode: 'max' as const, size: options.size, stride: options.stride ?? options.size, padding: options.padding ?? 0 };
    return this.run('pool2d', { x }, attrs, 'maxPool2d').out;
  }

  avgPool2d(x: Tensor, options: { size: Pair; stride?: Pair; padding?: Pair }): Tensor {
    const attrs = { mode: 'avg' as const, size: options.size, stride: options.stride ?? options.size, padding: options.padding ?? 0 };
    return this.run('pool2d', { x }, attrs, 'avgPool2d').out;
  }

  /**
   * Gradient of maxPool2d wrt x, given the gradient dy of its output: each window's dy goes to the window's first
   * maximum in row-major order (PyTorch's choice among ties); overlapping windows add up. Same options as maxPool2d.
   */
  maxPool2dBackward(x: Tensor, dy: Tensor, options: { size: Pair; stride?: Pair; padding?: Pair }): Tensor {
    const attrs = { mode: 'max' as const, size: options.size, stride: options.stride ?? options.size, padding: options.padding ?? 0 };
    return this.run('pool2dBackward', { x, dy }, attrs, 'maxPool2dBackward').dx;
  }

  /** Gradient of avgPool2d wrt x: each window's dy / (KH*KW) to every position of the window inside x. */
  avgPool2dBackward(x: Tensor, dy: Tensor, options: { size: Pair; stride?: Pair; padding?: Pair }): Tensor {
    const attrs = { mode: 'avg' as const, size: options.size, stride: options.stride ?? options.size, padding: options.padding ?? 0 };
    return this.run('pool2dBackward', { x, dy }, attrs, 'avgPool2dBackward').dx;
  }

  /** Batch normalization over dimension 1 of x ([N, C] or [N, C, H, W]), PyTorch's conventions. */
  batchNorm(x: Tensor, options: BatchNormOptions): BatchNormResult {
    const { gamma, beta, runningMean, runningVar } = options;
    const eps = options.eps ?? 1e-5;
    if (options.training === false) {
      const output = this.run('batchNormApply', { x, mean: runningMean, variance: runningVar, gamma, beta }, { eps }, 'batchNorm').out;
      return { output };
    }
    const momentum = options.momentum ?? 0.1;
    const { mean, variance } = this.run('moments', { x }, {}, 'batchNorm');
    const output = this.run('batchNormApply', { x, mean, variance, gamma, beta }, { eps }, 'batchNorm').out;
    const count = x.size / x.shape[1];
    const unbiased = count > 1 ? count / (count - 1) : 1;
    const [newMean, newVar] = this.scope(() => [
      this.add(this.scale(runningMean, 1 - momentum), this.scale(mean, momentum)),
      this.add(this.scale(runningVar, 1 - momentum), this.scale(variance, momentum * unbiased)),
    ]);
    return { output, mean, variance, runningMean: newMean, runningVar: newVar };
  }

  /** Mean softmax cross-entropy over the rows of logits [N, C]; grad is its gradient with respect to the logits. */
  softmaxCrossEntropy(logits: Tensor, labels: Tensor<'int32'> | Int32Array): { loss: Tensor; losses: Tensor; grad: Tensor } {
    let labelTensor: Tensor<'int32'>;
    if (labels instanceof Int32Array) {
      const classes = logits.shape[1];
      const bad = labels.findIndex((label) => !(label >= 0 && label < classes));
      if (bad >= 0) {
        throw new ShapeError('softmaxCrossEntropy', `label ${labels[bad]} at index ${bad} is out of range [0, ${classes})`, {
          logits: logits.shape,
        });
      }
      labelTensor = this.tensor(labels, [labels.length]);
    } else labelTensor = labels;
    try {
      const { losses, grad } = this.run('softmaxCrossEntropy', { logits, labels: labelTensor }, {});
      const loss = this.mean(losses);
      return { loss, losses, grad };
    } finally {
      if (labelTensor !== labels) labelTensor.dispose();
    }
  }

  /** Sum over `axes` (default all); the reduced axes are removed from the shape. */
  sum(x: Tensor, axes?: number[]): Tensor {
    return this.reduceAxes(x, 'sum', axes);
  }

  mean(x: Tensor, axes?: number[]): Tensor {
    return this.reduceAxes(x, 'mean', axes);
  }

  max(x: Tensor, axes?: number[]): Tensor {
    return this.reduceAxes(x, 'max', axes);
  }

  /**
   * One torch.optim.SGD step on one parameter tensor, then pruning: weights and velocity are multiplied by mask (1
   * keeps, 0 prunes), so pruned weights stay exactly zero. Returns new tensors; the inputs are untouched.
   */
  sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor, mask: Tensor, options: SgdUpdateOptions): { param: Tensor; velocity: Tensor } {
    const attrs = {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      weightDecay: options.weightDecay ?? 0,
      dampening: options.dampening ?? 0,
      nesterov: options.nesterov ?? false,
      firstStep: options.firstStep ?? false,
    };
    const { newParam, newVelocity } = this.run('sgdUpdate', { param, grad, velocity, mask }, attrs);
    return { param: newParam, velocity: newVelocity };
  }

  /**
   * One torch.optim.Adam step (AdamW with `decoupled`) on one parameter tensor, then pruning: weights and both moments
   * are multiplied by mask, so pruned weights stay exactly zero. Returns new tensors; the inputs are untouched.
   */
  adamUpdate(
    param: Tensor,
    grad: Tensor,
    m: Tensor,
    v: Tensor,
    mask: Tensor,
    options: AdamUpdateOptions,
  ): { param: Tensor; m: Tensor; v: Tensor } {
    const attrs = {
      lr: options.lr,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      decoupled: options.decoupled ?? false,
      step: options.step,
    };
    const label = attrs.decoupled ? 'adamW' : 'adam';
    const { newParam, newM, newV } = this.run('adamUpdate', { param, grad, m, v, mask }, attrs, label);
    return { param: newParam, m: newM, v: newV };
  }

  /**
   * Active nodes of a layer's activations x: [N, F] (node = feature) or [N, C, H, W] (node = channel, statistic over
   * N x H x W). Computed on the device; only the per-node statistic and the count come back.
   */
  async activeCounts(x: Tensor, options: ActiveCountOptions = {}): Promise<ActiveCounts> {
    const threshold = options.threshold ?? 0.05;
    const statistic = options.statistic ?? 'mean';
    const cutoff = statistic === 'mean' ? threshold : (options.minFraction ?? 0.5);
    const { stat } = this.run('nodeStatistic', { x }, { statistic, threshold }, 'activeCounts');
    try {
      const { count } = this.run('countAbove', { x: stat }, { threshold: cutoff }, 'activeCounts');
      try {
        const [perNode, active] = await Promise.all([stat.read(), count.read()]);
        return { perNode, active: active[0], total: stat.size };
      } finally {
        count.dispose();
      }
    } finally {
      stat.dispose();
    }
  }

  /** WebGPU only: compiles WGSL through the pipeline cache; throws ShaderCompileError naming the shader and line:column. */
  async compileShader(name: string, source: string): Promise<void> {
    this.checkAlive('compileShader');
    if (!this.backendImpl.compileShader) throw new EngineError(`compileShader: the ${this.backend} backend compiles no shaders`);
    await this.backendImpl.compileShader(name, source);
  }

  /** Waits until all submitted work has finished. */
  async sync(): Promise<void> {
    await this.backendImpl.sync();
  }

  /** Buffers in use and in the pool. */
  memory(): { allocated: number; pooled: number; bytes: number } {
    return this.backendImpl.poolStats();
  }

  async dispose(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.backendImpl.destroy();
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  /** Validates, allocates outputs and runs one primitive op; `label` is the user-facing name used in errors. */
  run<K extends OpName>(
    op: K,
    inputs: Record<InputName<K>, Tensor<DType>>,
    attrs: AttrsOf<K>,
    label: string = op,
    variant: KernelVariant = 'fast',
  ): Record<OutputName<K>, Tensor> {
    this.checkAlive(label);
    const spec = opSpecs[op];
    const metas = {} as Record<InputName<K>, TensorMeta>;
    const buffers: DeviceBuffer[] = [];
    for (const name of spec.inputs) {
      const t = inputs[name];
      if (!(t instanceof Tensor)) throw new ShapeError(label, `input '${name}' must be a Tensor, got ${describe(t)}`);
      const buffer = t.deviceBuffer(label, name);
      if (t.dtype !== spec.inputTypes[name]) {
        throw new ShapeError(label, `input '${name}' must be ${spec.inputTypes[name]}, got ${t.dtype}`, { [name]: t.shape });
      }
      metas[name] = { shape: t.shape, dtype: t.dtype };
      buffers.push(buffer);
    }
    const { outputs, dims } = spec.infer(metas, attrs);
    const results = {} as Record<OutputName<K>, Tensor>;
    const created: Tensor<DType>[] = [];
    try {
      for (const name of spec.outputs) {
        const meta = outputs[name];
        const t = this.allocate(meta.shape, meta.dtype);
        created.push(t);
        results[name] = t as Tensor;
      }
      const prepared = this.backendImpl.prepare(
        op,
        buffers,
        created.map((t) => t.deviceBuffer()),
        dims,
        variant,
      );
      try {
        this.backendImpl.dispatch([prepared]);
      } finally {
        prepared.release();
      }
    } catch (error) {
      for (const t of created) t.dispose();
      throw error;
    }
    return results;
  }

  readBuffer(buffer: DeviceBuffer, bytes: number): Promise<ArrayBuffer> {
    this.checkAlive('read');
    return this.backendImpl.read(buffer, bytes);
  }

  releaseBuffer(buffer: DeviceBuffer): void {
    if (!this.destroyed) this.backendImpl.release(buffer);
  }

  forgetTensor(tensor: Tensor<DType>): void {
    for (const scope of this.scopes) scope.delete(tensor);
  }

  private allocate<D extends DType>(shape: Shape, dtype: D): Tensor<D> {
    return this.track(new Tensor(this, this.backendImpl.alloc(Math.max(4, sizeOf(shape) * 4)), [...shape], dtype));
  }

  private track<D extends DType>(t: Tensor<D>): Tensor<D> {
    this.scopes.at(-1)?.add(t as Tensor<DType>);
    return t;
  }

  private reduceAxes(x: Tensor, op: ReduceOp, axes?: number[]): Tensor {
    const rank = x.shape.length;
    const chosen = [...new Set((axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
    for (const axis of chosen) {
      if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
        throw new ShapeError(op, `axis ${axis} is out of range for rank ${rank}`, { x: x.shape });
      }
    }
    // Contiguous runs of reduced axes, reduced one run at a time from the last.
    const runs: [number, number][] = [];
    for (const axis of chosen) {
      const last = runs.at(-1);
      if (last && last[1] === axis) last[1] = axis + 1;
      else runs.push([axis, axis + 1]);
    }
    let current = x;
    let shape = [...x.shape];
    for (const [from, to] of runs.reverse()) {
      const outer = sizeOf(shape.slice(0, from));
      const R = sizeOf(shape.slice(from, to));
      const inner = sizeOf(shape.slice(to));
      const next = this.run('reduce', { x: current }, { op, outer, R, inner }, op).out;
      if (current !== x) current.dispose();
      shape = [...shape.slice(0, from), ...shape.slice(to)];
      current = next;
    }
    if (current === x) return this.scale(x, 1);
    const result = this.reshape(current, shape);
    current.dispose();
    return result;
  }

  private checkAlive(op: string): void {
    if (this.destroyed) throw new EngineError(`${op}: the engine was disposed`);
  }
}

function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(op, `shape must be an array of positive integers, got ${JSON.stringify(shape)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  return (value as object).constructor?.name ?? typeof value;
}

function collectTensors(value: unknown, into: Set<Tensor<DType>>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    into.add(value as Tensor<DType>);
    return;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value)) collectTensors(item, into, depth + 1);
}

/** Creates an engine on the best backend available (see EngineOptions). */
export function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.create(options);
}
