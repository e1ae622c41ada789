// ReLU and its derivative mask over contiguous elements; same contract as assembly/kernels/relu.ts.
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  size: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn linear_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i < params.size) {
    out[i] = max(x[i], 0.0);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn relu_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i < params.size) {
    out[i] = select(0.0, 1.0, x[i] > 0.0);
  }
}
