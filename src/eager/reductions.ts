// Eager reductions over chosen axes for Engine.sum, mean and max: contiguous runs of axes, one reduce kernel per run.
import type { Engine } from '../engine.js';
import { ShapeError } from '../errors.js';
import type { ReduceOp } from '../ops/defs.js';
import { sizeOf } from '../tensor-meta.js';
import type { Tensor } from '../tensor.js';

/** Reduces x over `axes` (default all; negative axes count from the end), removing them from the shape. */
export function reduceAxes(engine: Engine, x: Tensor, op: ReduceOp, axes?: number[]): Tensor {
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
    const next = engine.run('reduce', { x: current }, { op, outer, R, inner }, op).out;
    if (current !== x) current.dispose();
    shape = [...shape.slice(0, from), ...shape.slice(to)];
    current = next;
  }
  if (current === x) return engine.scale(x, 1);
  const result = engine.reshape(current, shape);
  current.dispose();
  return result;
}
