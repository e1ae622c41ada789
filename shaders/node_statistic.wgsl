// Per-node statistic of x viewed as [N, C, S] (node = channel c): the mean value, or the fraction of entries strictly
// above a threshold; same contract as assembly/kernels/node_statistic.ts.
//
// Layout as in moments.wgsl: CHANNELS_PER_GROUP channels per workgroup, the other threads (lanes) striding over each
// channel's N*S values, block-wise sums, then a workgroup-memory tree. Fractions count exactly in integers and divide
// with correct rounding, so they are the float32 nearest to count / (N*S).
override WORKGROUP_SIZE: u32 = 256u;
// A power of two dividing WORKGROUP_SIZE.
override CHANNELS_PER_GROUP: u32 = 1u;
override LANES: u32 = WORKGROUP_SIZE / CHANNELS_PER_GROUP;
// 0 = mean value, 1 = fraction above threshold (the order of nodeStatistics in src/ops/defs.ts).
override MODE: u32 = 0u;
const BLOCK: u32 = 32u;

struct Params {
  N: u32,
  C: u32,
  S: u32,
  threshold: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> stat: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial_sum: array<f32, WORKGROUP_SIZE>;
var<workgroup> partial_count: array<u32, WORKGROUP_SIZE>;

// numerator / denominator rounded to the nearest float32 (ties to even), for 0 <= numerator <= denominator < 2^31:
// long division producing 24 significant quotient bits, a rounding bit and a sticky bit.
fn exact_ratio(numerator: u32, denominator: u32) -> f32 {
  if (numerator == 0u || numerator == denominator) {
    return f32(numerator / denominator);
  }
  // Skip the quotient's leading zero bits: numerator * 2^exponent / denominator is in [1, 2).
  var remainder = numerator;
  var exponent = 0i;
  while (remainder < denominator) {
    remainder *= 2u;
    exponent += 1;
  }
  var mantissa = 0u;
  for (var bit = 0u; bit < 25u; bit++) {
    mantissa *= 2u;
    if (remainder >= denominator) {
      mantissa += 1u;
      remainder -= denominator;
    }
    remainder *= 2u;
  }
  // mantissa holds 24 significant bits and the rounding bit; remainder != 0 is the sticky bit.
  let round_bit = mantissa & 1u;
  mantissa /= 2u;
  if (round_bit == 1u && (remainder != 0u || (mantissa & 1u) == 1u)) {
    mantissa += 1u;
  }
  return ldexp(f32(mantissa), -23 - exponent);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn node_statistic(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let group = wid.x + wid.y * nwg.x;
  if (group * CHANNELS_PER_GROUP >= params.C) {
    return;
  }
  let channel = lid % CHANNELS_PER_GROUP;
  let lane = lid / CHANNELS_PER_GROUP;
  let c = group * CHANNELS_PER_GROUP + channel;
  let C = params.C;
  let S = params.S;
  let count = params.N * S;
  // Lanes of channels past C have no terms.
  let terms = select(0u, count, c < C);

  var sum = 0.0;
  var above = 0u;
  for (var start = lane; start < terms; start += LANES * BLOCK) {
    let end = min(terms, start + LANES * BLOCK);
    var block = 0.0;
    for (var j = start; j < end; j += LANES) {
      let n = j / S;
      let v = x[(n * C + c) * S + (j - n * S)];
      if (MODE == 0u) {
        block += v;
      } else if (v > params.threshold) {
        above += 1u;
      }
    }
    sum += block;
  }
  let slot = lane * CHANNELS_PER_GROUP + channel;
  partial_sum[slot] = sum;
  partial_count[slot] = above;
  workgroupBarrier();
  for (var step = LANES / 2u; step > 0u; step /= 2u) {
    if (lane < step) {
      let other = slot + step * CHANNELS_PER_GROUP;
      partial_sum[slot] += partial_sum[other];
      partial_count[slot] += partial_count[other];
    }
    workgroupBarrier();
  }
  if (terms > 0u && lane == 0u) {
    if (MODE == 0u) {
      stat[c] = partial_sum[channel] / f32(count);
    } else {
      stat[c] = exact_ratio(partial_count[channel], count);
    }
  }
}
