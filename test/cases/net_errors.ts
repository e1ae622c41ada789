// Bad input to the compiled net that test/cases/net.ts leaves out: a loss that training itself drives to NaN, a
// non-finite batch inside fit, MSE targets, wrong array types and sizes on every entry point, and bad state files.
import {
  Dataset,
  EngineError,
  NonFiniteLossError,
  SafetensorsError,
  ShapeError,
  StateDictError,
  nn,
  serializeSafetensors,
  type CompileOptions,
  type Engine,
  type Net,
  type Sequential,
} from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';
import { expectEqual, expectRejects } from './expect.js';

const FEATURES = 4;
const CLASSES = 3;
const BATCH = 4;

const mlp = (): Sequential => nn.sequential(nn.linear(FEATURES, 8), nn.relu(), nn.linear(8, 8), nn.relu(), nn.linear(8, CLASSES));

const x = Float32Array.from({ length: BATCH * FEATURES }, (_, i) => Math.sin(i + 1));
const labels = Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES);

async function withNet(engine: Engine, options: Partial<CompileOptions>, fn: (net: Net) => Promise<void>, model = mlp()): Promise<void> {
  const net = await engine.compile(model, {
    inputShape: [FEATURES],
    batchSize: BATCH,
    loss: 'cross-entropy',
    optimizer: { name: 'sgd', lr: 0.1 },
    lossBlock: 4,
    ...options,
  });
  try {
    await fn(net);
  } finally {
    await net.dispose();
  }
}

const cases: TestCase[] = [
  {
    name: 'a learning rate that makes training diverge stops at the step whose loss is NaN, naming the layer that overflowed',
    async run(engine) {
      // SGD with lr 1e30: step 1 is finite but leaves weights of about 1e30, so layer 2 (1e30 x 1e30) overflows in step 2.
      await withNet(engine, { optimizer: { name: 'sgd', lr: 1e30 } }, async (net) => {
        const initial = await net.stateDict();
        const training = (async () => {
          for (let i = 0; i < 8; i++) await net.step(x, labels);
          await net.losses();
        })();
        const error = await expectRejects(training, NonFiniteLossError, [
          'training step 2: the loss is NaN',
          'every parameter was finite before the step',
          'layer 2 (linear) is the first whose output is non-finite',
        ]);
        expectEqual(error.step, 2, 'error.step');
        expectEqual(error.layer, '2 (linear)', 'error.layer');
        expectEqual(error.parameter, undefined, 'error.parameter');
        expectEqual(error.inputIndex, undefined, 'error.inputIndex');
        expectEqual(net.steps, 1, 'steps kept: the net is back before the failing step');
        const weight = await net.readParameter('2.weight');
        if (!weight.every(Number.isFinite) || !weight.some((w) => Math.abs(w) > 1e20)) {
          throw new Error("'2.weight' should hold step 1's finite but huge values after the rollback");
        }
        // The net keeps working: back to the initial weights with a sane learning rate, it trains.
        await net.loadStateDict(initial);
        net.setLearningRate(0.1);
        const losses = [await net.trainStep(x, labels), await net.trainStep(x, labels)];
        if (!losses.every(Number.isFinite)) throw new Error(`the steps after reloading gave ${losses.join(', ')}`);
      });
    },
  },
  {
    name: 'fit stops on a batch holding a NaN, naming the step and the index within the batch',
    async run(engine) {
      const count = 10 * BATCH;
      const inputs = Float32Array.from({ length: count * FEATURES }, (_, i) => Math.cos(i));
      inputs[21 * FEATURES + 2] = NaN; // sample 21 = batch 6 (samples 20-23) of the unshuffled epoch, value 1 * 4 + 2
      const targets = Int32Array.from({ length: count }, (_, i) => i % CLASSES);
      const statistics = { mean: [0], std: [1] };
      const dataset = new Dataset('mnist', 'train', inputs, targets, [FEATURES], ['a', 'b', 'c'], [], 'none', statistics);
      await withNet(engine, {}, async (net) => {
        const error = await expectRejects(net.fit(dataset, { epochs: 2, shuffle: false }), NonFiniteLossError, [
          'training step 6',
          'the input batch holds a non-finite value at index 6',
          'layer 0 (linear) is the first whose output is non-finite',
        ]);
        expectEqual(error.inputIndex, 6, 'error.inputIndex');
        expectEqual(net.steps, 5, 'steps kept');
      });
    },
  },
  {
    name: 'mse: targets of the wrong size and class labels out of range are ShapeErrors; labels become one-hot targets',
    async run(engine) {
      await withNet(engine, { loss: 'mse' }, async (net) => {
        await expectRejects(net.trainStep(x, new Float32Array(BATCH * CLASSES - 1)), ShapeError, [
          'step',
          'targets have 11 values',
          'expected 4 samples x [3] = 12',
        ]);
        await expectRejects(net.lossAndGradients(x, Int32Array.from([0, 1, 3, 0])), ShapeError, [
          'lossAndGradients',
          'label 3 at index 2 is out of range [0, 3)',
        ]);
        const oneHot = new Float32Array(BATCH * CLASSES);
        labels.forEach((label, i) => (oneHot[i * CLASSES + label] = 1));
        const fromLabels = await net.lossAndGradients(x, labels);
        const fromTargets = await net.lossAndGradients(x, oneHot);
        expectEqual(fromLabels.loss, fromTargets.loss, 'the loss of labels and of their one-hot targets');
        expectEqual(net.steps, 0, 'steps taken by rejected calls');
      });
    },
  },
  {
    name: 'every entry point names itself and the sizes when x has the wrong type or length',
    async run(engine) {
      await withNet(engine, {}, async (net) => {
        const short = x.subarray(2);
        await expectRejects(net.trainStep(new Float64Array(x) as unknown as Float32Array, labels), ShapeError, [
          'step',
          'x must be a Float32Array, got Float64Array',
        ]);
        await expectRejects(net.step(x, labels.subarray(1)), ShapeError, ['step', 'labels has 3 entries', 'one per sample (4)']);
        await expectRejects(net.lossAndGradients(short, labels), ShapeError, ['lossAndGradients', 'x has 14 values', '4 values each']);
        await expectRejects(net.evaluate(short, labels), ShapeError, ['evaluate', 'x has 14 values']);
        await expectRejects(net.activations(short), ShapeError, ['activations', 'x has 14 values']);
        // A JavaScript caller may leave the labels out.
        await expectRejects(net.evaluate(x, undefined as unknown as Int32Array), EngineError, [
          'evaluate',
          'labels (or targets) are required',
        ]);
        expectEqual(net.steps, 0, 'steps taken by rejected calls');
      });
      await withNet(engine, { optimizer: undefined }, async (net) => {
        await expectRejects(net.trainStep(x, labels), EngineError, ['step', 'compiled without an optimizer']);
      });
      await expectRejects(
        withNet(engine, { inputShape: [1, 2, 2] }, async () => {}),
        ShapeError,
        ['layer 0, nn.linear(4, 8)', 'add nn.flatten() before it', 'got input [1, 2, 2]'],
      );
    },
  },
  {
    name: 'state files: not safetensors, another model, a wrong length or name in loadStateDict; nothing is loaded',
    async run(engine) {
      await withNet(engine, {}, async (net) => {
        const before = await net.stateDict();
        await expectRejects(net.loadSafetensors(new Uint8Array([1, 2, 3])), SafetensorsError, ['3 bytes', 'too short']);
        // The state of a wider model (8 -> 16 hidden units): every mismatching tensor is named with both shapes.
        const wider = await engine.compile(
          nn.sequential(nn.linear(FEATURES, 16), nn.relu(), nn.linear(16, 8), nn.relu(), nn.linear(8, CLASSES)),
          {
            inputShape: [FEATURES],
            batchSize: BATCH,
            loss: 'cross-entropy',
          },
        );
        const file = await wider.saveSafetensors().finally(() => wider.dispose());
        const error = await expectRejects(net.loadSafetensors(file), StateDictError, [
          'misshapen 3 tensors',
          "'0.weight' expected [8, 4], found [16, 4]",
          "'0.bias' expected [8], found [16]",
          "'2.weight' expected [8, 8], found [8, 16]",
        ]);
        expectEqual(error.misshapen.join(), '0.weight,0.bias,2.weight', 'error.misshapen');
        await expectRejects(net.loadStateDict({ '0.weight': new Float32Array(3) }), ShapeError, [
          'loadStateDict',
          "'0.weight' needs 32 float32 values [8, 4]",
        ]);
        await expectRejects(net.loadStateDict({ '7.weight': new Float32Array(3) }), EngineError, [
          "no parameter or buffer '7.weight'",
          '0.weight, 0.bias, 2.weight, 2.bias, 4.weight, 4.bias',
        ]);
        const after = await net.stateDict();
        for (const [name, values] of Object.entries(before)) {
          if (after[name].some((v, i) => !Object.is(v, values[i]))) throw new Error(`'${name}' changed although every load was refused`);
        }
        const state = Object.fromEntries(net.parameters().map((p) => [p.name, { shape: [...p.shape], data: before[p.name] }]));
        await net.loadSafetensors(serializeSafetensors(state));
      });
    },
  },
];

export const netErrorsGroup: TestGroup = { name: 'net: bad input', cases };
