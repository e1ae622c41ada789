// Elementwise add, sub or mul of two same-shaped tensors, the operator fixed per pipeline; same contract as assembly/kernels/binary.ts.
override WORKGROUP_SIZE: u32 = 256u;
// 0 = add, 1 = sub, 2 = mul (the order of binaryOps in src/ops/defs.ts).
override OP: u32 = 0u;

struct Params {
  size: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (i < params.size) {
    let p = a[i];
    let q = b[i];
    switch OP {
      case 0u: {
        out[i] = p + q;
      }
      case 1u: {
        out[i] = p - q;
      }
      default: {
        out[i] = p * q;
      }
    }
  }
}
