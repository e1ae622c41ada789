// Per-channel mean and biased variance of x viewed as [N, C, S], two passes; same contract as assembly/kernels/moments.ts.
//
// A workgroup owns CHANNELS_PER_GROUP consecutive channels; the WORKGROUP_SIZE / CHANNELS_PER_GROUP threads (lanes) of
// each channel stride over its N*S values and then combine their partial sums in a workgroup-memory tree. One channel
// per workgroup suits S > 1 (each channel's values come in contiguous runs of S); with S == 1 ([N, C] inputs)
// neighbouring channels are neighbours in memory, so a workgroup takes several and its loads stay coalesced. Each
// lane sums its terms in blocks of BLOCK before adding the block to its total, so rounding error grows with
// BLOCK + terms / BLOCK rather than with the number of terms. (Compensated summation is no option: shader compilers
// may simplify its error terms away.) The variance is the mean squared deviation from the first pass's mean.
override WORKGROUP_SIZE: u32 = 256u;
// A power of two dividing WORKGROUP_SIZE.
override CHANNELS_PER_GROUP: u32 = 1u;
override LANES: u32 = WORKGROUP_SIZE / CHANNELS_PER_GROUP;
const BLOCK: u32 = 32u;

struct Params {
  N: u32,
  C: u32,
  S: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;
@group(0) @binding(2) var<storage, read_write> variance: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// partial[lane * CHANNELS_PER_GROUP + channel]: one sum per thread.
var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

// The j-th of channel c's N*S values.
fn value(c: u32, j: u32) -> f32 {
  let n = j / params.S;
  return x[(n * params.C + c) * params.S + (j - n * params.S)];
}

// Tree-combines the lanes' sums per channel; every thread gets its channel's total.
fn workgroup_sum(sum: f32, lane: u32, channel: u32) -> f32 {
  let slot = lane * CHANNELS_PER_GROUP + channel;
  partial[slot] = sum;
  workgroupBarrier();
  for (var step = LANES / 2u; step > 0u; step /= 2u) {
    if (lane < step) {
      partial[slot] += partial[slot + step * CHANNELS_PER_GROUP];
    }
    workgroupBarrier();
  }
  let total = partial[channel];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn moments(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let group = wid.x + wid.y * nwg.x;
  if (group * CHANNELS_PER_GROUP >= params.C) {
    return;
  }
  let channel = lid % CHANNELS_PER_GROUP;
  let lane = lid / CHANNELS_PER_GROUP;
  let c = group * CHANNELS_PER_GROUP + channel;
  let count = params.N * params.S;
  // Lanes of channels past C have no terms.
  let terms = select(0u, count, c < params.C);

  var sum = 0.0;
  for (var start = lane; start < terms; start += LANES * BLOCK) {
    let end = min(terms, start + LANES * BLOCK);
    var block = 0.0;
    for (var j = start; j < end; j += LANES) {
      block += value(c, j);
    }
    sum += block;
  }
  let m = workgroup_sum(sum, lane, channel) / f32(count);

  var squares = 0.0;
  for (var start = lane; start < terms; start += LANES * BLOCK) {
    let end = min(terms, start + LANES * BLOCK);
    var block = 0.0;
    for (var j = start; j < end; j += LANES) {
      let d = value(c, j) - m;
      block += d * d;
    }
    squares += block;
  }
  let v = workgroup_sum(squares, lane, channel) / f32(count);
  if (terms > 0u && lane == 0u) {
    mean[c] = m;
    variance[c] = v;
  }
}
