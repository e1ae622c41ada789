// Shared by the scripts in build/: the reference models of issue 3 (from the built package) and a small seeded generator for synthetic data.

// The reference models live in the package (src/cli/models.ts), so the CLI and these scripts share one copy.
export { REFERENCE_INPUT_SHAPE, referenceModel } from './dist/index.js';

/** mulberry32: seeded uniform numbers in [0, 1), so runs see the same data without loading the engine bundle. */
export function seededUniform(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
