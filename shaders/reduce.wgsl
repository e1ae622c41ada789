// Reduction of x viewed as [outer, R, inner] over R to [outer, inner]: sum, mean or max; same contract as assembly/kernels/reduce.ts.
//
// A workgroup owns OUTPUTS_PER_GROUP neighbouring outputs (o, i0 .. i0 + OUTPUTS_PER_GROUP) of one outer index; the
// WORKGROUP_SIZE / OUTPUTS_PER_GROUP threads of each output stride over r and combine their partial results in a
// workgroup-memory tree. With inner == 1 that is one workgroup per output walking a contiguous run; with a wide inner
// dimension neighbouring threads read neighbouring addresses. Each lane combines its terms in blocks of BLOCK, so sums
// lose precision with BLOCK + terms / BLOCK rather than with the number of terms; max passes NaN through.
override WORKGROUP_SIZE: u32 = 256u;
// A power of two dividing WORKGROUP_SIZE.
override OUTPUTS_PER_GROUP: u32 = 1u;
override LANES: u32 = WORKGROUP_SIZE / OUTPUTS_PER_GROUP;
// 0 = sum, 1 = mean, 2 = max (the order of reduceOps in src/ops/defs.ts).
override OP: u32 = 0u;
const BLOCK: u32 = 32u;

struct Params {
  outer: u32,
  R: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

fn negative_infinity() -> f32 {
  let bits = 0xff800000u;
  return bitcast<f32>(bits);
}

// NaN test on the bits: compilers may assume floats are never NaN and fold v != v away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// The larger of a and b, NaN if either is NaN (WGSL's max leaves NaN unspecified).
fn max_nan(a: f32, b: f32) -> f32 {
  return select(a, b, b > a || is_nan(b));
}

fn combine(p: f32, q: f32) -> f32 {
  if (OP == 2u) {
    return max_nan(p, q);
  }
  return p + q;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let inner = params.inner;
  let R = params.R;
  let groups_per_outer = (inner + OUTPUTS_PER_GROUP - 1u) / OUTPUTS_PER_GROUP;
  let group = wid.x + wid.y * nwg.x;
  if (group >= params.outer * groups_per_outer) {
    return;
  }
  let o = group / groups_per_outer;
  let column = lid % OUTPUTS_PER_GROUP;
  let lane = lid / OUTPUTS_PER_GROUP;
  let i = (group - o * groups_per_outer) * OUTPUTS_PER_GROUP + column;

  let base = o * R * inner + i;
  // Lanes of outputs past inner have no terms. Sums start at zero, maxima at -infinity.
  let terms = select(0u, R, i < inner);
  var value = select(0.0, negative_infinity(), OP == 2u);
  for (var start = lane; start < terms; start += LANES * BLOCK) {
    let end = min(terms, start + LANES * BLOCK);
    var block = select(0.0, negative_infinity(), OP == 2u);
    for (var r = start; r < end; r += LANES) {
      block = combine(block, x[base + r * inner]);
    }
    value = combine(value, block);
  }
  let slot = lane * OUTPUTS_PER_GROUP + column;
  partial[slot] = value;
  workgroupBarrier();
  for (var step = LANES / 2u; step > 0u; step /= 2u) {
    if (lane < step) {
      partial[slot] = combine(partial[slot], partial[slot + step * OUTPUTS_PER_GROUP]);
    }
    workgroupBarrier();
  }
  if (terms > 0u && lane == 0u) {
    let total = partial[column];
    out[o * inner + i] = select(total, total / f32(R), OP == 1u);
  }
}
