// Tiled matrix product out[b] = op(a[b]) @ op(b[b]) in workgroup memory with register blocking; same contract as assembly/kernels/matmul.ts.
//
// Each workgroup computes a TILE_M x TILE_N block of one batch entry's output. Its THREADS_M x THREADS_N threads each
// own ROWS_PER_THREAD (4 or 8) consecutive rows x 4 consecutive columns, held in named vec4 accumulators (no private
// array indexed by a loop counter, so nothing can spill to local memory). The K dimension is walked in steps of TILE_K:
// every thread fetches its share of the next A and B tiles from global memory into registers while it multiplies the
// current tiles out of workgroup memory, so memory latency overlaps arithmetic. A thread's share is A_SLOTS (and
// B_SLOTS) runs of 4 consecutive floats along the contiguous axis of the matrix in memory. Out-of-range rows, columns
// and K entries load as zero and are never written, so any M, N, K works. Batch strides of 0 broadcast.

// a is [M, K], or [K, M] when TRANSPOSE_A; b is [K, N], or [N, K] when TRANSPOSE_B (row-major, per batch entry).
override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
// The workgroup is a THREADS_M x THREADS_N grid of threads (THREADS_N fastest in local_invocation_index).
override THREADS_M: u32 = 16u;
override THREADS_N: u32 = 16u;
// Output rows per thread: 4 or 8.
override ROWS_PER_THREAD: u32 = 8u;
// Depth of one step along K, a multiple of 4.
override TILE_K: u32 = 16u;
// Tile rows visited together, so that concurrently running workgroups share A and B tiles in cache.
override GROUP_M: u32 = 8u;

const COLS_PER_THREAD: u32 = 4u;

override THREADS: u32 = THREADS_M * THREADS_N;
override TILE_M: u32 = THREADS_M * ROWS_PER_THREAD;
override TILE_N: u32 = THREADS_N * COLS_PER_THREAD;
// Rows of the workgroup tiles are padded by one vec4 so that the transposing stores spread over memory banks.
override A_STRIDE: u32 = TILE_M + 4u;
override B_STRIDE: u32 = TILE_N + 4u;
// Runs of 4 floats each thread loads per K step: 1 to 4 (the bindings check it).
override A_SLOTS: u32 = TILE_M * TILE_K / (4u * THREADS);
override B_SLOTS: u32 = TILE_N * TILE_K / (4u * THREADS);

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

// The thread's output block: row r of it is acc_r, columns in the vector lanes.
var<private> acc0: vec4<f32>;
var<private> acc1: vec4<f32>;
var<private> acc2: vec4<f32>;
var<private> acc3: vec4<f32>;
var<private> acc4: vec4<f32>;
var<private> acc5: vec4<f32>;
var<private> acc6: vec4<f32>;
var<private> acc7: vec4<f32>;

// Elements (row, col .. col + 3) of a rows x cols row-major matrix at `base` of a or b; zero outside it.
fn load_run(from_a: bool, base: u32, row: u32, col: u32, rows: u32, cols: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (row < rows) {
    let i = base + row * cols + col;
    if (col + 3u < cols) {
      if (from_a) {
        v = vec4<f32>(a[i], a[i + 1u], a[i + 2u], a[i + 3u]);
      } else {
        v = vec4<f32>(b[i], b[i + 1u], b[i + 2u], b[i + 3u]);
      }
    } else {
      for (var c = 0u; c < 4u; c++) {
        if (col + c < cols) {
          if (from_a) {
            v[c] = a[i + c];
          } else {
            v[c] = b[i + c];
          }
        }
      }
    }
  }
  return v;
}

// The s-th run of the A block at (m0, k0): along K when a is [M, K], along M when it is [K, M].
fn load_a(base: u32, m0: u32, k0: u32, s: u32) -> vec4<f32> {
  if (TRANSPOSE_A) {
    return load_run(true, base, k0 + s / (TILE_M / 4u), m0 + (s % (TILE_M / 4u)) * 4u, params.K, params.M);
  }
  return load_run(true, base, m0 + s / (TILE_K / 4u), k0 + (s % (TILE_K / 4u)) * 4u, params.M, params.K);
}

// The s-th run of the B block at (k0, n0): along N when b is [K, N], along K when it is [N, K].
fn load_b(base: u32, n0: u32, k0: u32, s: u32) -> vec4<f32> {
  if (TRANSPOSE_B) {
    return load_run(false, base, n0 + s / (TILE_K / 4u), k0 + (s % (TILE_K / 4u)) * 4u, params.N, params.K);
  }
  return load_run(false, base, k0 + s / (TILE_N / 4u), n0 + (s % (TILE_N / 4u)) * 4u, params.K, params.N);
}

// Stores the s-th run of the A block into a_tile (one vec4 when the run lies along M, else one float per K row).
fn store_a(s: u32, v: vec4<f32>) {
  if (TRANSPOSE_A) {
    a_tile[(s / (TILE_M / 4u)) * (A_STRIDE / 4u) + s % (TILE_M / 4u)] = v;
  } else {
    let m = s / (TILE_K / 4u);
    let i = (s % (TILE_K / 4u)) * A_STRIDE + m / 4u;
    let lane = m % 4u;
    a_tile[i][lane] = v.x;
    a_tile[i + A_STRIDE / 4u][lane] = v.y;
    a_tile[i + 2u * (A_STRIDE / 4u)][lane] = v.z;
    a_tile[i + 3u * (A_STRIDE / 4u)][lane] = v.w;
  }
}

fn store_b(s: u32, v: vec4<f32>) {
  if (TRANSPOSE_B) {
    let n = s / (TILE_K / 4u);
    let i = (s % (TILE_K / 4u)) * B_STRIDE + n / 4u;
    let lane = n % 4u;
    b_tile[i][lane] = v.x;
    b_tile[i + B_STRIDE / 4u][lane] = v.y;
    b_tile[i + 2u * (B_STRIDE / 4u)][lane] = v.z;
    b_tile[i + 3u * (B_STRIDE / 4u)][lane] = v.w;
  } else {
    b_tile[(s / (TILE_N / 4u)) * (B_STRIDE / 4u) + s % (TILE_N / 4u)] = v;
  }
}

// One K entry of the product: the thread's rows of a_tile times its 4 columns of b_tile, added to the accumulators.
fn multiply_step(k: u32, tx: u32, ty: u32) {
  let bv = b_tile[k * (B_STRIDE / 4u) + tx];
  let row = k * (A_STRIDE / 4u) + ty * (ROWS_PER_THREAD / 4u);
  let a0 = a_tile[row];
  acc0 = fma(vec4<f32>(a0.x), bv, acc0);
  acc1 = fma(vec4<f32>(a0.y), bv, acc1);
  acc2 = fma(vec4<f32>(a0.z), bv, acc2);
  acc3 = fma(vec4<f32>(a0.w), bv, acc3);
  if (ROWS_PER_THREAD == 8u) {
    let a1 = a_tile[row + 1u];
    acc4 = fma(vec4<f32>(a1.x), bv, acc4);
    acc5 = fma(vec4<f32>(a1.y), bv, acc5);
    acc6 = fma(vec4<f32>(a1.z), bv, acc6);
    acc7 = fma(vec4<f32>(a1.w), bv, acc7);
  }
}

// Writes row `row` of the output (columns col .. col + 3, those inside N).
fn store_row(base: u32, row: u32, col: u32, v: vec4<f32>) {
  let M = params.M;
  let N = params.N;
  if (row >= M) {
    return;
  }
  let i = base + row * N + col;
  if (col + 3u < N) {
    out[i] = v.x;
    out[i + 1u] = v.y;
    out[i + 2u] = v.z;
    out[i + 3u] = v.w;
  } else {
    for (var c = 0u; c < 4u; c++) {
      if (col + c < N) {
        out[i + c] = v[c];
      }
    }
  }
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

  // The next tiles' runs, in registers; slots past A_SLOTS / B_SLOTS are unused (constant conditions).
  var a_next0 = load_a(a_base, m0, 0u, lid);
  var a_next1 = vec4<f32>(0.0);
  var a_next2 = vec4<f32>(0.0);
  var a_next3 = vec4<f32>(0.0);
  var b_next0 = load_b(b_base, n0, 0u, lid);
  var b_next1 = vec4<f32>(0.0);
  var b_next2 = vec4<f32>(0.0);
  var b_next3 = vec4<f32>(0.0);
  if (A_SLOTS > 1u) { a_next1 = load_a(a_base, m0, 0u, lid + THREADS); }
  if (A_SLOTS > 2u) { a_next2 = load_a(a_base, m0, 0u, lid + 2u * THREADS); }
  if (A_SLOTS > 3u) { a_next3 = load_a(a_base, m0, 0u, lid + 3u * THREADS); }
  if (B_SLOTS > 1u) { b_next1 = load_b(b_base, n0, 0u, lid + THREADS); }
  if (B_SLOTS > 2u) { b_next2 = load_b(b_base, n0, 0u, lid + 2u * THREADS); }
  if (B_SLOTS > 3u) { b_next3 = load_b(b_base, n0, 0u, lid + 3u * THREADS); }

  let k_tiles = (K + TILE_K - 1u) / TILE_K;
  for (var t = 0u; t < k_tiles; t++) {
    workgroupBarrier();
    store_a(lid, a_next0);
    if (A_SLOTS > 1u) { store_a(lid + THREADS, a_next1); }
    if (A_SLOTS > 2u) { store_a(lid + 2u * THREADS, a_next2); }
    if (A_SLOTS > 3u) { store_a(lid + 3u * THREADS, a_next3); }
    store_b(lid, b_next0);
    if (B_SLOTS > 1u) { store_b(lid + THREADS, b_next1); }
    if (B_SLOTS > 2u) { store_b(lid + 2u * THREADS, b_next2); }
    if (B_SLOTS > 3u) { store_b(lid + 3u * THREADS, b_next3); }
    workgroupBarrier();
    if (t + 1u < k_tiles) {
      let k0 = (t + 1u) * TILE_K;
      a_next0 = load_a(a_base, m0, k0, lid);
      if (A_SLOTS > 1u) { a_next1 = load_a(a_base, m0, k0, lid + THREADS); }
      if (A_SLOTS > 2u) { a_next2 = load_a(a_base, m0, k0, lid + 2u * THREADS); }
      if (A_SLOTS > 3u) { a_next3 = load_a(a_base, m0, k0, lid + 3u * THREADS); }
      b_next0 = load_b(b_base, n0, k0, lid);
      if (B_SLOTS > 1u) { b_next1 = load_b(b_base, n0, k0, lid + THREADS); }
      if (B_SLOTS > 2u) { b_next2 = load_b(b_base, n0, k0, lid + 2u * THREADS); }
      if (B_SLOTS > 3u) { b_next3 = load_b(b_base, n0, k0, lid + 3u * THREADS); }
    }
    for (var k = 0u; k < TILE_K; k += 4u) {
      multiply_step(k, tx, ty);
      multiply_step(k + 1u, tx, ty);
      multiply_step(k + 2u, tx, ty);
      multiply_step(k + 3u, tx, ty);
    }
  }

  let col = n0 + tx * COLS_PER_THREAD;
  let row = m0 + ty * ROWS_PER_THREAD;
  let out_base = batch * M * N;
  store_row(out_base, row, col, acc0);
  store_row(out_base, row + 1u, col, acc1);
  store_row(out_base, row + 2u, col, acc2);
  store_row(out_base, row + 3u, col, acc3);
  if (ROWS_PER_THREAD == 8u) {
    store_row(out_base, row + 4u, col, acc4);
    store_row(out_base, row + 5u, col, acc5);
    store_row(out_base, row + 6u, col, acc6);
    store_row(out_base, row + 7u, col, acc7);
  }
}
