// Oracle 2-D convolution: one thread per output element, direct loops over the window; same contract as shaders/conv2d.wgsl.
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
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_naive(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let index = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (index >= params.N * params.O * params.OH * params.OW) {
    return;
  }
  // index = ((n * O + o) * OH + oh) * OW + ow
  let ow = index % params.OW;
  let oh = (index / params.OW) % params.OH;
  let o = (index / (params.OW * params.OH)) % params.O;
  let n = index / (params.OW * params.OH * params.O);
  let H = i32(params.H);
  let W = i32(params.W);
  var sum = 0.0;
  for (var c = 0u; c < params.C; c++) {
    for (var kh = 0u; kh < params.KH; kh++) {
      let ih = i32(oh * params.SH + kh) - i32(params.PH);
      if (ih < 0 || ih >= H) {
        continue;
      }
      for (var kw = 0u; kw < params.KW; kw++) {
        let iw = i32(ow * params.SW + kw) - i32(params.PW);
        if (iw < 0 || iw >= W) {
          continue;
        }
        let xv = x[((n * params.C + c) * params.H + u32(ih)) * params.W + u32(iw)];
        sum += xv * w[((o * params.C + c) * params.KH + kh) * params.KW + kw];
      }
    }
  }
  out[index] = sum;
}
