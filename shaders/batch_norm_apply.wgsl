// out = (x - mean[c]) / sqrt(variance[c] + eps) * gamma[c] + beta[c] over x viewed as [N, C, S]; same contract as assembly/kernels/batch_norm_apply.ts.
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  N: u32,
  C: u32,
  S: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> mean: array<f32>;
@group(0) @binding(2) var<storage, read> variance: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn batch_norm_apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (i < params.N * params.C * params.S) {
    let c = (i / params.S) % params.C;
    out[i] = (x[i] - mean[c]) / sqrt(variance[c] + params.eps) * gamma[c] + beta[c];
  }
}
