// 2-D convolution (NCHW input, OIHW filter, zero padding) as an implicit GEMM; same contract as assembly/kernels/conv2d.ts.
//
// The product computed is out[o, p] = sum_k w[o, k] * patches[k, p] with p = (n, oh, ow) over N*OH*OW output pixels and
// k = (c, kh, kw) over C*KH*KW filter taps; w is the OIHW filter read as an [O, C*KH*KW] matrix. The im2col matrix
// `patches` is never stored: each TILE_K x TILE_N block of it is gathered from x straight into workgroup memory, with
// padding and every out-of-range index reading zero. The tiling is the one of matmul.wgsl: THREADS_M x THREADS_N
// threads, each owning ROWS_PER_THREAD output channels x 4 consecutive output pixels, with the next tiles prefetched
// into registers while the current ones are multiplied. The decomposition of the tile's k indices into (c, kh, kw)
// is computed once per tile into workgroup memory instead of by every load.

override THREADS_M: u32 = 16u;
override THREADS_N: u32 = 16u;
// Output channels per thread: a multiple of 4, at most MAX_ROWS_PER_THREAD.
override ROWS_PER_THREAD: u32 = 4u;
override TILE_K: u32 = 16u;
override GROUP_M: u32 = 8u;

const COLS_PER_THREAD: u32 = 4u;
const MAX_ROWS_PER_THREAD: u32 = 8u;
const MAX_LOADS_PER_THREAD: u32 = 16u;
// Stands in for kh past the end of the filter: any input row it produces is out of range.
const NO_TAP: i32 = 0x20000000;

override THREADS: u32 = THREADS_M * THREADS_N;
override TILE_M: u32 = THREADS_M * ROWS_PER_THREAD;
override TILE_N: u32 = THREADS_N * COLS_PER_THREAD;
override A_STRIDE: u32 = TILE_M + 4u;
override B_STRIDE: u32 = TILE_N + 4u;
override A_LOADS: u32 = TILE_M * TILE_K / THREADS;
override B_LOADS: u32 = TILE_N * TILE_K / THREADS;
// Rows of the patch tile one pass of the workgroup gathers (each thread keeps one pixel column; needs THREADS % TILE_N == 0).
override B_ROWS_PER_PASS: u32 = THREADS / TILE_N;

struct Params {
  N: u32,
  C: u32,
  H: u32,
  W: u32,
  O: u32,
  KH: u32,
  KW: u32,
  SH: u32,
  SW: u32,
  PH: u32,
  PW: u32,
  OH: u32,
  OW: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// w_tile[k][o] and patch_tile[k][p], K-major like matmul.wgsl's tiles.
var<workgroup> w_tile: array<vec4<f32>, TILE_K * A_STRIDE / 4u>;
var<workgroup> patch_tile: array<vec4<f32>, TILE_K * B_STRIDE / 4u>;
// For each k of the tile being gathered: (offset of (c, kh, kw) in x relative to the pixel's corner, kh, kw).
var<workgroup> taps: array<vec3<i32>, TILE_K>;

// The tap of filter index k: its offset ((c * H + kh) * W + kw) in x, kh and kw; indices past the filter get NO_TAP.
fn tap(k: u32) -> vec3<i32> {
  let taps_per_channel = params.KH * params.KW;
  if (k >= params.C * taps_per_channel) {
    return vec3<i32>(0, NO_TAP, NO_TAP);
  }
  let c = k / taps_per_channel;
  let r = k - c * taps_per_channel;
  let kh = r / params.KW;
  let kw = r - kh * params.KW;
  return vec3<i32>(i32((c * params.H + kh) * params.W + kw), i32(kh), i32(kw));
}

// Position (o, k) inside the filter block of the j-th value a thread loads; consecutive threads walk k.
fn w_position(lid: u32, j: u32) -> vec2<u32> {
  let e = lid + j * THREADS;
  return vec2<u32>(e / TILE_K, e % TILE_K);
}

fn load_w(o0: u32, k0: u32, lid: u32) -> array<f32, MAX_LOADS_PER_THREAD> {
  let taps_total = params.C * params.KH * params.KW;
  var values: array<f32, MAX_LOADS_PER_THREAD>;
  for (var j = 0u; j < A_LOADS; j++) {
    let p = w_position(lid, j);
    let o = o0 + p.x;
    let k = k0 + p.y;
    if (o < params.O && k < taps_total) {
      values[j] = w[o * taps_total + k];
    }
  }
  return values;
}

// Gathers this thread's patch values for the tile whose taps are in `taps`. `corner` is the index in x of the
// (possibly padded, out-of-range) top-left input of the thread's pixel, `origin` its (row, column), `valid` whether
// the pixel exists.
fn load_patches(corner: i32, origin: vec2<i32>, valid: bool, lid: u32) -> array<f32, MAX_LOADS_PER_THREAD> {
  let H = i32(params.H);
  let W = i32(params.W);
  var values: array<f32, MAX_LOADS_PER_THREAD>;
  for (var j = 0u; j < B_LOADS; j++) {
    let t = taps[lid / TILE_N + j * B_ROWS_PER_PASS];
    let ih = origin.x + t.y;
    let iw = origin.y + t.z;
    if (valid && ih >= 0 && ih < H && iw >= 0 && iw < W) {
      values[j] = x[u32(corner + t.x)];
    }
  }
  return values;
}

@compute @workgroup_size(THREADS)
fn conv2d(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let O = params.O;
  let pixels_per_image = params.OH * params.OW;
  let pixels = params.N * pixels_per_image;
  let taps_total = params.C * params.KH * params.KW;
  let tiles_m = (O + TILE_M - 1u) / TILE_M;
  let tiles_n = (pixels + TILE_N - 1u) / TILE_N;
  let tiles = tiles_m * tiles_n;
  let tile = wid.x + wid.y * nwg.x;
  if (tile >= tiles) {
    return;
  }
  let group_tiles = GROUP_M * tiles_n;
  let first_m = (tile / group_tiles) * GROUP_M;
  let group_rows = min(tiles_m - first_m, GROUP_M);
  let tile_m = first_m + (tile % group_tiles) % group_rows;
  let tile_n = (tile % group_tiles) / group_rows;
  let o0 = tile_m * TILE_M;
  let p0 = tile_n * TILE_N;
  let tx = lid % THREADS_N;
  let ty = lid / THREADS_N;

  // The output pixel whose patch column this thread gathers.
  let pixel = p0 + lid % TILE_N;
  let valid = pixel < pixels;
  let n = pixel / pixels_per_image;
  let s = pixel - n * pixels_per_image;
  let oh = s / params.OW;
  let ow = s - oh * params.OW;
  let origin = vec2<i32>(i32(oh * params.SH) - i32(params.PH), i32(ow * params.SW) - i32(params.PW));
  let corner = i32(n * params.C * params.H * params.W) + origin.x * i32(params.W) + origin.y;

  var acc: array<vec4<f32>, MAX_ROWS_PER_THREAD>;
  let k_tiles = (taps_total + TILE_K - 1u) / TILE_K;
  if (lid < TILE_K) {
    taps[lid] = tap(lid);
  }
  workgroupBarrier();
  var w_next = load_w(o0, 0u, lid);
  var patch_next = load_patches(corner, origin, valid, lid);
  for (var t = 0u; t < k_tiles; t++) {
    workgroupBarrier();
    for (var j = 0u; j < A_LOADS; j++) {
      let p = w_position(lid, j);
      let i = p.y * A_STRIDE + p.x;
      w_tile[i / 4u][i % 4u] = w_next[j];
    }
    for (var j = 0u; j < B_LOADS; j++) {
      let i = (lid / TILE_N + j * B_ROWS_PER_PASS) * B_STRIDE + lid % TILE_N;
      patch_tile[i / 4u][i % 4u] = patch_next[j];
    }
    if (lid < TILE_K) {
      taps[lid] = tap((t + 1u) * TILE_K + lid);
    }
    workgroupBarrier();
    if (t + 1u < k_tiles) {
      w_next = load_w(o0, (t + 1u) * TILE_K, lid);
      patch_next = load_patches(corner, origin, valid, lid);
    }
    for (var k = 0u; k < TILE_K; k++) {
      let bv = patch_tile[k * (B_STRIDE / 4u) + tx];
      for (var r = 0u; r < ROWS_PER_THREAD; r += 4u) {
        let av = w_tile[k * (A_STRIDE / 4u) + (ty * ROWS_PER_THREAD + r) / 4u];
        acc[r] = fma(vec4<f32>(av.x), bv, acc[r]);
        acc[r + 1u] = fma(vec4<f32>(av.y), bv, acc[r + 1u]);
        acc[r + 2u] = fma(vec4<f32>(av.z), bv, acc[r + 2u]);
        acc[r + 3u] = fma(vec4<f32>(av.w), bv, acc[r + 3u]);
      }
    }
  }

  // out[n, o, oh, ow] = out[(n * O + o) * OH * OW + s] for each of the thread's 4 pixels.
  var column_base: array<u32, COLS_PER_THREAD>;
  for (var c = 0u; c < COLS_PER_THREAD; c++) {
    let p = p0 + tx * COLS_PER_THREAD + c;
    let image = p / pixels_per_image;
    column_base[c] = image * O * pixels_per_image + (p - image * pixels_per_image);
  }
  let first_pixel = p0 + tx * COLS_PER_THREAD;
  for (var r = 0u; r < ROWS_PER_THREAD; r++) {
    let o = o0 + ty * ROWS_PER_THREAD + r;
    if (o < O) {
      for (var c = 0u; c < COLS_PER_THREAD; c++) {
        if (first_pixel + c < pixels) {
          out[column_base[c] + o * pixels_per_image] = acc[r][c];
        }
      }
    }
  }
}
