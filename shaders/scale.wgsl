// out = x * alpha + beta elementwise, with one rounding (fused multiply-add); same contract as assembly/kernels/scale.ts.
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  size: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn scale(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (i < params.size) {
    out[i] = fma(x[i], params.alpha, params.beta);
  }
}
