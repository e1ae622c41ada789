// conv2d filter gradient, the oracle: one thread per dw element, summing dy * x over the images and output positions.
override WORKGROUP_SIZE: u32 = 64u;

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

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_backward_filter_naive(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let index = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (index >= params.O * params.C * params.KH * params.KW) {
    return;
  }
  // index = ((o * C + c) * KH + kh) * KW + kw
  let kw = index % params.KW;
  let kh = (index / params.KW) % params.KH;
  let c = (index / (params.KW * params.KH)) % params.C;
  let o = index / (params.KW * params.KH * params.C);
  let H = i32(params.H);
  let W = i32(params.W);
  var sum = 0.0;
  for (var n = 0u; n < params.N; n++) {
    for (var oh = 0u; oh < params.OH; oh++) {
      let ih = i32(oh * params.SH + kh) - i32(params.PH);
      if (ih < 0 || ih >= H) {
        continue;
      }
      for (var ow = 0u; ow < params.OW; ow++) {
        let iw = i32(ow * params.SW + kw) - i32(params.PW);
        if (iw < 0 || iw >= W) {
          continue;
        }
        let xv = x[((n * params.C + c) * params.H + u32(ih)) * params.W + u32(iw)];
        sum += xv * dy[((n * params.O + o) * params.OH + oh) * params.OW + ow];
      }
    }
  }
  dw[index] = sum;
}
