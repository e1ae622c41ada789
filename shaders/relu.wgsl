// ReLU (NaN passes through, as in WebAssembly and PyTorch) and its derivative mask over contiguous elements; same contract as assembly/kernels/relu.ts.
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  size: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// Workgroups may be spread over a 2-D grid (linearGrid in kernel.ts); this is the element a thread handles.
fn linear_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
}

// NaN test on the bits: compilers may assume floats are never NaN and fold v != v away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i < params.size) {
    let v = x[i];
    // max(v, 0) but with NaN passed through, as WebAssembly's f32x4.max does (WGSL leaves max of NaN unspecified).
    out[i] = select(0.0, v, v > 0.0 || is_nan(v));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn relu_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i < params.size) {
    out[i] = select(0.0, 1.0, x[i] > 0.0);
  }
}
