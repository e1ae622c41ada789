// Output-tile shapes for the tiled GEMM shaders (matmul.wgsl, conv2d.wgsl) and the choice of one for a problem size.

/** Override constants shared by the tiled GEMM shaders: the thread grid, rows per thread and K step. */
export interface GemmTiling {
  THREADS_M: number;
  THREADS_N: number;
  /** Output rows per thread, a multiple of 4 (each thread also owns 4 consecutive columns). */
  ROWS_PER_THREAD: number;
  TILE_K: number;
}

/** Columns each thread owns: one vec4 (COLS_PER_THREAD in the shaders). */
const COLS_PER_THREAD = 4;
/** MAX_ROWS_PER_THREAD and MAX_LOADS_PER_THREAD in conv2d.wgsl. */
const MAX_ROWS_PER_THREAD = 8;
const MAX_LOADS_PER_THREAD = 16;
/** WebGPU's default maxComputeWorkgroupStorageSize: every tiling must fit it, so any device runs every tiling. */
const WORKGROUP_STORAGE_BYTES = 16384;

interface Candidate {
  tiling: GemmTiling;
  /**
   * Relative arithmetic throughput of one workgroup of this shape (larger register blocks reuse each workgroup-memory
   * read for more multiply-adds). A design-time weight for ranking shapes, not a measurement.
   */
  weight: number;
}

/** Tilings of conv2d.wgsl. */
const candidates: Candidate[] = [
  { tiling: { THREADS_M: 16, THREADS_N: 16, ROWS_PER_THREAD: 8, TILE_K: 16 }, weight: 1 }, // 128 x 64
  { tiling: { THREADS_M: 16, THREADS_N: 16, ROWS_PER_THREAD: 4, TILE_K: 16 }, weight: 0.85 }, // 64 x 64
  { tiling: { THREADS_M: 8, THREADS_N: 32, ROWS_PER_THREAD: 4, TILE_K: 16 }, weight: 0.8 }, // 32 x 128
  { tiling: { THREADS_M: 4, THREADS_N: 32, ROWS_PER_THREAD: 4, TILE_K: 16 }, weight: 0.5 }, // 16 x 128
  { tiling: { THREADS_M: 8, THREADS_N: 8, ROWS_PER_THREAD: 4, TILE_K: 16 }, weight: 0.5 }, // 32 x 32
];

/**
 * Workgroups that run at once on a large GPU (about two per multiprocessor on a 132-SM part). Below it a dispatch
 * leaves hardware idle, so smaller tiles that make more workgroups win; above it work comes in waves.
 */
const CONCURRENT_WORKGROUPS = 264;

export function tileRows(t: GemmTiling): number {
  return t.THREADS_M * t.ROWS_PER_THREAD;
}

export function tileCols(t: GemmTiling): number {
  return t.THREADS_N * COLS_PER_THREAD;
}

/** Number of output tiles (workgroups) of an M x N product repeated `batch` times. */
export function tileCount(t: GemmTiling, M: number, N: number, batch = 1): number {
  return Math.ceil(M / tileRows(t)) * Math.ceil(N / tileCols(t)) * batch;
}

/**
 * Workgroup memory of the tiled shaders: the A and B tiles with rows padded by 4 floats, plus conv2d.wgsl's per-K tap
 * table (a vec3<i32> array, 16-byte stride).
 */
export function workgroupStorageBytes(t: GemmTiling): number {
  return 4 * t.TILE_K * (tileRows(t) + 4 + tileCols(t) + 4) + 16 * t.TILE_K;
}

/** Throws if a tiling breaks an assumption of conv2d.wgsl (whole loads per thread, register and memory bounds). */
export function checkTiling(t: GemmTiling): void {
  const threads = t.THREADS_M * t.THREADS_N;
  const aLoads = (tileRows(t) * t.TILE_K) / threads;
  const bLoads = (tileCols(t) * t.TILE_K) / threads;
  const ok =
    t.ROWS_PER_THREAD % 4 === 0 &&
    t.ROWS_PER_THREAD <= MAX_ROWS_PER_THREAD &&
    Number.isInteger(aLoads) &&
    Number.isInteger(bLoads) &&
    aLoads <= MAX_LOADS_PER_THREAD &&
    bLoads <= MAX_LOADS_PER_THREAD &&
    threads % tileCols(t) === 0 &&
    threads <= 256 &&
    workgroupStorageBytes(t) <= WORKGROUP_STORAGE_BYTES;
  if (!ok) throw new Error(`webgpu: invalid GEMM tiling ${JSON.stringify(t)}`);
}

for (const { tiling } of candidates) checkTiling(tiling);

/**
 * The tiling with the least estimated time for an M x N output (times batch): waves of concurrent workgroups times the
 * cost of one tile, so large tiles win on large products and small tiles keep the GPU busy on small ones.
 */
export function chooseTiling(M: number, N: number, batch = 1): GemmTiling {
  return cheapest(candidates, M, N, batch);
}

function cheapest(list: Candidate[], M: number, N: number, batch: number): GemmTiling {
  let best = list[0];
  let bestCost = Infinity;
  for (const candidate of list) {
    const { tiling } = candidate;
    const waves = Math.ceil(tileCount(tiling, M, N, batch) / CONCURRENT_WORKGROUPS);
    const cost = (waves * tileRows(tiling) * tileCols(tiling)) / candidate.weight;
    if (cost < bestCost) {
      best = candidate;
      bestCost = cost;
    }
  }
  return best.tiling;
}

/**
 * Tilings of matmul.wgsl, which loads runs of 4 floats (1 to 4 per thread per K step for each of A and B) and holds 4 or
 * 8 rows per thread. Weights as above.
 */
const matmulCandidates: Candidate[] = [
  { tiling: { THREADS_M: 16, THREADS_N: 16, ROWS_PER_THREAD: 8, TILE_K: 16 }, weight: 1 }, // 128 x 64
  { tiling: { THREADS_M: 16, THREADS_N: 16, ROWS_PER_THREAD: 4, TILE_K: 16 }, weight: 0.85 }, // 64 x 64
  { tiling: { THREADS_M: 8, THREADS_N: 16, ROWS_PER_THREAD: 4, TILE_K: 16 }, weight: 0.7 }, // 32 x 64
  { tiling: { THREADS_M: 8, THREADS_N: 8, ROWS_PER_THREAD: 4, TILE_K: 16 }, weight: 0.5 }, // 32 x 32
];

/** Throws if a tiling breaks an assumption of matmul.wgsl (whole runs of 4 per thread, 4 or 8 rows per thread). */
export function checkMatmulTiling(t: GemmTiling): void {
  const threads = t.THREADS_M * t.THREADS_N;
  const aSlots = (tileRows(t) * t.TILE_K) / (4 * threads);
  const bSlots = (tileCols(t) * t.TILE_K) / (4 * threads);
  const ok =
    (t.ROWS_PER_THREAD === 4 || t.ROWS_PER_THREAD === 8) &&
    t.TILE_K % 4 === 0 &&
    [1, 2, 3, 4].includes(aSlots) &&
    [1, 2, 3, 4].includes(bSlots) &&
    threads <= 256 &&
    workgroupStorageBytes(t) <= WORKGROUP_STORAGE_BYTES;
  if (!ok) throw new Error(`webgpu: invalid matmul tiling ${JSON.stringify(t)}`);
}

for (const { tiling } of matmulCandidates) checkMatmulTiling(tiling);

/**
 * chooseTiling among matmul.wgsl's tilings. On an H100 (Deno, wgpu/Vulkan) the 128 x 784 x 512 product of a training
 * step ran at 250-270 GFLOP/s with 128x64, 64x64, 32x32 or 16x32 tiles (193 with 32x64), bound by per-call overhead
 * rather than by the tile count, so the cost model stands.
 */
export function chooseMatmulTiling(M: number, N: number, batch = 1): GemmTiling {
  return cheapest(matmulCandidates, M, N, batch);
}
