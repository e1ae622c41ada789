// Max and average pooling over NCHW, one thread per output; same contract as assembly/kernels/pool2d.ts.
// Max ignores padded positions and passes NaN through; average sums the positions inside x and divides by KH*KW
// (PyTorch's count_include_pad). The op's shape rules keep padding at most half the window, so every window holds at
// least one input.
override WORKGROUP_SIZE: u32 = 256u;
// 0 = max, 1 = average (the order of poolModes in src/ops/defs.ts).
override MODE: u32 = 0u;

struct Params {
  N: u32,
  C: u32,
  H: u32,
  W: u32,
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
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// NaN test on the bits: compilers may assume floats are never NaN and fold v != v away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn pool2d(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let index = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (index >= params.N * params.C * params.OH * params.OW) {
    return;
  }
  // index = (plane * OH + oh) * OW + ow with plane = n * C + c.
  let ow = index % params.OW;
  let oh = (index / params.OW) % params.OH;
  let plane = index / (params.OW * params.OH);
  // The window clipped to the input: rows [top + kh_from, top + kh_to), columns [left + kw_from, left + kw_to).
  let top = i32(oh * params.SH) - i32(params.PH);
  let left = i32(ow * params.SW) - i32(params.PW);
  let row_from = u32(max(top, 0));
  let row_to = u32(min(top + i32(params.KH), i32(params.H)));
  let col_from = u32(max(left, 0));
  let col_to = u32(min(left + i32(params.KW), i32(params.W)));
  let base = plane * params.H * params.W;
  if (MODE == 0u) {
    var maximum = x[base + row_from * params.W + col_from];
    for (var r = row_from; r < row_to; r++) {
      for (var c = col_from; c < col_to; c++) {
        let v = x[base + r * params.W + c];
        maximum = select(maximum, v, v > maximum || is_nan(v));
      }
    }
    out[index] = maximum;
  } else {
    var sum = 0.0;
    for (var r = row_from; r < row_to; r++) {
      for (var c = col_from; c < col_to; c++) {
        sum += x[base + r * params.W + c];
      }
    }
    out[index] = sum / f32(params.KH * params.KW);
  }
}
