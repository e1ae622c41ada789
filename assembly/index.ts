// The WebAssembly module's exports: every kernel, plus where the engine's heap may begin.
export { relu, reluMask } from './kernels/relu';

/** First byte after the module's static data; the engine's allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}
