// One torch.optim.Adam / AdamW step per element with host-computed bias corrections, then the pruning mask; same contract as assembly/kernels/adam_update.ts.
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  size: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
  // Adam's L2 term (0 for AdamW) and AdamW's decoupled decay factor 1 - lr * weight_decay (1 for Adam).
  grad_decay: f32,
  param_scale: f32,
  // lr / (1 - beta1^step) and sqrt(1 - beta2^step).
  step_size: f32,
  bias_correction2_sqrt: f32,
}

@group(0) @binding(0) var<storage, read> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> m: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> new_param: array<f32>;
@group(0) @binding(6) var<storage, read_write> new_m: array<f32>;
@group(0) @binding(7) var<storage, read_write> new_v: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam_update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (i >= params.size) {
    return;
  }
  let p = param[i];
  let g = grad[i] + params.grad_decay * p;
  let m1 = params.beta1 * m[i] + params.one_minus_beta1 * g;
  let v1 = params.beta2 * v[i] + params.one_minus_beta2 * (g * g);
  // PyTorch: denom = sqrt(v) / sqrt(1 - beta2^t) + eps; param += -step_size * (m / denom).
  let denom = sqrt(v1) / params.bias_correction2_sqrt + params.eps;
  let keep = mask[i];
  new_param[i] = (p * params.param_scale - params.step_size * (m1 / denom)) * keep;
  new_m[i] = m1 * keep;
  new_v[i] = v1 * keep;
}
