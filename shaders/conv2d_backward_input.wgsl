// conv2d input gradient: one thread per dx element, gathering dy * w over the output channels and the filter taps
// that land on it (taps whose offset is not a whole number of strides are skipped).
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

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let index = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (index >= params.N * params.C * params.H * params.W) {
    return;
  }
  // index = ((n * C + c) * H + h) * W + x
  let x = index % params.W;
  let h = (index / params.W) % params.H;
  let c = (index / (params.W * params.H)) % params.C;
  let n = index / (params.W * params.H * params.C);
  var sum = 0.0;
  for (var kh = 0u; kh < params.KH; kh++) {
    // oh * SH = h + PH - kh must be a whole, in-range output row.
    let th = h + params.PH;
    if (th < kh || (th - kh) % params.SH != 0u) {
      continue;
    }
    let oh = (th - kh) / params.SH;
    if (oh >= params.OH) {
      continue;
    }
    for (var kw = 0u; kw < params.KW; kw++) {
      let tw = x + params.PW;
      if (tw < kw || (tw - kw) % params.SW != 0u) {
        continue;
      }
      let ow = (tw - kw) / params.SW;
      if (ow >= params.OW) {
        continue;
      }
      for (var o = 0u; o < params.O; o++) {
        let g = dy[((n * params.O + o) * params.OH + oh) * params.OW + ow];
        sum += g * w[((o * params.C + c) * params.KH + kh) * params.KW + kw];
      }
    }
  }
  dx[index] = sum;
}
