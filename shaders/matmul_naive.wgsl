// Oracle matrix product: one thread per output element, a plain loop over K; same contract as shaders/matmul.wgsl.
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  batch: u32,
  M: u32,
  N: u32,
  K: u32,
  // 1 when a is stored [K, M] (resp. b stored [N, K]), else 0.
  transposeA: u32,
  transposeB: u32,
  strideA: u32,
  strideB: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn matmul_naive(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let index = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (index >= params.batch * M * N) {
    return;
  }
  let batch = index / (M * N);
  let row = (index / N) % M;
  let col = index % N;
  let a_base = batch * params.strideA;
  let b_base = batch * params.strideB;
  // Steps between consecutive K entries of the row of op(a) and the column of op(b).
  let a_step = select(1u, M, params.transposeA != 0u);
  let b_step = select(N, 1u, params.transposeB != 0u);
  var a_index = a_base + select(row * K, row, params.transposeA != 0u);
  var b_index = b_base + select(col, col * K, params.transposeB != 0u);
  var sum = 0.0;
  for (var k = 0u; k < K; k++) {
    sum += a[a_index] * b[b_index];
    a_index += a_step;
    b_index += b_step;
  }
  out[index] = sum;
}
