// Tiled matrix product out[b] = op(a[b]) @ op(b[b]) in workgroup memory with register blocking; same contract as assembly/kernels/matmul.ts.
//
// Each workgroup computes a TILE_M x TILE_N block of one batch entry's output. Its THREADS_M x THREADS_N threads each
// own ROWS_PER_THREAD consecutive rows x 4 consecutive columns, held as vec4 accumulators. The K dimension is walked in
// steps of TILE_K: every thread fetches its share of the next A and B tiles from global memory into registers while it
// multiplies the current tiles out of workgroup memory, so memory latency overlaps arithmetic. Out-of-range rows,
// columns and K entries load as zero and are never written, so any M, N, K works. Batch strides of 0 broadcast.

// a is [M, K], or [K, M] when TRANSPOSE_A; b is [K, N], or [N, K] when TRANSPOSE_B (row-major, per batch entry).
override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
// The workgroup is a THREADS_M x THREADS_N grid of threads (THREADS_N fastest in local_invocation_index).
override THREADS_M: u32 = 16u;
override THREADS_N: u32 = 16u;
// Output rows per thread: a multiple of 4, at most MAX_ROWS_PER_THREAD.
override ROWS_PER_THREAD: u32 = 8u;
// Depth of one step along K.
override TILE_K: u32 = 16u;
// Tile rows visited together, so that concurrently running workgroups share A and B tiles in cache.
override GROUP_M: u32 = 8u;

const COLS_PER_THREAD: u32 = 4u;
const MAX_ROWS_PER_THREAD: u32 = 8u;
// Upper bound of TILE_M * TILE_K / THREADS and TILE_N * TILE_K / THREADS (the bindings check it).
const MAX_LOADS_PER_THREAD: u32 = 16u;

override THREADS: u32 = THREADS_M * THREADS_N;
override TILE_M: u32 = THREADS_M * ROWS_PER_THREAD;
override TILE_N: u32 = THREADS_N * COLS_PER_THREAD;
// Rows of the workgroup tiles are padded by one vec4 so that the transposing stores spread over memory banks.
override A_STRIDE: u32 = TILE_M + 4u;
override B_STRIDE: u32 = TILE_N + 4u;
override A_LOADS: u32 = TILE_M * TILE_K / THREADS;
override B_LOADS: u32 = TILE_N * TILE_K / THREADS;

struct Params {
  batch: u32,
  M: u32,
  N: u32,
  K: u32,
  strideA: u32,
  strideB: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// a_tile[k][m] and b_tile[k][n]: one K step of the A and B blocks, both K-major so the inner loop reads vec4s.
var<workgroup> a_tile: array<vec4<f32>, TILE_K * A_STRIDE / 4u>;
var<workgroup> b_tile: array<vec4<f32>, TILE_K * B_STRIDE / 4u>;

// Position (m, k) inside the A block of the j-th value a thread loads; consecutive threads walk the contiguous axis.
fn a_position(lid: u32, j: u32) -> vec2<u32> {
  let e = lid + j * THREADS;
  if (TRANSPOSE_A) {
    return vec2<u32>(e % TILE_M, e / TILE_M);
  }
  return vec2<u32>(e / TILE_K, e % TILE_K);
}

// Position (k, n) inside the B block of the j-th value a thread loads.
fn b_position(lid: u32, j: u32) -> vec2<u32> {
  let e = lid + j * THREADS;
  if (TRANSPOSE_B) {
    return vec2<u32>(e % TILE_K, e / TILE_K);
  }
  return vec2<u32>(e / TILE_N, e % TILE_N);
}

fn load_a(base: u32, m0: u32, k0: u32, lid: u32) -> array<f32, MAX_LOADS_PER_THREAD> {
  var values: array<f32, MAX_LOADS_PER_THREAD>;
  for (var j = 0u; j < A_LOADS; j++) {
    let p = a_position(lid, j);
    let m = m0 + p.x;
    let k = k0 + p.y;
    if (m < params.M && k < params.K) {
      values[j] = a[base + select(m * params.K + k, k * params.M + m, TRANSPOSE_A)];
    }
  }
  return values;
}

fn load_b(base: u32, n0: u32, k0: u32, lid: u32) -> array<f32, MAX_LOADS_PER_THREAD> {
  var values: array<f32, MAX_LOADS_PER_THREAD>;
  for (var j = 0u; j < B_LOADS; j++) {
    let p = b_position(lid, j);
    let k = k0 + p.x;
    let n = n0 + p.y;
    if (k < params.K && n < params.N) {
      values[j] = b[base + select(k * params.N + n, n * params.K + k, TRANSPOSE_B)];
    }
  }
  return values;
}

@compute @workgroup_size(THREADS)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let tiles_m = (M + TILE_M - 1u) / TILE_M;
  let tiles_n = (N + TILE_N - 1u) / TILE_N;
  let tiles = tiles_m * tiles_n;
  let linear = wid.x + wid.y * nwg.x;
  if (linear >= tiles * params.batch) {
    return;
  }
  let batch = linear / tiles;
  // Grouped order: GROUP_M tile rows are swept column by column, so neighbouring workgroups reuse A rows and B columns.
  let tile = linear % tiles;
  let group_tiles = GROUP_M * tiles_n;
  let first_m = (tile / group_tiles) * GROUP_M;
  let group_rows = min(tiles_m - first_m, GROUP_M);
  let tile_m = first_m + (tile % group_tiles) % group_rows;
  let tile_n = (tile % group_tiles) / group_rows;
  let m0 = tile_m * TILE_M;
  let n0 = tile_n * TILE_N;
  let a_base = batch * params.strideA;
  let b_base = batch * params.strideB;
  let tx = lid % THREADS_N;
  let ty = lid / THREADS_N;

  var acc: array<vec4<f32>, MAX_ROWS_PER_THREAD>;
  let k_tiles = (K + TILE_K - 1u) / TILE_K;
  var a_next = load_a(a_base, m0, 0u, lid);
  var b_next = load_b(b_base, n0, 0u, lid);
  for (var t = 0u; t < k_tiles; t++) {
    workgroupBarrier();
    for (var j = 0u; j < A_LOADS; j++) {
      let p = a_position(lid, j);
      let i = p.y * A_STRIDE + p.x;
      a_tile[i / 4u][i % 4u] = a_next[j];
    }
    for (var j = 0u; j < B_LOADS; j++) {
      let p = b_position(lid, j);
      let i = p.x * B_STRIDE + p.y;
      b_tile[i / 4u][i % 4u] = b_next[j];
    }
    workgroupBarrier();
    if (t + 1u < k_tiles) {
      a_next = load_a(a_base, m0, (t + 1u) * TILE_K, lid);
      b_next = load_b(b_base, n0, (t + 1u) * TILE_K, lid);
    }
    for (var k = 0u; k < TILE_K; k++) {
      let bv = b_tile[k * (B_STRIDE / 4u) + tx];
      for (var r = 0u; r < ROWS_PER_THREAD; r += 4u) {
        let av = a_tile[k * (A_STRIDE / 4u) + (ty * ROWS_PER_THREAD + r) / 4u];
        acc[r] = fma(vec4<f32>(av.x), bv, acc[r]);
        acc[r + 1u] = fma(vec4<f32>(av.y), bv, acc[r + 1u]);
        acc[r + 2u] = fma(vec4<f32>(av.z), bv, acc[r + 2u]);
        acc[r + 3u] = fma(vec4<f32>(av.w), bv, acc[r + 3u]);
      }
    }
  }

  let col = n0 + tx * COLS_PER_THREAD;
  let out_base = batch * M * N;
  for (var r = 0u; r < ROWS_PER_THREAD; r++) {
    let row = m0 + ty * ROWS_PER_THREAD + r;
    if (row < M) {
      let i = out_base + row * N + col;
      for (var c = 0u; c < COLS_PER_THREAD; c++) {
        if (col + c < N) {
          out[i + c] = acc[r][c];
        }
      }
    }
  }
}
