// Softmax cross-entropy over the rows of logits [N, C]: per-row losses and the gradient of their mean, rows split across threads.
//
// losses[n] = logsumexp(logits[n]) - logits[n, label[n]], computed around the row maximum so no exp overflows.
// grad[n, c] = (softmax(logits[n])[c] - [c == label[n]]) / N: the gradient of the MEAN loss over the batch. The label's
// entry is -(Σ over the other classes of e^(x - max)) / Σ e^(x - max) / N, which keeps its precision when the model is
// confident (no 1 - p cancellation). A label outside [0, C) makes the row's loss NaN and its gradient row NaN; the
// engine rejects such labels before they get here when they come from the host.
import { rangeEnd, rangeStart } from './partition';

export function softmaxCrossEntropy(logits: usize, labels: usize, losses: usize, grad: usize, N: i32, C: i32, tid: i32, threads: i32): void {
  const first = rangeStart(N, tid, threads);
  const last = rangeEnd(N, tid, threads);
  const perSample: f64 = 1 / <f64>N;
  for (let n = first; n < last; n++) {
    const row = logits + ((<usize>n * C) << 2);
    const gradRow = grad + ((<usize>n * C) << 2);
    const label = load<i32>(labels + ((<usize>n) << 2));
    if (label < 0 || label >= C) {
      store<f32>(losses + ((<usize>n) << 2), f32.NaN);
      for (let c = 0; c < C; c++) store<f32>(gradRow + ((<usize>c) << 2), f32.NaN);
      continue;
    }
    const maximum = rowMax(row, C);
    // e^(x - max) goes into the gradient row, to be scaled once the sum is known.
    let sum: f64 = 0;
    for (let c = 0; c < C; c++) {
      const e = Mathf.exp(load<f32>(row + ((<usize>c) << 2)) - maximum);
      store<f32>(gradRow + ((<usize>c) << 2), e);
      sum += <f64>e;
    }
    const labelOffset = (<usize>label) << 2;
    const labelExp = <f64>load<f32>(gradRow + labelOffset);
    const labelLogit = <f64>load<f32>(row + labelOffset);
    store<f32>(losses + ((<usize>n) << 2), <f32>(Math.log(sum) - (labelLogit - <f64>maximum)));
    const factor = perSample / sum;
    for (let c = 0; c < C; c++) {
      const offset = (<usize>c) << 2;
      store<f32>(gradRow + offset, <f32>(<f64>load<f32>(gradRow + offset) * factor));
    }
    store<f32>(gradRow + labelOffset, <f32>(-(sum - labelExp) * factor));
  }
}

/** The largest of row[0..C), f32x4 then scalar; NaN if any entry is NaN. */
function rowMax(row: usize, C: i32): f32 {
  let lanes = f32x4.splat(f32.NEGATIVE_INFINITY);
  let c = 0;
  for (; c + 4 <= C; c += 4) lanes = f32x4.max(lanes, v128.load(row + ((<usize>c) << 2)));
  let maximum = max(max(f32x4.extract_lane(lanes, 0), f32x4.extract_lane(lanes, 1)), max(f32x4.extract_lane(lanes, 2), f32x4.extract_lane(lanes, 3)));
  for (; c < C; c++) maximum = max(maximum, load<f32>(row + ((<usize>c) << 2)));
  return maximum;
}
