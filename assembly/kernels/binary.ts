// Elementwise add, sub and mul of two same-shape tensors, f32x4 over contiguous elements; same contract as shaders/binary.wgsl.
import { rangeEnd, rangeStart } from './partition';

const ADD = 0;
const SUB = 1;
const MUL = 2;

/** out[i] = a[i] (+, -, *) b[i] for op 0, 1, 2, over this thread's share of [0, size). */
export function binary(a: usize, b: usize, out: usize, size: i32, op: i32, tid: i32, threads: i32): void {
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  if (op == ADD) addRange(a, b, out, start, end);
  else if (op == SUB) subRange(a, b, out, start, end);
  else if (op == MUL) mulRange(a, b, out, start, end);
  else unreachable();
}

function addRange(a: usize, b: usize, out: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = (<usize>i) << 2;
    v128.store(out + offset, f32x4.add(v128.load(a + offset), v128.load(b + offset)));
  }
  for (; i < end; i++) {
    const offset = (<usize>i) << 2;
    store<f32>(out + offset, load<f32>(a + offset) + load<f32>(b + offset));
  }
}

function subRange(a: usize, b: usize, out: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = (<usize>i) << 2;
    v128.store(out + offset, f32x4.sub(v128.load(a + offset), v128.load(b + offset)));
  }
  for (; i < end; i++) {
    const offset = (<usize>i) << 2;
    store<f32>(out + offset, load<f32>(a + offset) - load<f32>(b + offset));
  }
}

function mulRange(a: usize, b: usize, out: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = (<usize>i) << 2;
    v128.store(out + offset, f32x4.mul(v128.load(a + offset), v128.load(b + offset)));
  }
  for (; i < end; i++) {
    const offset = (<usize>i) << 2;
    store<f32>(out + offset, load<f32>(a + offset) * load<f32>(b + offset));
  }
}
