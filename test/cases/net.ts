// The compiled net: training MLPs and CNNs, ping-pong parity, losses in blocks, safetensors, masks, activations, errors.
import {
  Dataset,
  NonFiniteLossError,
  Random,
  ShapeError,
  StateDictError,
  assertClose,
  compileNet,
  nn,
  parseSafetensors,
  serializeSafetensors,
  type CompileOptions,
  type Engine,
  type Net,
  type Sequential,
  type Targets,
  type Tensor,
} from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';
import { expectBits, expectEqual, expectRejects } from './expect.js';

const BATCH = 8;
const FEATURES = 12;
const CLASSES = 3;

function mlp(): Sequential {
  return nn.sequential(nn.linear(FEATURES, 16), nn.relu(), nn.linear(16, CLASSES));
}

/** conv → batch norm → relu → max-pool → flatten → linear on 1x6x6 images. */
function cnn(): Sequential {
  return nn.sequential(
    nn.conv2d(1, 2, 3, { padding: 1 }),
    nn.batchNorm2d(2),
    nn.relu(),
    nn.maxPool2d(2),
    nn.flatten(),
    nn.linear(2 * 3 * 3, CLASSES),
  );
}

/** A fixed seeded toy batch: inputs in [-1, 1] and labels 0, 1, 2, 0, ... */
function toyBatch(features: number, seed = 1, count = BATCH): { x: Float32Array; labels: Int32Array } {
  const x = new Random(seed).uniformArray(count * features, -1, 1);
  const labels = Int32Array.from({ length: count }, (_, i) => i % CLASSES);
  return { x, labels };
}

/** Compiles nets for the test and disposes them afterwards, whatever happens. */
async function withNets(
  engine: Engine,
  specs: { model: Sequential; options: CompileOptions }[],
  fn: (...nets: Net[]) => Promise<void>,
): Promise<void> {
  const nets: Net[] = [];
  try {
    for (const { model, options } of specs) nets.push(await compileNet(engine, model, options));
    await fn(...nets);
  } finally {
    for (const net of nets) await net.dispose();
  }
}

const mlpOptions = (extra: Partial<CompileOptions> = {}): CompileOptions => ({
  inputShape: [FEATURES],
  batchSize: BATCH,
  loss: 'cross-entropy',
  optimizer: { name: 'adam', lr: 1e-2 },
  lossBlock: 4,
  ...extra,
});

const cnnOptions = (extra: Partial<CompileOptions> = {}): CompileOptions => ({
  inputShape: [1, 6, 6],
  batchSize: BATCH,
  loss: 'cross-entropy',
  optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 },
  lossBlock: 4,
  ...extra,
});

/** Runs `steps` training steps on one batch and returns their losses, read back in blocks. */
async function train(net: Net, x: Float32Array, labels: Targets, steps: number): Promise<Float32Array> {
  for (let i = 0; i < steps; i++) await net.step(x, labels);
  return net.losses();
}

function expectFalls(losses: Float32Array, factor: number, label: string): void {
  if (!losses.every(Number.isFinite)) throw new Error(`${label}: non-finite loss in ${Array.from(losses).join(', ')}`);
  const first = losses[0];
  const last = losses[losses.length - 1];
  if (!(last < first * factor)) {
    throw new Error(`${label}: the loss went from ${first} to ${last} over ${losses.length} steps, expected below ${first * factor}`);
  }
}

export const netGroup: TestGroup = {
  name: 'net',
  cases: [
    {
      name: 'an MLP trains with Adam: the loss of a seeded toy batch falls by half over 40 steps',
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES);
        await withNets(engine, [{ model: mlp(), options: mlpOptions() }], async (net) => {
          const losses = await train(net, x, labels, 40);
          expectEqual(losses.length, 40, 'losses returned');
          expectFalls(losses, 0.5, 'MLP');
          expectEqual(net.steps, 40, 'steps taken');
        });
      },
    },
    {
      name: 'a CNN with batch norm trains with SGD and momentum: the loss falls by a third over 30 steps',
      async run(engine) {
        const { x, labels } = toyBatch(36);
        await withNets(engine, [{ model: cnn(), options: cnnOptions() }], async (net) => {
          expectFalls(await train(net, x, labels, 30), 2 / 3, 'CNN');
        });
      },
    },
    {
      name: 'mean squared error: labels train as one-hot targets, identical to float targets, and the loss falls',
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES, 25);
        const oneHot = new Float32Array(BATCH * CLASSES);
        labels.forEach((label, i) => (oneHot[i * CLASSES + label] = 1));
        const options = mlpOptions({ loss: 'mse', optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 } });
        await withNets(
          engine,
          [
            { model: mlp(), options },
            { model: mlp(), options },
          ],
          async (fromLabels, fromTargets) => {
            const byLabel = await train(fromLabels, x, labels, 24);
            const byTarget = await train(fromTargets, x, oneHot, 24);
            expectBits(byLabel, byTarget, 'losses');
            expectFalls(byLabel, 0.7, 'MSE');
            await expectRejects(fromTargets.step(x, oneHot.subarray(1)), ShapeError, ['targets have 23 values', '8 samples x [3] = 24']);
            const evaluation = await fromLabels.evaluate(x, labels);
            if (evaluation.accuracy === undefined) throw new Error('evaluate with labels under mse gave no accuracy');
          },
        );
      },
    },
    {
      name: 'losses come back in order: step() and losses() in blocks give what trainStep() gives one by one',
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES);
        await withNets(
          engine,
          [
            { model: mlp(), options: mlpOptions({ lossBlock: 4 }) },
            { model: mlp(), options: mlpOptions({ lossBlock: 2 }) },
          ],
          async (a, b) => {
            const blocked = [...(await train(a, x, labels, 6)), ...(await train(a, x, labels, 5))];
            const single: number[] = [];
            for (let i = 0; i < 11; i++) single.push(await b.trainStep(x, labels));
            expectBits(Float32Array.from(blocked), Float32Array.from(single), 'losses');
            expectEqual((await a.losses()).length, 0, 'losses left after they were all taken');
          },
        );
      },
    },
    ...(
      [
        { name: 'sgd', lr: 0.2, momentum: 0.9 },
        { name: 'adam', lr: 0.01 },
        { name: 'adamw', lr: 0.01, weightDecay: 0.1 },
      ] as const
    ).map((optimizer): TestCase => ({
      name: `ping-pong parity (${optimizer.name}): 4 compiled steps equal lossAndGradients plus the eager update, step by step`,
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES, 3);
        const options = mlpOptions({ optimizer });
        await withNets(
          engine,
          [
            { model: mlp(), options },
            { model: mlp(), options },
          ],
          async (compiled, manual) => {
            // The manual net keeps the optimizer state as eager tensors and applies engine.sgdUpdate / engine.adamUpdate.
            const state = new Map<string, Tensor[]>();
            for (let step = 1; step <= 4; step++) {
              await compiled.trainStep(x, labels);
              const { grads } = await manual.lossAndGradients(x, labels);
              const params = await manual.stateDict();
              const updated: Record<string, Float32Array> = {};
              for (const [name, grad] of Object.entries(grads)) {
                const shape = [params[name].length];
                const [param, g, mask] = [
                  engine.tensor(params[name], shape),
                  engine.tensor(grad, shape),
                  engine.tensor(new Float32Array(shape[0]).fill(1), shape),
                ];
                const held = state.get(name) ?? [engine.zeros(shape), engine.zeros(shape)];
                let next: Tensor;
                if (optimizer.name === 'sgd') {
                  const result = engine.sgdUpdate(param, g, held[0], mask, {
                    lr: optimizer.lr,
                    momentum: optimizer.momentum,
                    firstStep: step === 1,
                  });
                  next = result.param;
                  state.set(name, [result.velocity]);
                } else {
                  const decoupled = optimizer.name === 'adamw';
                  const weightDecay = optimizer.name === 'adamw' ? optimizer.weightDecay : 0;
                  const result = engine.adamUpdate(param, g, held[0], held[1], mask, { lr: optimizer.lr, step, weightDecay, decoupled });
                  next = result.param;
                  state.set(name, [result.m, result.v]);
                }
                updated[name] = await next.read();
                for (const t of [param, g, mask, next, ...held]) t.dispose();
              }
              await manual.loadStateDict(updated);
              const actual = await compiled.stateDict();
              // The same kernels on the same values: identical but for the order in which the host and device round.
              for (const name of Object.keys(updated))
                assertClose(actual[name], updated[name], { atol: 1e-6, rtol: 1e-6 }, `step ${step} ${name}`);
            }
            for (const tensors of state.values()) for (const t of tensors) t.dispose();
          },
        );
      },
    })),
    {
      name: 'ping-pong parity: a net saved after an odd step count and loaded into a fresh one predicts and trains identically',
      async run(engine) {
        const { x, labels } = toyBatch(36, 5);
        const options = cnnOptions({ optimizer: { name: 'sgd', lr: 0.05 } });
        await withNets(
          engine,
          [
            { model: cnn(), options },
            { model: cnn(), options: { ...options, seed: 99 } },
          ],
          async (a, b) => {
            await train(a, x, labels, 5);
            await b.loadSafetensors(await a.saveSafetensors());
            expectBits(await b.predict(x), await a.predict(x), 'logits after load');
            // Plain SGD does not depend on the step number, so both continue the same way from the same weights.
            await train(a, x, labels, 3);
            await train(b, x, labels, 3);
            const [left, right] = [await a.stateDict(), await b.stateDict()];
            for (const name of Object.keys(left)) expectBits(right[name], left[name], `${name} after 3 more steps`);
          },
        );
      },
    },
    {
      name: 'save → load round trip is bit-identical; num_batches_tracked is written as int64 like PyTorch',
      async run(engine) {
        const { x, labels } = toyBatch(36, 7);
        await withNets(
          engine,
          [
            { model: cnn(), options: cnnOptions() },
            { model: cnn(), options: cnnOptions({ seed: 5 }) },
          ],
          async (a, b) => {
            await train(a, x, labels, 3);
            const bytes = await a.saveSafetensors();
            const file = parseSafetensors(bytes);
            const counter = file.tensors.get('1.num_batches_tracked');
            if (!counter || counter.dtype !== 'I64' || counter.shape.length !== 0 || counter.data[0] !== 3) {
              throw new Error(
                `1.num_batches_tracked: expected I64 [] holding 3, got ${JSON.stringify(counter && { ...counter, data: [...counter.data] })}`,
              );
            }
            const names = [...file.tensors.keys()].sort();
            const expectedNames = [
              '0.bias',
              '0.weight',
              '1.bias',
              '1.num_batches_tracked',
              '1.running_mean',
              '1.running_var',
              '1.weight',
              '5.bias',
              '5.weight',
            ];
            expectEqual(names.join(','), expectedNames.join(','), 'tensors in the file');
            await b.loadSafetensors(bytes);
            const again = await b.saveSafetensors();
            expectEqual(again.length, bytes.length, 'file length');
            for (let i = 0; i < bytes.length; i++) if (again[i] !== bytes[i]) throw new Error(`byte ${i} differs after the round trip`);
          },
        );
      },
    },
    {
      name: 'nothing is allocated per training step: the buffer pool is unchanged over 12 more steps',
      async run(engine) {
        const { x, labels } = toyBatch(36, 9);
        await withNets(engine, [{ model: cnn(), options: cnnOptions({ optimizer: { name: 'adam', lr: 1e-3 } }) }], async (net) => {
          await train(net, x, labels, 8);
          const warm = engine.memory();
          await train(net, x, labels, 12);
          const after = engine.memory();
          expectEqual(after.allocated, warm.allocated, 'buffers in use');
          expectEqual(after.bytes, warm.bytes, 'bytes held by the pool');
        });
      },
    },
    {
      name: 'bad input: x of the wrong length, labels out of range, non-integer or too few; the net keeps working',
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES);
        await withNets(engine, [{ model: mlp(), options: mlpOptions() }], async (net) => {
          await expectRejects(net.step(x.subarray(1), labels), ShapeError, ['step', 'x has 95 values', 'batch 8 x [12] = 96']);
          await expectRejects(net.step(x, Int32Array.from([0, 1, 3, 0, 1, 2, 0, 1])), ShapeError, [
            'label 3 at index 2',
            'out of range [0, 3)',
          ]);
          await expectRejects(net.step(x, Int32Array.from([0, 1, -1, 0, 1, 2, 0, 1])), ShapeError, ['label -1 at index 2']);
          await expectRejects(net.trainStep(x, Float32Array.from([0, 1, 2, 0.5, 1, 2, 0, 1])), ShapeError, [
            'label 0.5 at index 3',
            'not an integer',
          ]);
          await expectRejects(net.lossAndGradients(x, labels.subarray(1)), ShapeError, ['labels has 7 entries', 'one per sample (8)']);
          await expectRejects(net.predict(x.subarray(0, 13)), ShapeError, [
            'predict',
            '13 values',
            'not a whole number of samples of [12]',
          ]);
          await expectRejects(net.setMask('0.weight', new Float32Array(3)), ShapeError, ["mask of '0.weight'", '192 float32 values']);
          await expectRejects(net.readParameter('9.weight'), Error, [
            "no parameter or buffer '9.weight'",
            '0.weight, 0.bias, 2.weight, 2.bias',
          ]);
          expectEqual(net.steps, 0, 'steps taken by rejected calls');
          const loss = await net.trainStep(x, labels);
          if (!Number.isFinite(loss)) throw new Error(`trainStep after the errors gave ${loss}`);
        });
      },
    },
    {
      name: 'safetensors with missing, unexpected and misshapen tensors are refused, each named',
      async run(engine) {
        await withNets(engine, [{ model: mlp(), options: mlpOptions() }], async (net) => {
          const state = await net.stateDict();
          const tensors: Record<string, { shape: number[]; data: Float32Array }> = {
            '0.weight': { shape: [16, FEATURES], data: state['0.weight'] },
            '0.bias': { shape: [15], data: new Float32Array(15) },
            '2.weight': { shape: [CLASSES, 16], data: state['2.weight'] },
            '3.weight': { shape: [2], data: new Float32Array(2) },
          };
          const error = await expectRejects(net.loadSafetensors(serializeSafetensors(tensors)), StateDictError, [
            "missing 1 tensor: '2.bias' [3]",
            "unexpected 1 tensor: '3.weight' [2]",
            "misshapen 1 tensor: '0.bias' expected [16], found [15]",
          ]);
          expectEqual(error.missing.join(), '2.bias', 'missing');
          const after = await net.readParameter('0.weight');
          expectBits(after, state['0.weight'], '0.weight after the refused load');
        });
      },
    },
    {
      name: 'a NaN in the input stops training at its step, naming the step, the input index and the first layer; state rolls back',
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES, 11);
        const bad = x.slice();
        bad[17] = NaN;
        await withNets(
          engine,
          [
            { model: mlp(), options: mlpOptions() },
            { model: mlp(), options: mlpOptions() },
          ],
          async (net, reference) => {
            const failing = (async () => {
              for (let i = 0; i < 12; i++) await net.step(i === 6 ? bad : x, labels);
              await net.losses();
            })();
            const error = await expectRejects(failing, NonFiniteLossError, [
              'training step 7',
              'the input batch holds a non-finite value at index 17',
              'every parameter was finite before the step',
              'layer 0 (linear) is the first whose output is non-finite',
            ]);
            expectEqual(error.step, 7, 'error.step');
            expectEqual(error.layer, '0 (linear)', 'error.layer');
            expectEqual(net.steps, 6, 'steps kept after the failure');
            expectEqual((await net.losses()).length, 6, 'losses of the steps before the failure');
            await train(reference, x, labels, 6);
            for (const name of ['0.weight', '2.bias']) expectBits(await net.readParameter(name), await reference.readParameter(name), name);
            // Training goes on from there.
            const next = await net.trainStep(x, labels);
            expectEqual(next, await reference.trainStep(x, labels), 'the loss of the step after the failure');
          },
        );
      },
    },
    {
      name: 'an infinite weight is named with the first layer whose output it breaks',
      async run(engine) {
        const { x, labels } = toyBatch(36, 13);
        await withNets(engine, [{ model: cnn(), options: cnnOptions() }], async (net) => {
          await train(net, x, labels, 3);
          const weight = await net.readParameter('5.weight');
          weight[4] = Infinity;
          await net.loadStateDict({ '5.weight': weight });
          const error = await expectRejects(net.trainStep(x, labels), NonFiniteLossError, ['training step 4']);
          expectEqual(error.parameter, '5.weight', 'error.parameter');
          expectEqual(error.layer, '5 (linear)', 'error.layer');
          expectEqual(error.replayed, true, 'error.replayed');
        });
      },
    },
    {
      name: 'masks zero pruned weights at once and keep them zero through Adam steps',
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES, 15);
        await withNets(engine, [{ model: mlp(), options: mlpOptions() }], async (net) => {
          await train(net, x, labels, 2);
          const random = new Random(4);
          const mask = Float32Array.from({ length: 16 * FEATURES }, () => (random.uniform() < 0.5 ? 0 : 1));
          await net.setMask('0.weight', mask);
          const check = async (when: string): Promise<void> => {
            const weight = await net.readParameter('0.weight');
            const alive = weight.filter((_, i) => mask[i] === 1);
            mask.forEach((m, i) => {
              if (m === 0 && weight[i] !== 0) throw new Error(`${when}: pruned weight ${i} is ${weight[i]}`);
            });
            if (alive.some((w) => w === 0)) throw new Error(`${when}: a kept weight is zero`);
          };
          await check('after setMask');
          await train(net, x, labels, 9);
          await check('after 9 steps');
          expectBits(await net.readMask('0.weight'), mask, 'mask');
        });
      },
    },
    {
      name: "activations stay on the device: every layer's output, the last equal to predict, countable with activeCounts",
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES, 17, 20);
        await withNets(engine, [{ model: mlp(), options: mlpOptions() }], async (net) => {
          await train(net, x.subarray(0, BATCH * FEATURES), labels.subarray(0, BATCH), 3);
          const { input, layers } = await net.activations(x);
          expectEqual(
            layers.map((l) => `${l.label} ${l.output.shape.join('x')} ${l.hasNodes}`).join(', '),
            '0 (linear) 20x16 true, 1 (relu) 20x16 false, 2 (linear) 20x3 true',
            'layers',
          );
          expectBits(await input.read(), x, 'input');
          expectBits(await layers[2].output.read(), await net.predict(x), 'last layer against predict');
          const hidden = await layers[1].output.read();
          const counts = await engine.activeCounts(layers[1].output, { threshold: 0.05 });
          let active = 0;
          for (let j = 0; j < 16; j++) {
            let sum = 0;
            for (let i = 0; i < 20; i++) sum += hidden[i * 16 + j];
            if (sum / 20 > 0.05) active++;
          }
          expectEqual(counts.active, active, 'active nodes of layer 1');
        });
      },
    },
    {
      name: 'predict and evaluate take any number of samples (a remainder chunk) and agree with each other',
      async run(engine) {
        const count = 2 * BATCH + 3;
        const { x, labels } = toyBatch(FEATURES, 19, count);
        await withNets(engine, [{ model: mlp(), options: mlpOptions() }], async (net) => {
          await train(net, x.subarray(0, BATCH * FEATURES), labels.subarray(0, BATCH), 4);
          const logits = await net.predict(x);
          expectEqual(logits.length, count * CLASSES, 'logits');
          const single = await net.predict(x.subarray((count - 1) * FEATURES));
          // A batch of one and a chunk of three may sum in other orders on some backends.
          assertClose(single, logits.subarray((count - 1) * CLASSES), { atol: 1e-6, rtol: 1e-5 }, 'last sample alone');
          let correct = 0;
          for (let i = 0; i < count; i++) {
            const row = logits.subarray(i * CLASSES, (i + 1) * CLASSES);
            if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
          }
          const evaluation = await net.evaluate(x, labels);
          expectEqual(evaluation.count, count, 'evaluated samples');
          expectEqual(evaluation.accuracy, correct / count, 'accuracy');
          if (!(evaluation.loss > 0 && Number.isFinite(evaluation.loss))) throw new Error(`evaluation loss ${evaluation.loss}`);
        });
      },
    },
    {
      name: 'setLearningRate applies from the next step (plain SGD moves each weight by lr x gradient)',
      async run(engine) {
        const { x, labels } = toyBatch(FEATURES, 21);
        await withNets(engine, [{ model: mlp(), options: mlpOptions({ optimizer: { name: 'sgd', lr: 0.5 } }) }], async (net) => {
          await net.trainStep(x, labels);
          net.setLearningRate(0.01);
          const before = await net.readParameter('2.bias');
          const { grads } = await net.lossAndGradients(x, labels);
          await net.trainStep(x, labels);
          const after = await net.readParameter('2.bias');
          assertClose(
            after,
            before.map((b, i) => b - 0.01 * grads['2.bias'][i]),
            { atol: 1e-7, rtol: 1e-6 },
            '2.bias',
          );
          let threw = false;
          try {
            net.setLearningRate(-1);
          } catch {
            threw = true;
          }
          if (!threw) throw new Error('setLearningRate(-1) was accepted');
        });
      },
    },
    {
      name: 'fit trains over epochs of a Dataset, drops the last partial batch and reports loss, speed and validation accuracy',
      async run(engine) {
        const count = 3 * BATCH + 5;
        const random = new Random(23);
        const labels = Int32Array.from({ length: count }, () => random.int(CLASSES));
        // Separable classes: the label's feature is raised.
        const inputs = random.uniformArray(count * FEATURES, -0.5, 0.5);
        labels.forEach((label, i) => (inputs[i * FEATURES + label] += 1.5));
        const statistics = { mean: [0], std: [1] };
        const dataset = new Dataset('mnist', 'train', inputs, labels, [FEATURES], ['a', 'b', 'c'], [], 'none', statistics);
        await withNets(engine, [{ model: mlp(), options: mlpOptions() }], async (net) => {
          let stepCalls = 0;
          const epochs: number[] = [];
          const reports = await net.fit(dataset, {
            epochs: 4,
            seed: 1,
            validation: dataset,
            evaluateTraining: true,
            onStep: () => stepCalls++,
            onEpoch: (report) => void epochs.push(report.epoch),
          });
          expectEqual(epochs.join(), '1,2,3,4', 'onEpoch calls');
          expectEqual(stepCalls, 12, 'onStep calls');
          expectEqual(net.steps, 12, 'steps');
          for (const report of reports) {
            expectEqual(report.steps, 3, 'steps per epoch');
            expectEqual(report.samples, 3 * BATCH, 'samples per epoch');
            expectEqual(report.losses.length, 3, 'losses per epoch');
            if (!(report.samplesPerSecond > 0)) throw new Error(`samplesPerSecond ${report.samplesPerSecond}`);
          }
          if (!(reports[3].loss < reports[0].loss)) throw new Error(`epoch losses ${reports.map((r) => r.loss).join(', ')} did not fall`);
          const accuracy = reports[3].validation?.accuracy ?? 0;
          if (!(accuracy >= 0.8)) throw new Error(`validation accuracy after 4 epochs: ${accuracy}`);
          expectEqual(reports[3].validation?.count, count, 'validation samples (the partial batch included)');
          // The training set is the validation set here, evaluated the same way: the same figures.
          expectEqual(reports[3].training?.accuracy, reports[3].validation?.accuracy, 'training accuracy (evaluateTraining)');
          expectEqual(reports[3].training?.loss, reports[3].validation?.loss, 'training loss (evaluateTraining)');
        });
      },
    },
  ],
};
