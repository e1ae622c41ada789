// Shared GEMM machinery of matmul and conv2d: the 4x8 f32x4 micro-kernel, panel packing and cache blocking.
//
// C[m0:m1, n0:n1] = A[m0:m1, :] x B[:, n0:n1] is computed in the GotoBLAS/BLIS order: B is packed KC rows at a time
// into column panels NR wide (kc x NR floats, contiguous), A is packed MC rows at a time into row panels MR tall
// (kc x MR floats), and the micro-kernel multiplies one A panel by one B panel into MR x NR accumulators held in
// registers. A comes from a row-major matrix (optionally transposed); B comes from a matrix (optionally transposed) or,
// for conv2d, from a (zero-padded) input image through on-the-fly im2col packing. Partial panels are filled out to full
// width, so the micro-kernels always run full and only their write-back is clipped; the last rows of a block, when
// fewer than MR, go through a one-row kernel instead of a mostly idle four-row one.
//
// Each worker thread has its own instance of this module, so the module-level `let` state below (the B source) is per
// thread, set by the exported entry point before it calls gemmBlock.

/** Rows of A per micro-kernel call: 4 rows x 2 vectors = 8 accumulators, which x64 V8 keeps in xmm registers. */
export const MR: i32 = 4;
/** Columns of B per micro-kernel call (two f32x4 vectors). */
export const NR: i32 = 8;
/** Depth of one packed block: a kc x NR panel of B (8 KiB) stays in L1 while A panels stream past it. */
export const KC: i32 = 256;
/** Rows of A packed at once: MC x KC floats (128 KiB) stay in L2. */
export const MC: i32 = 128;
/** Columns of B packed at once: KC x NC floats (512 KiB) stay in L2/L3. */
export const NC: i32 = 512;

// @ts-ignore: decorator
@inline
function roundUp(n: i32, step: i32): i32 {
  return ((n + step - 1) / step) * step;
}

/**
 * Packed-block extents for a product [M, K] x [K, N]: a dimension longer than its block limit is cut into equal blocks
 * (K = 288 gives two blocks of 144, not 256 + 32), rounded up to whole panels. The scratch layout depends only on them.
 */
// @ts-ignore: decorator
@inline
function balanced(n: i32, limit: i32, step: i32): i32 {
  const blocks = (n + limit - 1) / limit;
  return roundUp((n + blocks - 1) / blocks, step);
}
// @ts-ignore: decorator
@inline
export function blockDepth(K: i32): i32 {
  return balanced(K, KC, 1);
}
// @ts-ignore: decorator
@inline
export function blockRows(M: i32): i32 {
  return balanced(M, MC, MR);
}
// @ts-ignore: decorator
@inline
export function blockCols(N: i32): i32 {
  return balanced(N, NC, NR);
}

/**
 * Bytes of scratch one thread needs for the GEMM: packed B (kc x nc), packed A (mc x kc), a clipped-tile buffer
 * (MR x NR) and the im2col column table (nc int32). Mirrored by gemmThreadScratch in src/backend/wasm/kernels/matmul.ts.
 */
export function gemmThreadScratch(M: i32, N: i32, K: i32): usize {
  const kc = blockDepth(K);
  const nc = blockCols(N);
  const mc = blockRows(M);
  const floats = kc * nc + mc * kc + MR * NR + nc;
  return <usize>roundUp(floats * 4, 64);
}

// ---- B source ------------------------------------------------------------------------------------------------------

const SOURCE_MATRIX: i32 = 0;
const SOURCE_IM2COL: i32 = 1;

let bSource: i32 = SOURCE_MATRIX;
// Matrix source: B(k, j) = transB ? b[j * ldb + k] : b[k * ldb + j].
let bBase: usize = 0;
let bTransposed: bool = false;
let bLeading: i32 = 0;
// Im2col source over an image already zero-padded to [C, Hp, Wp]: B(k, j) = image[c, oh * SH + kh, ow * SW + kw] with
// k = (c * KH + kh) * KW + kw and j = oh * OW + ow, so every tap is in bounds.
let imHp: i32 = 0;
let imWp: i32 = 0;
let imKH: i32 = 0;
let imKW: i32 = 0;
let imSH: i32 = 0;
let imSW: i32 = 0;
let imOW: i32 = 0;

/** Makes B a row-major [K, ldb] matrix (or [N, ldb] read transposed) starting at `b`. */
export function useMatrixB(b: usize, transposed: bool, leading: i32): void {
  bSource = SOURCE_MATRIX;
  bBase = b;
  bTransposed = transposed;
  bLeading = leading;
}

/** Makes B the implicit im2col matrix [C*KH*KW, OH*OW] of one zero-padded image [C, Hp, Wp] starting at `image`. */
export function useIm2colB(image: usize, Hp: i32, Wp: i32, KH: i32, KW: i32, SH: i32, SW: i32, OW: i32): void {
  bSource = SOURCE_IM2COL;
  bBase = image;
  imHp = Hp;
  imWp = Wp;
  imKH = KH;
  imKW = KW;
  imSH = SH;
  imSW = SW;
  imOW = OW;
}

/**
 * Copies image x [C, H, W] into dst [C, H + 2 PH, W + 2 PW] with a zero border, so im2col packing needs no bounds
 * checks.
 */
export function padImage(dst: usize, x: usize, C: i32, H: i32, W: i32, PH: i32, PW: i32): void {
  const Wp = W + 2 * PW;
  const paddedRowBytes = (<usize>Wp) << 2;
  const rowBytes = (<usize>W) << 2;
  const borderBytes = (<usize>PW) << 2;
  const bandBytes = <usize>PH * paddedRowBytes;
  let out = dst;
  let src = x;
  for (let c = 0; c < C; c++) {
    memory.fill(out, 0, bandBytes);
    out += bandBytes;
    for (let h = 0; h < H; h++) {
      memory.fill(out, 0, borderBytes);
      memory.copy(out + borderBytes, src, rowBytes);
      memory.fill(out + borderBytes + rowBytes, 0, borderBytes);
      out += paddedRowBytes;
      src += rowBytes;
    }
    memory.fill(out, 0, bandBytes);
    out += bandBytes;
  }
}

// ---- packing -------------------------------------------------------------------------------------------------------

/** Packs rows [i0, i0+mc) x depth [k0, k0+kc) of A into MR-row panels: panel p holds kc groups of MR floats. */
function packA(dst: usize, a: usize, transA: bool, lda: i32, i0: i32, mc: i32, k0: i32, kc: i32): void {
  for (let p = 0; p < mc; p += MR) {
    const rows = min(MR, mc - p);
    const panel = dst + (<usize>(p * kc) << 2);
    const r0 = i0 + p;
    if (transA) {
      // A(i, k) = a[k * lda + i]: the MR rows of one k are adjacent.
      let src = a + ((<usize>k0 * lda + r0) << 2);
      const step = (<usize>lda) << 2;
      if (rows == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(panel + (<usize>k << 4), v128.load(src));
          src += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const out = panel + (<usize>k << 4);
          for (let r = 0; r < MR; r++) store<f32>(out + (<usize>r << 2), r < rows ? load<f32>(src + (<usize>r << 2)) : 0);
          src += step;
        }
      }
    } else {
      // A(i, k) = a[i * lda + k]: transpose 4x4 blocks so each k's MR values land together.
      const row0 = a + ((<usize>r0 * lda + k0) << 2);
      const step = (<usize>lda) << 2;
      if (rows == MR) {
        const row1 = row0 + step;
        const row2 = row1 + step;
        const row3 = row2 + step;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const offset = <usize>k << 2;
          const v0 = v128.load(row0 + offset);
          const v1 = v128.load(row1 + offset);
          const v2 = v128.load(row2 + offset);
          const v3 = v128.load(row3 + offset);
          const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          const out = panel + (<usize>k << 4);
          v128.store(out, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
          v128.store(out, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 16);
          v128.store(out, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 32);
          v128.store(out, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 48);
        }
        for (; k < kc; k++) {
          const offset = <usize>k << 2;
          const out = panel + (<usize>k << 4);
          store<f32>(out, load<f32>(row0 + offset));
          store<f32>(out, load<f32>(row1 + offset), 4);
          store<f32>(out, load<f32>(row2 + offset), 8);
          store<f32>(out, load<f32>(row3 + offset), 12);
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const out = panel + (<usize>k << 4);
          const src = row0 + (<usize>k << 2);
          for (let r = 0; r < MR; r++) store<f32>(out + (<usize>r << 2), r < rows ? load<f32>(src + <usize>r * step) : 0);
        }
      }
    }
  }
}

/** Packs depth [k0, k0+kc) x columns [j0, j0+nc) of a matrix B into NR-column panels of kc groups of NR floats. */
function packMatrixB(dst: usize, k0: i32, kc: i32, j0: i32, nc: i32): void {
  const b = bBase;
  const ldb = bLeading;
  for (let q = 0; q < nc; q += NR) {
    const cols = min(NR, nc - q);
    const panel = dst + (<usize>(q * kc) << 2);
    const c0 = j0 + q;
    if (!bTransposed) {
      // B(k, j) = b[k * ldb + j]: each k's NR columns are adjacent.
      let src = b + ((<usize>k0 * ldb + c0) << 2);
      const step = (<usize>ldb) << 2;
      if (cols == NR) {
        for (let k = 0; k < kc; k++) {
          const out = panel + (<usize>k << 5);
          v128.store(out, v128.load(src));
          v128.store(out, v128.load(src, 16), 16);
          src += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const out = panel + (<usize>k << 5);
          for (let j = 0; j < NR; j++) store<f32>(out + (<usize>j << 2), j < cols ? load<f32>(src + (<usize>j << 2)) : 0);
          src += step;
        }
      }
    } else {
      // B(k, j) = b[j * ldb + k]: transpose 4x4 blocks of the column-major panel.
      const col0 = b + ((<usize>c0 * ldb + k0) << 2);
      const step = (<usize>ldb) << 2;
      if (cols == NR) {
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const out = panel + (<usize>k << 5);
          for (let half = 0; half < 2; half++) {
            const src = col0 + (<usize>(half * 4) * step) + (<usize>k << 2);
            const v0 = v128.load(src);
            const v1 = v128.load(src + step);
            const v2 = v128.load(src + step * 2);
            const v3 = v128.load(src + step * 3);
            const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
            const t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
            const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
            const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
            const o = out + (<usize>half << 4);
            v128.store(o, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
            v128.store(o, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
            v128.store(o, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
            v128.store(o, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
          }
        }
        for (; k < kc; k++) {
          const out = panel + (<usize>k << 5);
          const src = col0 + (<usize>k << 2);
          for (let j = 0; j < NR; j++) store<f32>(out + (<usize>j << 2), load<f32>(src + <usize>j * step));
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const out = panel + (<usize>k << 5);
          const src = col0 + (<usize>k << 2);
          for (let j = 0; j < NR; j++) store<f32>(out + (<usize>j << 2), j < cols ? load<f32>(src + <usize>j * step) : 0);
        }
      }
    }
  }
}

/** Fills the column table for output positions [j0, j0 + nc): the offset (oh * SH * Wp + ow * SW) of each window. */
function im2colTable(table: usize, j0: i32, nc: i32): void {
  let oh = j0 / imOW;
  let ow = j0 - oh * imOW;
  const rowStep = imSH * imWp;
  for (let j = 0; j < nc; j++) {
    store<i32>(table + (<usize>j << 2), oh * rowStep + ow * imSW);
    if (++ow == imOW) {
      ow = 0;
      oh++;
    }
  }
}

/**
 * Packs depth [k0, k0+kc) x output positions [j0, j0+nc) of the im2col matrix into NR-column panels, from the column
 * table of [j0, j0+nc). Eight positions that are adjacent in the image (stride 1, one output row) are two vector
 * copies per depth step; the others are gathered through offsets held in locals.
 */
function packIm2colB(dst: usize, table: usize, k0: i32, kc: i32, nc: i32): void {
  const image = bBase;
  const KW = imKW;
  const KH = imKH;
  const Wp = imWp;
  // Steps of the tap offset c * Hp * Wp + kh * Wp + kw as k advances: next kw, next kh, next c.
  const nextRow = Wp - KW;
  const nextPlane = imHp * Wp - KH * Wp;
  const area = KH * KW;
  const c0 = k0 / area;
  const kh0 = (k0 - c0 * area) / KW;
  const kw0 = k0 - c0 * area - kh0 * KW;
  const tap0 = (c0 * imHp + kh0) * Wp + kw0;
  for (let q = 0; q < nc; q += NR) {
    const cols = min(NR, nc - q);
    const panel = dst + (<usize>(q * kc) << 2);
    const offsets = table + (<usize>q << 2);
    const o0 = load<i32>(offsets);
    let kh = kh0;
    let kw = kw0;
    let tap = tap0;
    if (cols == NR && load<i32>(offsets, 28) == o0 + 7) {
      for (let k = 0; k < kc; k++) {
        const src = image + (<usize>(o0 + tap) << 2);
        const out = panel + (<usize>k << 5);
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
        tap++;
        if (++kw == KW) {
          kw = 0;
          tap += nextRow;
          if (++kh == KH) {
            kh = 0;
            tap += nextPlane;
          }
        }
      }
      continue;
    }
    // Columns past the last position read position j0's window; their outputs are clipped away.
    const o1 = cols > 1 ? load<i32>(offsets, 4) : o0;
    const o2 = cols > 2 ? load<i32>(offsets, 8) : o0;
    const o3 = cols > 3 ? load<i32>(offsets, 12) : o0;
    const o4 = cols > 4 ? load<i32>(offsets, 16) : o0;
    const o5 = cols > 5 ? load<i32>(offsets, 20) : o0;
    const o6 = cols > 6 ? load<i32>(offsets, 24) : o0;
    const o7 = cols > 7 ? load<i32>(offsets, 28) : o0;
    for (let k = 0; k < kc; k++) {
      const src = image + (<usize>tap << 2);
      const out = panel + (<usize>k << 5);
      store<f32>(out, load<f32>(src + (<usize>o0 << 2)));
      store<f32>(out, load<f32>(src + (<usize>o1 << 2)), 4);
      store<f32>(out, load<f32>(src + (<usize>o2 << 2)), 8);
      store<f32>(out, load<f32>(src + (<usize>o3 << 2)), 12);
      store<f32>(out, load<f32>(src + (<usize>o4 << 2)), 16);
      store<f32>(out, load<f32>(src + (<usize>o5 << 2)), 20);
      store<f32>(out, load<f32>(src + (<usize>o6 << 2)), 24);
      store<f32>(out, load<f32>(src + (<usize>o7 << 2)), 28);
      tap++;
      if (++kw == KW) {
        kw = 0;
        tap += nextRow;
        if (++kh == KH) {
          kh = 0;
          tap += nextPlane;
        }
      }
    }
  }
}

// ---- micro-kernels -------------------------------------------------------------------------------------------------

/**
 * C[0:rows, 0:cols] (+)= Ap x Bp for one MR-row A panel and one NR-column B panel of depth kc. Full tiles store
 * straight from the accumulators; clipped ones go through `tile`.
 */
function kernel4x8(ap: usize, bp: usize, kc: i32, c: usize, ldc: i32, accumulate: bool, rows: i32, cols: i32, tile: usize): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    ap += 16;
    bp += 32;
  }
  const ld = (<usize>ldc) << 2;
  if (rows == MR && cols == NR) {
    if (accumulate) {
      v128.store(c, f32x4.add(v128.load(c), c00));
      v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
      c += ld;
      v128.store(c, f32x4.add(v128.load(c), c10));
      v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
      c += ld;
      v128.store(c, f32x4.add(v128.load(c), c20));
      v128.store(c, f32x4.add(v128.load(c, 16), c21), 16);
      c += ld;
      v128.store(c, f32x4.add(v128.load(c), c30));
      v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
    } else {
      v128.store(c, c00);
      v128.store(c, c01, 16);
      c += ld;
      v128.store(c, c10);
      v128.store(c, c11, 16);
      c += ld;
      v128.store(c, c20);
      v128.store(c, c21, 16);
      c += ld;
      v128.store(c, c30);
      v128.store(c, c31, 16);
    }
    return;
  }
  v128.store(tile, c00);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
  writeClipped(tile, c, ld, accumulate, rows, cols);
}

/** One row of A (read with stride MR from a packed panel) times one B panel: the tail when fewer than MR rows remain. */
function kernel1x8(ap: usize, bp: usize, kc: i32, c: usize, accumulate: bool, cols: i32, tile: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const a = v128.load32_splat(ap);
    c0 = f32x4.add(c0, f32x4.mul(a, v128.load(bp)));
    c1 = f32x4.add(c1, f32x4.mul(a, v128.load(bp, 16)));
    ap += 16;
    bp += 32;
  }
  if (cols == NR) {
    if (accumulate) {
      c0 = f32x4.add(c0, v128.load(c));
      c1 = f32x4.add(c1, v128.load(c, 16));
    }
    v128.store(c, c0);
    v128.store(c, c1, 16);
    return;
  }
  v128.store(tile, c0);
  v128.store(tile, c1, 16);
  writeClipped(tile, c, 0, accumulate, 1, cols);
}

/** Copies (or adds) the top-left rows x cols of an MR x NR tile into C. */
function writeClipped(tile: usize, c: usize, ld: usize, accumulate: bool, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const src = tile + (<usize>(r * NR) << 2);
    const dst = c + <usize>r * ld;
    for (let j = 0; j < cols; j++) {
      const offset = <usize>j << 2;
      const value = load<f32>(src + offset);
      store<f32>(dst + offset, accumulate ? load<f32>(dst + offset) + value : value);
    }
  }
}

// ---- driver --------------------------------------------------------------------------------------------------------

/**
 * C[m0:m1, n0:n1] = A[m0:m1, 0:K] x B[0:K, n0:n1] with A(i, k) = transA ? a[k * lda + i] : a[i * lda + k], B from the
 * current B source and C row-major with leading dimension ldc. `scratch` is this thread's gemmThreadScratch(Mall,
 * Nall, K) bytes, sized for the whole product so the same block extents apply here. With `accumulateInto`, C += A x B
 * (conv2dBackwardFilter sums one product per image into the same filter gradient).
 */
export function gemmBlock(
  a: usize,
  transA: bool,
  lda: i32,
  c: usize,
  ldc: i32,
  m0: i32,
  m1: i32,
  n0: i32,
  n1: i32,
  K: i32,
  Mall: i32,
  Nall: i32,
  scratch: usize,
  accumulateInto: bool = false,
): void {
  const kcMax = blockDepth(K);
  const ncMax = blockCols(Nall);
  const mcMax = blockRows(Mall);
  const packedB = scratch;
  const packedA = packedB + (<usize>(kcMax * ncMax) << 2);
  const tile = packedA + (<usize>(mcMax * kcMax) << 2);
  const table = tile + (<usize>(MR * NR) << 2);
  const ld = (<usize>ldc) << 2;
  for (let jc = n0; jc < n1; jc += ncMax) {
    const nc = min(ncMax, n1 - jc);
    if (bSource == SOURCE_IM2COL) im2colTable(table, jc, nc);
    for (let pc = 0; pc < K; pc += kcMax) {
      const kc = min(kcMax, K - pc);
      const accumulate = accumulateInto || pc > 0;
      if (bSource == SOURCE_IM2COL) packIm2colB(packedB, table, pc, kc, nc);
      else packMatrixB(packedB, pc, kc, jc, nc);
      for (let ic = m0; ic < m1; ic += mcMax) {
        const mc = min(mcMax, m1 - ic);
        packA(packedA, a, transA, lda, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = packedB + (<usize>(jr * kc) << 2);
          const cColumn = c + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const ap = packedA + (<usize>(ir * kc) << 2);
            const cTile = cColumn + <usize>(ic + ir) * ld;
            if (rows == MR) kernel4x8(ap, bp, kc, cTile, ldc, accumulate, rows, cols, tile);
            else {
              for (let r = 0; r < rows; r++) {
                kernel1x8(ap + (<usize>r << 2), bp, kc, cTile + <usize>r * ld, accumulate, cols, tile);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * How a batch of [M, N] products is shared among threads: along column panels when there are at least as many of them
 * as row panels, or enough (4 per thread) to balance; otherwise along row panels. Splitting columns keeps each
 * thread's packed B (the im2col gather, for conv2d) disjoint; splitting rows does the same for A.
 */
export function splitsColumns(batch: i32, M: i32, N: i32, threads: i32): bool {
  const colPanels = (N + NR - 1) / NR;
  const rowPanels = (M + MR - 1) / MR;
  return colPanels >= rowPanels || batch * colPanels >= 4 * threads;
}
