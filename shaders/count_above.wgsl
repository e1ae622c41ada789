// Count of entries strictly above a threshold into a one-element int32 tensor (NaN never counts); same contract as
// assembly/kernels/count_above.ts. One workgroup: its inputs are per-node statistics, a few thousand values.
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  size: u32,
  threshold: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> count: array<i32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn count_above(@builtin(local_invocation_index) lid: u32) {
  var above = 0u;
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) {
    if (x[i] > params.threshold) {
      above += 1u;
    }
  }
  partial[lid] = above;
  workgroupBarrier();
  for (var step = WORKGROUP_SIZE / 2u; step > 0u; step /= 2u) {
    if (lid < step) {
      partial[lid] += partial[lid + step];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    count[0] = i32(partial[0]);
  }
}
