// Checks the engine against fixtures from an independent implementation (PyTorch, float64 stored as float32; see
// test/fixtures/make_fixtures.py) on WebAssembly and on WebGPU (Dawn), for a small MLP and a small CNN with batch norm:
// the forward pass, the loss and the running statistics; EVERY parameter gradient from a backward pass written by hand
// with engine primitives (test/support/backward.ts); and one SGD, Adam and AdamW step from PyTorch's gradients.
import { readFileSync } from 'node:fs';
import { createEngine, parseSafetensors, type BackendKind, type Engine, type Tensor } from 'emergence-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchNormBackward, conv2dBackward, linearBackward, reluBackward } from '../support/backward.js';

/** Elementwise |actual - expected| <= atol + rtol * |expected|. */
interface Tolerance {
  atol: number;
  rtol: number;
}

/** Forward values and the loss: float32 kernels against float64 results rounded to float32. */
const FORWARD: Tolerance = { atol: 2e-6, rtol: 1e-5 };
/**
 * Gradients: a float32 backward pass through up to five layers (batch norm's dx subtracts two per-channel means from dy,
 * losing a few bits to cancellation) against float64 ones; the gradients here are 1e-3 to 0.4 in size. Measured worst:
 * 1.5e-8 (wasm) and 4.1e-8 (WebGPU on SwiftShader) absolute, cnn grads.0.weight, under a twentieth of this allowance, which
 * leaves room for other summation orders on other GPUs.
 */
const GRADIENT: Tolerance = { atol: 5e-7, rtol: 1e-5 };
/**
 * One optimizer step from PyTorch's float32-rounded gradients: a few float32 roundings of terms of order |param| and lr
 * (Adam's first step moves each weight by about lr * sign(g)); the same allowance as the optimizer self-check rows.
 * Measured worst: 3.0e-8 absolute (one ulp of the weight, AdamW), on both backends.
 */
const OPTIMIZER: Tolerance = { atol: 1e-6, rtol: 1e-6 };

interface Fixture {
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  settings: {
    labels: number[];
    input_shape: number[];
    relu_module_indices: number[];
    parameters: string[];
    optimizers: Record<'after_sgd' | 'after_adam' | 'after_adamw', { lr: number; momentum?: number; weight_decay?: number }>;
  };
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

/**
 * Compares a tensor with a fixture tensor within `tolerance`; logs and returns the largest absolute error and the
 * largest error as a fraction of the allowance (1 = at the tolerance).
 */
async function expectClose(
  label: string,
  actual: Tensor,
  want: { shape: number[]; data: Float32Array },
  tolerance: Tolerance,
): Promise<{ maxError: number; usage: number }> {
  expect(actual.shape, `${label} shape`).toEqual(want.shape);
  const got = (await actual.read()) as Float32Array;
  let maxError = 0;
  let usage = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.data.length; i++) {
    const error = Math.abs(got[i] - want.data[i]);
    const allowed = tolerance.atol + tolerance.rtol * Math.abs(want.data[i]);
    maxError = Math.max(maxError, error);
    usage = Math.max(usage, error / allowed);
    const excess = error - allowed;
    if (!(excess <= worstExcess)) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = i;
    }
  }
  console.log(`${label}: max abs error ${maxError.toExponential(2)} (${(usage * 100).toFixed(1)}% of the tolerance)`);
  const message = `${label}[${worst}] = ${got[worst]}, expected ${want.data[worst]} (atol ${tolerance.atol}, rtol ${tolerance.rtol})`;
  expect(worst, message).toBe(-1);
  return { maxError, usage };
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

    /** Checks every tensor of `results` against the fixture tensor its key names, then disposes them all. */
    async function checkAll(model: string, f: Fixture, results: Record<string, Tensor>, tolerances: (name: string) => Tolerance) {
      try {
        for (const [name, tensor] of Object.entries(results)) {
          await expectClose(`${backend} ${model} ${name}`, tensor, expected(f, name), tolerances(name));
        }
      } finally {
        for (const t of Object.values(results)) t.dispose();
      }
    }

    const forwardOrGradient = (name: string): Tolerance => (name.startsWith('grads.') ? GRADIENT : FORWARD);

    it('mlp: activations, logits, loss and every gradient from a hand-written backward pass', async () => {
      const f = fixtures.mlp;
      const labels = Int32Array.from(expected(f, 'labels').data);
      expect(Array.from(labels)).toEqual(f.settings.labels);
      const results = engine.scope(() => {
        const linear = (x: Tensor, i: number): Tensor =>
          engine.biasAdd(engine.matmul(x, load(f, `params.${i}.weight`), { transposeB: true }), load(f, `params.${i}.bias`));
        const input = load(f, 'input');
        const pre0 = linear(input, 0);
        const h1 = engine.relu(pre0);
        const pre2 = linear(h1, 2);
        const h3 = engine.relu(pre2);
        const logits = linear(h3, 4);
        const { loss, grad } = engine.softmaxCrossEntropy(logits, labels);
        const layer4 = linearBackward(engine, h3, load(f, 'params.4.weight'), grad);
        const layer2 = linearBackward(engine, h1, load(f, 'params.2.weight'), reluBackward(engine, pre2, layer4.dx));
        const layer0 = linearBackward(engine, input, load(f, 'params.0.weight'), reluBackward(engine, pre0, layer2.dx));
        return {
          'activations.1': h1,
          'activations.3': h3,
          logits,
          loss: engine.reshape(loss, [1]),
          'grads.4.weight': layer4.dWeight,
          'grads.4.bias': layer4.dBias,
          'grads.2.weight': layer2.dWeight,
          'grads.2.bias': layer2.dBias,
          'grads.0.weight': layer0.dWeight,
          'grads.0.bias': layer0.dBias,
        };
      });
      expect(
        Object.keys(results)
          .filter((name) => name.startsWith('grads.'))
          .sort(),
      ).toEqual(f.settings.parameters.map((name) => `grads.${name}`).sort());
      await checkAll('mlp', f, results, forwardOrGradient);
    });

    it('cnn with batch norm (training): activations, logits, loss, running statistics and every gradient', async () => {
      const f = fixtures.cnn;
      const labels = Int32Array.from(expected(f, 'labels').data);
      expect(Array.from(labels)).toEqual(f.settings.labels);
      const results = engine.scope(() => {
        const x = load(f, 'input');
        const w0 = load(f, 'params.0.weight');
        const w4 = load(f, 'params.4.weight');
        const w8 = load(f, 'params.8.weight');
        const gamma = load(f, 'params.1.weight');
        const eps = 1e-5;
        // Forward: conv, batch norm (training), relu, max pool, strided conv, relu, average pool, flatten, linear.
        const c0 = engine.biasAdd(engine.conv2d(x, w0, { padding: 1 }), load(f, 'params.0.bias'));
        const bn = engine.batchNorm(c0, {
          gamma,
          beta: load(f, 'params.1.bias'),
          runningMean: load(f, 'params.1.running_mean'),
          runningVar: load(f, 'params.1.running_var'),
          training: true,
          momentum: 0.1,
          eps,
        });
        const a2 = engine.relu(bn.output);
        const p3 = engine.maxPool2d(a2, { size: 2 });
        const c4 = engine.biasAdd(engine.conv2d(p3, w4, { stride: 2, padding: 1 }), load(f, 'params.4.bias'));
        const a5 = engine.relu(c4);
        const p6 = engine.avgPool2d(a5, { size: 2 });
        const flat = engine.reshape(p6, [p6.shape[0], p6.size / p6.shape[0]]);
        const logits = engine.biasAdd(engine.matmul(flat, w8, { transposeB: true }), load(f, 'params.8.bias'));
        const { loss, grad } = engine.softmaxCrossEntropy(logits, labels);
        // Backward, layer by layer from the loss.
        const layer8 = linearBackward(engine, flat, w8, grad);
        const dp6 = engine.reshape(layer8.dx, p6.shape);
        const dc4 = reluBackward(engine, c4, engine.avgPool2dBackward(a5, dp6, { size: 2 }));
        const layer4 = conv2dBackward(engine, p3, w4, dc4, { stride: 2, padding: 1 });
        const dbn = reluBackward(engine, bn.output, engine.maxPool2dBackward(a2, layer4.dx!, { size: 2 }));
        const layer1 = batchNormBackward(engine, c0, { mean: bn.mean!, variance: bn.variance!, gamma, eps }, dbn);
        const layer0 = conv2dBackward(engine, x, w0, layer1.dx, { padding: 1, needInput: false });
        return {
          'activations.2': a2,
          'activations.5': a5,
          logits,
          loss: engine.reshape(loss, [1]),
          'after_step.1.running_mean': bn.runningMean!,
          'after_step.1.running_var': bn.runningVar!,
          'grads.8.weight': layer8.dWeight,
          'grads.8.bias': layer8.dBias,
          'grads.4.weight': layer4.dWeight,
          'grads.4.bias': layer4.dBias,
          'grads.1.weight': layer1.dGamma,
          'grads.1.bias': layer1.dBeta,
          'grads.0.weight': layer0.dWeight,
          'grads.0.bias': layer0.dBias,
        };
      });
      expect(
        Object.keys(results)
          .filter((name) => name.startsWith('grads.'))
          .sort(),
      ).toEqual(f.settings.parameters.map((name) => `grads.${name}`).sort());
      await checkAll('cnn', f, results, forwardOrGradient);
    });

    for (const model of ['mlp', 'cnn'] as const) {
      it(`${model}: one SGD (momentum), Adam and AdamW step from PyTorch's gradients`, async () => {
        const f = fixtures[model];
        const { after_sgd: sgd, after_adam: adam, after_adamw: adamw } = f.settings.optimizers;
        expect([sgd.lr, sgd.momentum, sgd.weight_decay, adam.lr, adamw.lr, adamw.weight_decay]).toEqual([0.1, 0.9, 1e-4, 1e-3, 1e-3, 1e-2]);
        const results = engine.scope(() => {
          const out: Record<string, Tensor> = {};
          for (const name of f.settings.parameters) {
            const param = load(f, `params.${name}`);
            const grad = load(f, `grads.${name}`);
            const zeros = engine.zeros(param.shape);
            const mask = engine.tensor(new Float32Array(param.size).fill(1), param.shape);
            out[`after_sgd.${name}`] = engine.sgdUpdate(param, grad, zeros, mask, {
              lr: sgd.lr,
              momentum: sgd.momentum,
              weightDecay: sgd.weight_decay,
              firstStep: true,
            }).param;
            out[`after_adam.${name}`] = engine.adamUpdate(param, grad, zeros, zeros, mask, { lr: adam.lr, step: 1 }).param;
            out[`after_adamw.${name}`] = engine.adamUpdate(param, grad, zeros, zeros, mask, {
              lr: adamw.lr,
              weightDecay: adamw.weight_decay,
              decoupled: true,
              step: 1,
            }).param;
          }
          return out;
        });
        await checkAll(model, f, results, () => OPTIMIZER);
      });
    }
  });
}
