// The engine: picks a backend, creates tensors, runs ops eagerly and tracks what a scope created.
import type { Backend, BackendKind, DeviceBuffer, KernelVariant } from './backend/backend.js';
import { createBackend } from './backend/select.js';
import * as convolution from './eager/convolution.js';
import * as losses from './eager/losses.js';
import * as normalization from './eager/normalization.js';
import * as optimizers from './eager/optimizers.js';
import * as pooling from './eager/pooling.js';
import * as reductions from './eager/reductions.js';
import { ScopeStack } from './eager/scopes.js';
import * as statistics from './eager/statistics.js';
import type {
  ActiveCountOptions,
  ActiveCounts,
  AdamUpdateOptions,
  BatchNormOptions,
  BatchNormResult,
  ConvolutionBackwardFilterOptions,
  ConvolutionBackwardInputOptions,
  ConvolutionOptions,
  EngineOptions,
  LossResult,
  MatmulOptions,
  PoolingOptions,
  SgdUpdateOptions,
} from './engine-options.js';
import { EngineError, ShapeError } from './errors.js';
import { compileNet, type CompileOptions } from './nn/compile.js';
import type { Net } from './nn/net.js';
import type { Sequential } from './nn/types.js';
import type { AttrsOf, InputName, OpName, OutputName, TensorMeta } from './ops/defs.js';
import { opSpecs } from './ops/specs.js';
import { detectRuntime, type RuntimeName } from './platform/runtime.js';
import { formatShape, sizeOf, type DType, type Shape } from './tensor-meta.js';
import { Tensor, type TensorOwner } from './tensor.js';

export class Engine implements TensorOwner {
  private readonly scopes = new ScopeStack();
  private destroyed = false;

  private constructor(
    readonly backendImpl: Backend,
    readonly runtime: RuntimeName,
    readonly seed: number,
  ) {}

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const backend = await createBackend(options);
    return new Engine(backend, detectRuntime(), options.seed ?? 0);
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
    return this.scopes.run(fn);
  }

  /** Removes a tensor from the current scope so the scope does not dispose it. */
  keep<T extends Tensor<DType>>(t: T): T {
    this.scopes.keep(t);
    return t;
  }

  // ---- kernels ------------------------------------------------------------------------------------------------

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
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
  conv2d(x: Tensor, w: Tensor, options: ConvolutionOptions = {}): Tensor {
    return convolution.conv2d(this, x, w, options);
  }

  /**
   * Gradient of conv2d(x, w) with respect to x, from dy (the gradient of its output) and w; `inputSize` is x's [H, W]
   * (rows and columns no window reaches get 0).
   */
  conv2dBackwardInput(dy: Tensor, w: Tensor, options: ConvolutionBackwardInputOptions): Tensor {
    return convolution.conv2dBackwardInput(this, dy, w, options);
  }

  /** Gradient of conv2d(x, w) with respect to w, from x and dy (the gradient of its output); `kernelSize` is w's [KH, KW]. */
  conv2dBackwardFilter(x: Tensor, dy: Tensor, options: ConvolutionBackwardFilterOptions): Tensor {
    return convolution.conv2dBackwardFilter(this, x, dy, options);
  }

  maxPool2d(x: Tensor, options: PoolingOptions): Tensor {
    return pooling.pool2d(this, 'max', x, options);
  }

  avgPool2d(x: Tensor, options: PoolingOptions): Tensor {
    return pooling.pool2d(this, 'avg', x, options);
  }

  /**
   * Gradient of maxPool2d wrt x, given the gradient dy of its output: each window's dy goes to the window's first
   * maximum in row-major order (PyTorch's choice among ties); overlapping windows add up. Same options as maxPool2d.
   */
  maxPool2dBackward(x: Tensor, dy: Tensor, options: PoolingOptions): Tensor {
    return pooling.pool2dBackward(this, 'max', x, dy, options);
  }

  /** Gradient of avgPool2d wrt x: each window's dy / (KH*KW) to every position of the window inside x. */
  avgPool2dBackward(x: Tensor, dy: Tensor, options: PoolingOptions): Tensor {
    return pooling.pool2dBackward(this, 'avg', x, dy, options);
  }

  /** Batch normalization over dimension 1 of x ([N, C] or [N, C, H, W]), PyTorch's conventions. */
  batchNorm(x: Tensor, options: BatchNormOptions): BatchNormResult {
    return normalization.batchNorm(this, x, options);
  }

  /** Mean softmax cross-entropy over the rows of logits [N, C]; grad is its gradient with respect to the logits. */
  softmaxCrossEntropy(logits: Tensor, labels: Tensor<'int32'> | Int32Array): LossResult {
    return losses.softmaxCrossEntropy(this, logits, labels);
  }

  /**
   * Mean squared error of pred against target (same shape, batch first): losses [N] are each sample's mean over its
   * elements, loss their mean (PyTorch's MSELoss(reduction='mean')), grad its gradient with respect to pred.
   */
  meanSquaredError(pred: Tensor, target: Tensor): LossResult {
    return losses.meanSquaredError(this, pred, target);
  }

  /** Sum over `axes` (default all); the reduced axes are removed from the shape. */
  sum(x: Tensor, axes?: number[]): Tensor {
    return reductions.reduceAxes(this, x, 'sum', axes);
  }

  mean(x: Tensor, axes?: number[]): Tensor {
    return reductions.reduceAxes(this, x, 'mean', axes);
  }

  max(x: Tensor, axes?: number[]): Tensor {
    return reductions.reduceAxes(this, x, 'max', axes);
  }

  /**
   * One torch.optim.SGD step on one parameter tensor, then pruning: weights and velocity are multiplied by mask (1
   * keeps, 0 prunes), so pruned weights stay exactly zero. Returns new tensors; the inputs are untouched.
   */
  sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor, mask: Tensor, options: SgdUpdateOptions): { param: Tensor; velocity: Tensor } {
    return optimizers.sgdUpdate(this, param, grad, velocity, mask, options);
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
    return optimizers.adamUpdate(this, param, grad, m, v, mask, options);
  }

  /**
   * Active nodes of a layer's activations x: [N, F] (node = feature) or [N, C, H, W] (node = channel, statistic over
   * N x H x W). Computed on the device; only the per-node statistic and the count come back.
   */
  activeCounts(x: Tensor, options: ActiveCountOptions = {}): Promise<ActiveCounts> {
    return statistics.activeCounts(this, x, options);
  }

  /**
   * Compiles a model for training and inference on this engine: initial weights from the seeded generator, the training
   * step recorded once (see docs/AUTODIFF.md). Options: inputShape (per sample), batchSize, loss, optimizer, init, seed.
   */
  compile(model: Sequential, options: CompileOptions): Promise<Net> {
    this.checkAlive('compile');
    return compileNet(this, model, options);
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
    this.scopes.forget(tensor);
  }

  private allocate<D extends DType>(shape: Shape, dtype: D): Tensor<D> {
    return this.track(new Tensor(this, this.backendImpl.alloc(Math.max(4, sizeOf(shape) * 4)), [...shape], dtype));
  }

  private track<D extends DType>(t: Tensor<D>): Tensor<D> {
    this.scopes.track(t as Tensor<DType>);
    return t;
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

/** Creates an engine on the best backend available (see EngineOptions). */
export function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.create(options);
}
