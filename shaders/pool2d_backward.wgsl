// Gradient of max and average pooling wrt the input over NCHW, one thread per dx element gathering over the windows
// that contain it; same contract as assembly/kernels/pool2d_backward.ts.
// dx[n, c, h, w] = sum over those windows (oh, ow), ascending, of: max, dy[n, c, oh, ow] when (h, w) is the window's
// first maximum in row-major order over its in-bounds positions (a later equal value does not replace it; NaN counts
// as a maximum and the first NaN wins); average, dy[n, c, oh, ow], the sum then divided by KH*KW.
// One entry point for both modes, the mode an override constant: x is statically used in both (the average mode never
// reaches first_maximum), so layout 'auto' keeps its binding either way.
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
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// NaN test on the bits: compilers may assume floats are never NaN and fold v != v away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Offset within the plane at `base` of the first maximum of window (oh, ow) over its in-bounds positions.
fn first_maximum(base: u32, oh: u32, ow: u32) -> u32 {
  let top = i32(oh * params.SH) - i32(params.PH);
  let left = i32(ow * params.SW) - i32(params.PW);
  let row_from = u32(max(top, 0));
  let row_to = u32(min(top + i32(params.KH), i32(params.H)));
  let col_from = u32(max(left, 0));
  let col_to = u32(min(left + i32(params.KW), i32(params.W)));
  var at = row_from * params.W + col_from;
  var maximum = x[base + at];
  for (var r = row_from; r < row_to; r++) {
    for (var c = col_from; c < col_to; c++) {
      let v = x[base + r * params.W + c];
      if (v > maximum || (is_nan(v) && !is_nan(maximum))) {
        maximum = v;
        at = r * params.W + c;
      }
    }
  }
  return at;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn pool2d_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let index = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (index >= params.N * params.C * params.H * params.W) {
    return;
  }
  // index = (plane * H + h) * W + w with plane = n * C + c.
  let w = index % params.W;
  let h = (index / params.W) % params.H;
  let plane = index / (params.W * params.H);
  // Windows containing (h, w): oh*SH - PH <= h <= oh*SH - PH + KH - 1, likewise for ow.
  let ph = i32(h + params.PH);
  let pw = i32(w + params.PW);
  let oh_from = u32(max(ph - i32(params.KH) + 1, 0) + i32(params.SH) - 1) / params.SH;
  let oh_to = min(u32(ph) / params.SH + 1u, params.OH);
  let ow_from = u32(max(pw - i32(params.KW) + 1, 0) + i32(params.SW) - 1) / params.SW;
  let ow_to = min(u32(pw) / params.SW + 1u, params.OW);
  let base = plane * params.H * params.W;
  let position = h * params.W + w;
  var sum = 0.0;
  for (var oh = oh_from; oh < oh_to; oh++) {
    for (var ow = ow_from; ow < ow_to; ow++) {
      let g = dy[(plane * params.OH + oh) * params.OW + ow];
      if (MODE != 0u || first_maximum(base, oh, ow) == position) {
        sum += g;
      }
    }
  }
  dx[index] = select(sum, sum / f32(params.KH * params.KW), MODE != 0u);
}
