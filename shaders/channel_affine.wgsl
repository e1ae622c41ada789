// out[o, c, s] = x[o, c, s] * scale[c] + shift[c] over x viewed as [outer, C, inner]; same contract as assembly/kernels/channel_affine.ts.
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  outer: u32,
  C: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn channel_affine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (i < params.outer * params.C * params.inner) {
    let c = (i / params.inner) % params.C;
    out[i] = x[i] * scale[c] + shift[c];
  }
}
