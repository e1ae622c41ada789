// Checks the engine against fixtures from an independent implementation (PyTorch, float64 stored as float32; see
// test/fixtures/make_fixtures.py): the forward pass, the loss, the running statistics and the last layer's gradient of
// a small MLP and a small CNN with batch norm, on WebAssembly and on WebGPU (Dawn).
import { readFileSync } from 'node:fs';
import { createEngine, parseSafetensors, type BackendKind, type Engine, type Tensor } from 'emergence-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** |actual - expected| <= ATOL + RTOL * |expected| elementwise (float32 kernels against float64 results rounded to float32). */
const ATOL = 2e-6;
const RTOL = 1e-5;

interface Fixture {
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  settings: { labels: number[]; input_shape: number[]; relu_module_indices: number[] };
}

function loadFixture(name: string): Fixture {
  const dir = new URL('../fixtures/', import.meta.url);
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(new URL(`${name}.safetensors`, dir))));
  const settings = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Fixture['settings'];
  return { tensors, settings };
}

const fixtures = { mlp: loadFixture('mlp'), cnn: loadFixture('cnn') };

function expected(fixture: Fixture, name: string): { shape: number[]; data: Float32Array } {
  const t = fixture.tensors.get(name);
  if (!t) throw new Error(`fixture has no tensor '${name}'`);
  return t;
}

/** Compares a tensor with a fixture tensor; returns the largest absolute error (logged for the record). */
async function expectClose(label: string, actual: Tensor, want: { shape: number[]; data: Float32Array }): Promise<number> {
  expect(actual.shape, `${label} shape`).toEqual(want.shape);
  const got = (await actual.read()) as Float32Array;
  let maxError = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.data.length; i++) {
    const error = Math.abs(got[i] - want.data[i]);
    maxError = Math.max(maxError, error);
    const excess = error - (ATOL + RTOL * Math.abs(want.data[i]));
    if (!(excess <= worstExcess)) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = i;
    }
  }
  console.log(`${label}: max abs error ${maxError.toExponential(2)}`);
  expect(worst, `${label}[${worst}] = ${got[worst]}, expected ${want.data[worst]} (atol ${ATOL}, rtol ${RTOL})`).toBe(-1);
  return maxError;
}

const requireWebGpu = process.env.EMERGENCE_REQUIRE_WEBGPU === '1';
const webgpuEngine = await createEngine({ backend: 'webgpu' }).catch((error: Error) => {
  if (requireWebGpu) throw error;
  console.warn(`WebGPU fixture tests skipped: ${error.message}`);
  return undefined;
});
await webgpuEngine?.dispose();

for (const backend of ['wasm', 'webgpu'] as BackendKind[]) {
  describe.skipIf(backend === 'webgpu' && !webgpuEngine)(`PyTorch fixtures on ${backend}`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine({ backend });
    });
    afterAll(async () => {
      await engine.dispose();
    });

    const load = (fixture: Fixture, name: string): Tensor => {
      const t = expected(fixture, name);
      return engine.tensor(t.data, t.shape);
    };

    it('mlp: activations, logits, loss and the last layer gradients', async () => {
      const f = fixtures.mlp;
      const labels = Int32Array.from(expected(f, 'labels').data);
      expect(Array.from(labels)).toEqual(f.settings.labels);
      const results = engine.scope(() => {
        const linear = (x: Tensor, i: number): Tensor =>
          engine.biasAdd(engine.matmul(x, load(f, `params.${i}.weight`), { transposeB: true }), load(f, `params.${i}.bias`));
        const h1 = engine.relu(linear(load(f, 'input'), 0));
        const h3 = engine.relu(linear(h1, 2));
        const logits = linear(h3, 4);
        const { loss, grad } = engine.softmaxCrossEntropy(logits, labels);
        // Linear(12, 5): dL/dW = grad^T h3 ([5, 12]), dL/db = the column sums of grad.
        const gradW = engine.matmul(grad, h3, { transposeA: true });
        const gradB = engine.sum(grad, [0]);
        return { h1, h3, logits, loss: engine.reshape(loss, [1]), gradW, gradB };
      });
      try {
        await expectClose(`${backend} mlp activations.1`, results.h1, expected(f, 'activations.1'));
        await expectClose(`${backend} mlp activations.3`, results.h3, expected(f, 'activations.3'));
        await expectClose(`${backend} mlp logits`, results.logits, expected(f, 'logits'));
        await expectClose(`${backend} mlp loss`, results.loss, expected(f, 'loss'));
        await expectClose(`${backend} mlp grads.4.weight`, results.gradW, expected(f, 'grads.4.weight'));
        await expectClose(`${backend} mlp grads.4.bias`, results.gradB, expected(f, 'grads.4.bias'));
      } finally {
        for (const t of Object.values(results)) t.dispose();
      }
    });

    it('cnn with batch norm (training): activations, logits, loss, running statistics and the last layer gradients', async () => {
      const f = fixtures.cnn;
      const labels = Int32Array.from(expected(f, 'labels').data);
      expect(Array.from(labels)).toEqual(f.settings.labels);
      const results = engine.scope(() => {
        const x = load(f, 'input');
        const c0 = engine.biasAdd(engine.conv2d(x, load(f, 'params.0.weight'), { padding: 1 }), load(f, 'params.0.bias'));
        const bn = engine.batchNorm(c0, {
          gamma: load(f, 'params.1.weight'),
          beta: load(f, 'params.1.bias'),
          runningMean: load(f, 'params.1.running_mean'),
          runningVar: load(f, 'params.1.running_var'),
          training: true,
          momentum: 0.1,
          eps: 1e-5,
        });
        const a2 = engine.relu(bn.output);
        const p3 = engine.maxPool2d(a2, { size: 2 });
        const c4 = engine.biasAdd(engine.conv2d(p3, load(f, 'params.4.weight'), { stride: 2, padding: 1 }), load(f, 'params.4.bias'));
        const a5 = engine.relu(c4);
        const p6 = engine.avgPool2d(a5, { size: 2 });
        const flat = engine.reshape(p6, [p6.shape[0], p6.size / p6.shape[0]]);
        const logits = engine.biasAdd(engine.matmul(flat, load(f, 'params.8.weight'), { transposeB: true }), load(f, 'params.8.bias'));
        const { loss, grad } = engine.softmaxCrossEntropy(logits, labels);
        const gradW = engine.matmul(grad, flat, { transposeA: true });
        const gradB = engine.sum(grad, [0]);
        return {
          a2,
          a5,
          logits,
          loss: engine.reshape(loss, [1]),
          runningMean: bn.runningMean!,
          runningVar: bn.runningVar!,
          gradW,
          gradB,
        };
      });
      try {
        await expectClose(`${backend} cnn activations.2`, results.a2, expected(f, 'activations.2'));
        await expectClose(`${backend} cnn activations.5`, results.a5, expected(f, 'activations.5'));
        await expectClose(`${backend} cnn logits`, results.logits, expected(f, 'logits'));
        await expectClose(`${backend} cnn loss`, results.loss, expected(f, 'loss'));
        await expectClose(`${backend} cnn running_mean`, results.runningMean, expected(f, 'after_step.1.running_mean'));
        await expectClose(`${backend} cnn running_var`, results.runningVar, expected(f, 'after_step.1.running_var'));
        await expectClose(`${backend} cnn grads.8.weight`, results.gradW, expected(f, 'grads.8.weight'));
        await expectClose(`${backend} cnn grads.8.bias`, results.gradB, expected(f, 'grads.8.bias'));
      } finally {
        for (const t of Object.values(results)) t.dispose();
      }
    });
  });
}
