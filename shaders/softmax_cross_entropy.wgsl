// Softmax cross-entropy over the rows of logits [N, C], one workgroup per row: per-row losses and the gradient of
// their mean; same contract as assembly/kernels/softmax_cross_entropy.ts.
//
// losses[n] = logsumexp(logits[n]) - logits[n, label], computed around the row maximum so no exp overflows.
// grad[n, c] = (softmax(logits[n])[c] - [c == label]) / N. The workgroup sums the exponentials of the classes other
// than the label separately, so neither the label's gradient entry (-others / sum / N) nor the loss of a confident
// prediction (ln(1 + others)) suffers the cancellation of 1 - p. Logarithms come from a series rather than WGSL's log,
// whose error bound near 1 is absolute (2^-21), not relative. A label outside [0, C) makes the row's loss NaN and its
// gradient row NaN.
override WORKGROUP_SIZE: u32 = 64u;

const LN2: f32 = 0.6931471805599453;

struct Params {
  N: u32,
  C: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

fn quiet_nan() -> f32 {
  let bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

fn negative_infinity() -> f32 {
  let bits = 0xff800000u;
  return bitcast<f32>(bits);
}

// NaN test on the bits: compilers may assume floats are never NaN and fold v != v away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// The larger of a and b, NaN if either is NaN (WGSL's max leaves NaN unspecified).
fn max_nan(a: f32, b: f32) -> f32 {
  return select(a, b, b > a || is_nan(b));
}

// 2 atanh(t) = ln((1 + t) / (1 - t)) for 0 <= t <= 1/3 by its series; eight terms reach float32 precision there.
fn two_atanh(t: f32) -> f32 {
  let t2 = t * t;
  var series = 1.0 / 15.0;
  series = series * t2 + 1.0 / 13.0;
  series = series * t2 + 1.0 / 11.0;
  series = series * t2 + 1.0 / 9.0;
  series = series * t2 + 1.0 / 7.0;
  series = series * t2 + 1.0 / 5.0;
  series = series * t2 + 1.0 / 3.0;
  series = series * t2 + 1.0;
  return 2.0 * t * series;
}

// ln(s) for s >= 1: s = m * 2^e with m in [1, 2), ln(m) = 2 atanh((m - 1) / (m + 1)).
fn log_at_least_one(s: f32) -> f32 {
  let parts = frexp(s);
  let m = parts.fract * 2.0;
  return f32(parts.exp - 1) * LN2 + two_atanh((m - 1.0) / (m + 1.0));
}

// ln(1 + x) for x >= 0, keeping the precision of a tiny x that 1.0 + x would round away.
fn log_one_plus(x: f32) -> f32 {
  if (x <= 1.0) {
    return two_atanh(x / (2.0 + x));
  }
  return log_at_least_one(1.0 + x);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn softmax_cross_entropy(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x + wid.y * nwg.x;
  if (n >= params.N) {
    return;
  }
  let C = params.C;
  let row = n * C;
  let label = labels[n];
  let valid = label >= 0 && u32(label) < C;
  // Never equal to a class index when the label is out of range.
  let target_class = select(C, u32(label), valid);

  // Row maximum (NaN if any logit is NaN).
  var maximum = negative_infinity();
  for (var c = lid; c < C; c += WORKGROUP_SIZE) {
    maximum = max_nan(maximum, logits[row + c]);
  }
  partial[lid] = maximum;
  workgroupBarrier();
  for (var step = WORKGROUP_SIZE / 2u; step > 0u; step /= 2u) {
    if (lid < step) {
      partial[lid] = max_nan(partial[lid], partial[lid + step]);
    }
    workgroupBarrier();
  }
  maximum = partial[0];
  workgroupBarrier();

  // Sum of exp(logit - maximum) over the classes other than the label.
  var others = 0.0;
  for (var c = lid; c < C; c += WORKGROUP_SIZE) {
    if (c != target_class) {
      others += exp(logits[row + c] - maximum);
    }
  }
  partial[lid] = others;
  workgroupBarrier();
  for (var step = WORKGROUP_SIZE / 2u; step > 0u; step /= 2u) {
    if (lid < step) {
      partial[lid] += partial[lid + step];
    }
    workgroupBarrier();
  }
  others = partial[0];

  let label_logit = logits[row + min(target_class, C - 1u)];
  let exp_sum = others + exp(label_logit - maximum);
  let scale = (1.0 / f32(params.N)) / exp_sum;
  for (var c = lid; c < C; c += WORKGROUP_SIZE) {
    var g: f32;
    if (!valid) {
      g = quiet_nan();
    } else if (c == target_class) {
      g = -others * scale;
    } else {
      g = exp(logits[row + c] - maximum) * scale;
    }
    grad[row + c] = g;
  }
  if (lid == 0u) {
    if (!valid) {
      losses[n] = quiet_nan();
    } else if (label_logit == maximum) {
      losses[n] = log_one_plus(others);
    } else {
      losses[n] = log_at_least_one(exp_sum) + (maximum - label_logit);
    }
  }
}
