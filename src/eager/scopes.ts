// Engine.scope's bookkeeping: the tensors each open scope created, disposed when it closes unless its result holds them.
import { Tensor } from '../tensor.js';
import type { DType } from '../tensor-meta.js';

export class ScopeStack {
  private readonly open: Set<Tensor<DType>>[] = [];

  /** Records a new tensor in the innermost open scope (none open: the caller owns it). */
  track(tensor: Tensor<DType>): void {
    this.open.at(-1)?.add(tensor);
  }

  /** Takes a tensor out of the innermost scope, so closing it does not dispose the tensor. */
  keep(tensor: Tensor<DType>): void {
    this.open.at(-1)?.delete(tensor);
  }

  /** Forgets a disposed tensor in every open scope. */
  forget(tensor: Tensor<DType>): void {
    for (const scope of this.open) scope.delete(tensor);
  }

  /** Runs fn in a new scope; when it returns (or its promise settles) disposes what it created and its result lacks. */
  run<T>(fn: () => T): T {
    const created = new Set<Tensor<DType>>();
    this.open.push(created);
    let closed = false;
    const close = (result: unknown): void => {
      if (closed) return;
      closed = true;
      this.open.splice(this.open.lastIndexOf(created), 1);
      const kept = new Set<Tensor<DType>>();
      collectTensors(result, kept);
      for (const t of created) {
        if (kept.has(t)) this.open.at(-1)?.add(t);
        else t.dispose();
      }
    };
    try {
      const result = fn();
      if (result instanceof Promise) {
        return result.then(
          (value) => (close(value), value),
          (error) => {
            close(undefined);
            throw error;
          },
        ) as T;
      }
      close(result);
      return result;
    } catch (error) {
      close(undefined);
      throw error;
    }
  }
}

/** The tensors in a scope's result, searched through arrays and objects a few levels deep. */
function collectTensors(value: unknown, into: Set<Tensor<DType>>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    into.add(value as Tensor<DType>);
    return;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value)) collectTensors(item, into, depth + 1);
}
