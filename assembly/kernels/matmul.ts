// Fast matmul: batched, transposable, broadcastable GEMM on the shared packed 4x8 f32x4 micro-kernel (gemm_core).
import { MR, NR, gemmBlock, gemmThreadScratch, splitsColumns, useMatrixB } from './gemm_core';
import { rangeEnd, rangeStart } from './partition';

/**
 * out[t] = op(A_t) x op(B_t) for t < batch, where A_t starts strideA floats after A_{t-1} (0: broadcast) and is [M, K]
 * or, with transA, [K, M]; B_t likewise [K, N] or [N, K]; out is [batch, M, N] contiguous. `scratch` holds
 * `threads` regions of gemmThreadScratch(batch * M, N, K) bytes; thread `tid` computes its share of the output.
 */
export function matmul(
  a: usize,
  b: usize,
  out: usize,
  batch: i32,
  M: i32,
  N: i32,
  K: i32,
  transA: i32,
  transB: i32,
  strideA: i32,
  strideB: i32,
  scratch: usize,
  tid: i32,
  threads: i32,
): void {
  const region = gemmThreadScratch(batch * M, N, K);
  const mine = scratch + <usize>tid * region;
  // With B shared and A's items stacked row-major, the batch is one [batch * M, K] x [K, N] product into out.
  const folded = batch > 1 && strideB == 0 && transA == 0 && strideA == M * K;
  const items = folded ? 1 : batch;
  const rows = folded ? batch * M : M;
  const alongColumns = splitsColumns(items, rows, N, threads);
  const perItem = alongColumns ? (N + NR - 1) / NR : (rows + MR - 1) / MR;
  const end = rangeEnd(items * perItem, tid, threads);
  let unit = rangeStart(items * perItem, tid, threads);
  const lda = transA != 0 ? M : K;
  while (unit < end) {
    const t = unit / perItem;
    const first = unit - t * perItem;
    const last = min(perItem, end - t * perItem);
    const aItem = a + ((<usize>t * strideA) << 2);
    const outItem = out + ((<usize>t * rows * N) << 2);
    useMatrixB(b + ((<usize>t * strideB) << 2), transB != 0, transB != 0 ? K : N);
    if (alongColumns) {
      gemmBlock(aItem, transA != 0, lda, outItem, N, 0, rows, first * NR, min(N, last * NR), K, batch * M, N, mine);
    } else {
      gemmBlock(aItem, transA != 0, lda, outItem, N, first * MR, min(rows, last * MR), 0, N, K, batch * M, N, mine);
    }
    unit = t * perItem + last;
  }
}
