// Mean squared error over the rows of pred and target viewed as [N, F], one workgroup per row: per-row losses and the
// gradient of their mean; same contract as assembly/kernels/mean_squared_error.ts.
//
// losses[n] = Σ_f (pred[n, f] - target[n, f])² / F, and grad[n, f] = (pred[n, f] - target[n, f]) * grad_scale with
// grad_scale = 2 / (N * F) rounded once on the host (PyTorch's MSELoss(reduction='mean') gradient). Each thread sums
// the squares of every WORKGROUP_SIZE-th element of the row, then a tree adds the threads' sums, so no partial sum
// holds more than ceil(F / WORKGROUP_SIZE) terms plus log2(WORKGROUP_SIZE) levels of additions.
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  N: u32,
  F: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<storage, read> pred: array<f32>;
@group(0) @binding(1) var<storage, read> target_values: array<f32>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn mean_squared_error(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x + wid.y * nwg.x;
  // The same for every thread of the workgroup, so the barriers below stay in uniform control flow.
  if (n >= params.N) {
    return;
  }
  let F = params.F;
  let row = n * F;
  var sum = 0.0;
  for (var f = lid; f < F; f += WORKGROUP_SIZE) {
    let d = pred[row + f] - target_values[row + f];
    grad[row + f] = d * params.grad_scale;
    sum += d * d;
  }
  partial[lid] = sum;
  workgroupBarrier();
  for (var step = WORKGROUP_SIZE / 2u; step > 0u; step /= 2u) {
    if (lid < step) {
      partial[lid] += partial[lid + step];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    losses[n] = partial[0] / f32(F);
  }
}
