// Tensors: a shape, an element type and a device buffer; read back asynchronously, freed with dispose().
import type { DeviceBuffer } from './backend/backend.js';
import { DisposedTensorError, ShapeError } from './errors.js';
import { formatShape, sizeOf, type DType, type Shape } from './tensor-meta.js';

export type TypedArrayFor<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;

/** What a tensor needs from the engine that made it. */
export interface TensorOwner {
  readBuffer(buffer: DeviceBuffer, bytes: number): Promise<ArrayBuffer>;
  releaseBuffer(buffer: DeviceBuffer): void;
  forgetTensor(tensor: Tensor<DType>): void;
}

/** A device buffer shared by a tensor and its reshaped views; returned to the pool when the last one is disposed. */
class Storage {
  refs = 1;
  constructor(readonly buffer: DeviceBuffer) {}
}

let nextId = 0;

export class Tensor<D extends DType = 'float32'> {
  readonly id = nextId++;
  readonly size: number;
  private storage: Storage | undefined;

  constructor(
    private readonly owner: TensorOwner,
    buffer: DeviceBuffer | Storage,
    readonly shape: Shape,
    readonly dtype: D,
  ) {
    this.storage = buffer instanceof Storage ? buffer : new Storage(buffer);
    this.size = sizeOf(shape);
  }

  get disposed(): boolean {
    return this.storage === undefined;
  }

  /** The device buffer; throws DisposedTensorError naming `op` and `name` after dispose(). */
  deviceBuffer(op = 'read', name = 'tensor'): DeviceBuffer {
    if (!this.storage) throw new DisposedTensorError(op, name, this.shape);
    return this.storage.buffer;
  }

  /** A view of the same values with another shape of the same size; it shares the buffer and is disposed separately. */
  view(shape: Shape, op = 'reshape'): Tensor<D> {
    if (!this.storage) throw new DisposedTensorError(op, 'x', this.shape);
    if (sizeOf(shape) !== this.size) {
      throw new ShapeError(op, `cannot view ${this.size} elements as ${formatShape(shape)}`, { x: this.shape });
    }
    this.storage.refs++;
    return new Tensor(this.owner, this.storage, [...shape], this.dtype);
  }

  /** Copies the values back from the device once the work that produces them has finished. */
  async read(): Promise<TypedArrayFor<D>> {
    const bytes = await this.owner.readBuffer(this.deviceBuffer('read'), this.size * 4);
    return (this.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes)) as TypedArrayFor<D>;
  }

  /** Returns the buffer to the engine's pool; later use throws. Disposing twice is harmless. */
  dispose(): void {
    const storage = this.storage;
    if (!storage) return;
    this.storage = undefined;
    this.owner.forgetTensor(this as Tensor<DType>);
    if (--storage.refs === 0) this.owner.releaseBuffer(storage.buffer);
  }

  toString(): string {
    return `Tensor(${this.dtype} ${formatShape(this.shape)}${this.disposed ? ', disposed' : ''})`;
  }
}
