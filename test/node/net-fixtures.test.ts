// Checks the compiled net (nn.sequential + engine.compile) against PyTorch fixtures (test/fixtures/make_fixtures.py) on
// WebAssembly and WebGPU: weights loaded with net.loadSafetensors; the loss, logits, activations and every gradient from
// net.lossAndGradients, net.predict and net.activations; and one net.trainStep with SGD (momentum, weight decay), Adam
// and AdamW: the parameters, batch-norm running statistics and num_batches_tracked after the step.
import { readFileSync } from 'node:fs';
import {
  compareArrays,
  createEngine,
  nn,
  parseSafetensors,
  serializeSafetensors,
  type BackendKind,
  type Engine,
  type OptimizerOptions,
  type Sequential,
  type Tolerance,
} from 'emergence-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Loss, logits and activations: float32 kernels against float64 results rounded to float32. */
const FORWARD: Tolerance = { atol: 2e-6, rtol: 1e-5 };
/**
 * Gradients from the compiled backward pass (the autodiff core's rules), float32 against float64; the same allowance as
 * the hand-composed backward pass in fixtures.test.ts (the gradients are 1e-3 to 0.4 in size).
 */
const GRADIENT: Tolerance = { atol: 5e-7, rtol: 1e-5 };
/**
 * Parameters after one step, from the net's own float32 gradients: SGD moves each weight by lr (0.1) times the
 * gradient, so a gradient error within GRADIENT moves it by at most 5e-8 + 1e-6 relative, under this allowance. Adam's
 * first step is lr * g / (|g| + eps) = about lr * sign(g), insensitive to the gradient's error except where |g| is
 * near eps; see adamAllowance for that term.
 */
const STEP: Tolerance = { atol: 1e-6, rtol: 1e-6 };
/** Running statistics after the step: float32 batch moments against float64. */
const RUNNING: Tolerance = FORWARD;

interface FixtureTensor {
  shape: number[];
  data: Float32Array;
}

interface FixtureSettings {
  labels: number[];
  input_shape: number[];
  parameters: string[];
  state_dict: string[];
  relu_module_indices: number[];
  optimizers: Record<OptimizerKey, { lr: number; momentum?: number; weight_decay?: number; betas?: number[]; eps?: number }>;
}

type OptimizerKey = 'after_sgd' | 'after_adam' | 'after_adamw';

interface Fixture {
  name: 'mlp' | 'cnn';
  model: () => Sequential;
  tensors: Map<string, FixtureTensor>;
  settings: FixtureSettings;
}

function loadFixture(name: Fixture['name'], model: () => Sequential): Fixture {
  const dir = new URL('../fixtures/', import.meta.url);
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(new URL(`${name}.safetensors`, dir))));
  const settings = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as FixtureSettings;
  return { name, model, tensors, settings };
}

/** The fixture models, as make_fixtures.py builds them in PyTorch. */
const fixtures: Fixture[] = [
  loadFixture('mlp', () => nn.sequential(nn.linear(20, 16), nn.relu(), nn.linear(16, 12), nn.relu(), nn.linear(12, 5))),
  loadFixture('cnn', () =>
    nn.sequential(
      nn.conv2d(2, 4, 3, { padding: 1 }),
      nn.batchNorm2d(4),
      nn.relu(),
      nn.maxPool2d(2),
      nn.conv2d(4, 6, 3, { stride: 2, padding: 1 }),
      nn.relu(),
      nn.avgPool2d(2),
      nn.flatten(),
      nn.linear(6, 3),
    ),
  ),
];

function tensor(f: Fixture, name: string): FixtureTensor {
  const t = f.tensors.get(name);
  if (!t) throw new Error(`fixture ${f.name} has no tensor '${name}'`);
  return t;
}

/** The fixture's initial state_dict ('params.<name>') as the safetensors file PyTorch's state_dict would give. */
function initialWeights(f: Fixture): Uint8Array {
  return serializeSafetensors(Object.fromEntries(f.settings.state_dict.map((name) => [name, tensor(f, `params.${name}`)])));
}

/** The engine's options for each optimizer of the fixtures, from the hyperparameters the JSON records. */
function optimizerOptions(f: Fixture, key: OptimizerKey): OptimizerOptions {
  const s = f.settings.optimizers[key];
  switch (key) {
    case 'after_sgd':
      return { name: 'sgd', lr: s.lr, momentum: s.momentum, weightDecay: s.weight_decay };
    case 'after_adam':
      return { name: 'adam', lr: s.lr, beta1: s.betas![0], beta2: s.betas![1], eps: s.eps, weightDecay: s.weight_decay };
    case 'after_adamw':
      return { name: 'adamw', lr: s.lr, beta1: s.betas![0], beta2: s.betas![1], eps: s.eps, weightDecay: s.weight_decay };
  }
}

/**
 * Adam's first step moves a weight by lr * g / (|g| + eps). Where |g| is within a few eps of 0 that ratio is sensitive
 * to the gradient's own float32 error e (bounded by GRADIENT): d/dg = lr * eps / (|g| + eps)^2, so the allowance grows by
 * lr * eps * e / (|g| + eps)^2, capped at 2 lr (the step is at most lr either way). It is negligible (< 1e-12) for
 * |g| > 1e-5 and matters for one tensor: the CNN's conv bias, which batch norm cancels, so its true gradient is 0 and
 * both PyTorch's float64 value (about 1e-17) and ours (about 1e-9) are rounding noise that Adam scales up to ±lr
 * (measured: 1.6e-4 apart).
 */
function adamAllowance(lr: number, eps: number, gradient: Float32Array): Float64Array {
  return Float64Array.from(gradient, (g) => {
    const gradientError = GRADIENT.atol + GRADIENT.rtol * Math.abs(g);
    return Math.min(2 * lr, (lr * eps * gradientError) / (Math.abs(g) + eps) ** 2);
  });
}

/** Worst figures of one comparison, for the log. */
interface Measured {
  maxError: number;
  usage: number;
}

/**
 * Compares values with a fixture tensor within tolerance (plus an optional per-element extra allowance) through the
 * engine's compareArrays; logs the largest absolute error and its share of the allowance; fails naming the worst element.
 */
function expectClose(label: string, got: Float32Array, want: FixtureTensor, tolerance: Tolerance, extra?: Float64Array): Measured {
  const result = compareArrays(got, want.data, { ...tolerance, extra }, label);
  console.log(`${label}: max abs error ${result.maxError.toExponential(2)} (${(result.largestShare * 100).toFixed(1)}% of the tolerance)`);
  expect(result.ok, result.message).toBe(true);
  return { maxError: result.maxError, usage: result.largestShare };
}

const requireWebGpu = process.env.EMERGENCE_REQUIRE_WEBGPU === '1';
const webgpuProbe = await createEngine({ backend: 'webgpu' }).catch((error: Error) => {
  if (requireWebGpu) throw error;
  console.warn(`WebGPU compiled-net fixture tests skipped: ${error.message}`);
  return undefined;
});

for (const backend of ['wasm', 'webgpu'] as BackendKind[]) {
  describe.skipIf(backend === 'webgpu' && !webgpuProbe)(`compiled nets against PyTorch fixtures on ${backend}`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = backend === 'webgpu' ? webgpuProbe! : await createEngine({ backend });
    });
    afterAll(async () => {
      await engine.dispose();
    });

    for (const f of fixtures) {
      const x = tensor(f, 'input').data;
      const labels = Int32Array.from(tensor(f, 'labels').data);
      const [batchSize, ...inputShape] = f.settings.input_shape;

      it(`${f.name}: loadSafetensors, then lossAndGradients gives PyTorch's loss and every gradient; logits and activations`, async () => {
        expect(Array.from(labels)).toEqual(f.settings.labels);
        const net = await engine.compile(f.model(), { inputShape, batchSize, loss: 'cross-entropy' });
        try {
          await net.loadSafetensors(initialWeights(f));
          const { loss, grads } = await net.lossAndGradients(x, labels);
          expectClose(`${backend} ${f.name} loss`, Float32Array.of(loss), tensor(f, 'loss'), FORWARD);
          expect(Object.keys(grads).sort()).toEqual([...f.settings.parameters].sort());
          for (const name of f.settings.parameters) {
            expectClose(`${backend} ${f.name} grads.${name}`, grads[name], tensor(f, `grads.${name}`), GRADIENT);
          }
          // The fixtures ran PyTorch in training mode: batch norm normalizes with the batch's statistics.
          const activations = await net.activations(x, { mode: 'train' });
          const logits = activations.layers.at(-1)!.output;
          expectClose(`${backend} ${f.name} logits (train mode)`, (await logits.read()) as Float32Array, tensor(f, 'logits'), FORWARD);
          for (const index of f.settings.relu_module_indices) {
            const output = (await activations.layers[index].output.read()) as Float32Array;
            expectClose(`${backend} ${f.name} activations.${index}`, output, tensor(f, `activations.${index}`), FORWARD);
          }
          if (f.name === 'mlp') {
            // Without batch norm, eval mode is the same function: predict gives the fixture's logits.
            expectClose(`${backend} ${f.name} predict`, await net.predict(x), tensor(f, 'logits'), FORWARD);
          }
          // lossAndGradients and activations in train mode leave the running statistics as they were.
          const state = await net.stateDict();
          for (const name of f.settings.state_dict) {
            expect(Array.from(state[name]), `${name} unchanged`).toEqual(Array.from(tensor(f, `params.${name}`).data));
          }
        } finally {
          await net.dispose();
        }
      });

      for (const key of ['after_sgd', 'after_adam', 'after_adamw'] as const) {
        const optimizer = optimizerOptions(f, key);
        it(`${f.name}: one trainStep with ${optimizer.name} gives PyTorch's parameters and running statistics`, async () => {
          const net = await engine.compile(f.model(), { inputShape, batchSize, loss: 'cross-entropy', optimizer });
          try {
            await net.loadSafetensors(initialWeights(f));
            const loss = await net.trainStep(x, labels);
            expectClose(`${backend} ${f.name} ${optimizer.name} step loss`, Float32Array.of(loss), tensor(f, 'loss'), FORWARD);
            const state = await net.stateDict();
            for (const name of f.settings.parameters) {
              const extra =
                optimizer.name === 'sgd' ? undefined : adamAllowance(optimizer.lr, optimizer.eps!, tensor(f, `grads.${name}`).data);
              expectClose(`${backend} ${f.name} ${key}.${name}`, state[name], tensor(f, `${key}.${name}`), STEP, extra);
            }
            for (const name of f.settings.state_dict.filter((n) => !f.settings.parameters.includes(n))) {
              expectClose(`${backend} ${f.name} after_step.${name}`, state[name], tensor(f, `after_step.${name}`), RUNNING);
            }
            // PyTorch counts the training-mode forward passes of each batch norm; the saved file carries the count.
            const saved = parseSafetensors(await net.saveSafetensors()).tensors;
            const counters = [...saved.keys()].filter((name) => name.endsWith('num_batches_tracked'));
            expect(counters).toEqual(f.name === 'cnn' ? ['1.num_batches_tracked'] : []);
            for (const name of counters) expect(Array.from(saved.get(name)!.data), name).toEqual([1]);
          } finally {
            await net.dispose();
          }
        });
      }
    }
  });
}
