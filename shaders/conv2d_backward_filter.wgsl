// conv2d filter gradient: one workgroup per dw element; its threads split the N x OH x OW products and tree-reduce.
// The sum for one dw element runs over every image and output position (86,528 terms for a 28x28 input at batch 128),
// while dw itself can be tiny (288 elements for 32 3x3 filters over one channel): one thread per element would leave
// a GPU nearly idle, so the reduction is what gets spread over threads.
override WORKGROUP_SIZE: u32 = 128u;

struct Params {
  N: u32,
  C: u32,
  H: u32,
  W: u32,
  O: u32,
  KH: u32,
  KW: u32,
  SH: u32,
  SW: u32,
  PH: u32,
  PW: u32,
  OH: u32,
  OW: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// Sized for the largest WORKGROUP_SIZE the host picks (256).
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_backward_filter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let index = wid.x + wid.y * nwg.x;
  let total = params.O * params.C * params.KH * params.KW;
  // index = ((o * C + c) * KH + kh) * KW + kw; the whole workgroup shares it, so the early exit is uniform.
  if (index >= total) {
    return;
  }
  let kw = index % params.KW;
  let kh = (index / params.KW) % params.KH;
  let c = (index / (params.KW * params.KH)) % params.C;
  let o = index / (params.KW * params.KH * params.C);
  let H = i32(params.H);
  let W = i32(params.W);
  let positions = params.OH * params.OW;
  var sum = 0.0;
  for (var n = 0u; n < params.N; n++) {
    let xPlane = (n * params.C + c) * params.H;
    let dyPlane = (n * params.O + o) * positions;
    for (var q = lid; q < positions; q += WORKGROUP_SIZE) {
      let oh = q / params.OW;
      let ow = q - oh * params.OW;
      let ih = i32(oh * params.SH + kh) - i32(params.PH);
      let iw = i32(ow * params.SW + kw) - i32(params.PW);
      if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
        sum += x[(xPlane + u32(ih)) * params.W + u32(iw)] * dy[dyPlane + q];
      }
    }
  }
  partial[lid] = sum;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    dw[index] = partial[0];
  }
}
