// One torch.optim.SGD step per element (weight decay, momentum with dampening or Nesterov), then the pruning mask; same contract as assembly/kernels/sgd_update.ts.
override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  size: u32,
  lr: f32,
  momentum: f32,
  one_minus_dampening: f32,
  weight_decay: f32,
  nesterov: u32,
  first_step: u32,
}

@group(0) @binding(0) var<storage, read> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> velocity: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> new_param: array<f32>;
@group(0) @binding(5) var<storage, read_write> new_velocity: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgd_update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (i >= params.size) {
    return;
  }
  let p = param[i];
  // PyTorch: d_p = grad + weight_decay * param.
  let g = grad[i] + params.weight_decay * p;
  var v = velocity[i];
  var step = g;
  if (params.momentum != 0.0) {
    // The first step starts the buffer at d_p itself; later ones take momentum * buf + (1 - dampening) * d_p.
    if (params.first_step != 0u) {
      v = g;
    } else {
      v = params.momentum * v + params.one_minus_dampening * g;
    }
    if (params.nesterov != 0u) {
      step = g + params.momentum * v;
    } else {
      step = v;
    }
  }
  // Pruned entries (mask 0) leave exactly zero in both the parameter and its velocity.
  let keep = mask[i];
  new_param[i] = (p - params.lr * step) * keep;
  new_velocity[i] = v * keep;
}
