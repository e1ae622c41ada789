// Training checkpoints: 1 epoch + saveCheckpoint + loadCheckpoint into a fresh net + fit({ initialEpoch }) equals 2 epochs straight, bit for bit.
import {
  CheckpointError,
  Dataset,
  EngineError,
  Random,
  StateDictError,
  compileNet,
  nn,
  parseSafetensors,
  type CompileOptions,
  type Engine,
  type EpochReport,
  type FitOptions,
  type Net,
  type Sequential,
} from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';
import { expectBits, expectEqual, expectRejects } from './expect.js';

const BATCH = 8;
const FEATURES = 6;
const CLASSES = 3;
/** 5 batches per epoch (and 3 samples dropped): with a loss block of 4, epoch 1 ends mid-block at an odd step count. */
const SAMPLES = 5 * BATCH + 3;
const FIT_SEED = 7;

function mlp(hidden = 8): Sequential {
  return nn.sequential(nn.linear(FEATURES, hidden), nn.relu(), nn.linear(hidden, CLASSES));
}

function mlpWithBatchNorm(): Sequential {
  return nn.sequential(nn.linear(FEATURES, 8), nn.batchNorm1d(8), nn.relu(), nn.linear(8, CLASSES));
}

/** A seeded toy classification set: the label's feature is raised. */
function toyDataset(): Dataset {
  const random = new Random(31);
  const labels = Int32Array.from({ length: SAMPLES }, () => random.int(CLASSES));
  const inputs = random.uniformArray(SAMPLES * FEATURES, -0.5, 0.5);
  labels.forEach((label, i) => (inputs[i * FEATURES + label] += 1));
  return new Dataset('mnist', 'train', inputs, labels, [FEATURES], ['a', 'b', 'c'], [], 'none', { mean: [0], std: [1] });
}

function options(optimizer: CompileOptions['optimizer'], seed: number): CompileOptions {
  return { inputShape: [FEATURES], batchSize: BATCH, loss: 'cross-entropy', optimizer, lossBlock: 4, seed };
}

/** Compiles nets, runs `fn`, and disposes them whatever happens. */
async function withNets(nets: Promise<Net>[], fn: (...nets: Net[]) => Promise<void>): Promise<void> {
  const ready = await Promise.allSettled(nets);
  try {
    for (const result of ready) if (result.status === 'rejected') throw result.reason;
    await fn(...ready.map((result) => (result as PromiseFulfilledResult<Net>).value));
  } finally {
    for (const result of ready) if (result.status === 'fulfilled') await result.value.dispose();
  }
}

/** Two checkpoints hold the same metadata and the same tensors, bit for bit; names the first difference. */
function expectSameCheckpoint(actual: Uint8Array, expected: Uint8Array, label: string): void {
  const a = parseSafetensors(actual);
  const e = parseSafetensors(expected);
  expectEqual(JSON.stringify(a.metadata), JSON.stringify(e.metadata), `${label}: metadata`);
  expectEqual([...a.tensors.keys()].join(), [...e.tensors.keys()].join(), `${label}: tensor names`);
  for (const [name, tensor] of e.tensors) expectBits(a.tensors.get(name)!.data, tensor.data, `${label}: '${name}'`);
  expectEqual(actual.length, expected.length, `${label}: bytes`);
  if (!actual.every((byte, i) => byte === expected[i])) throw new Error(`${label}: the files differ byte by byte`);
}

async function expectSameState(actual: Net, expected: Net, label: string): Promise<void> {
  const [a, e] = await Promise.all([actual.stateDict(), expected.stateDict()]);
  for (const [name, values] of Object.entries(e)) expectBits(a[name], values, `${label}: '${name}'`);
}

interface ResumeSetup {
  model: () => Sequential;
  optimizer: CompileOptions['optimizer'];
  /** Run on each net that trains from the start (straight and first half), after compiling: e.g. pruning. */
  prepare?: (net: Net) => Promise<void>;
  /** Passed to every fit: e.g. a learning-rate change after epoch 1. */
  fit?: (net: Net) => Partial<FitOptions>;
  /** Checks on the resumed net once it finished. */
  check?: (resumed: Net) => Promise<void>;
}

/**
 * Trains 2 epochs straight (seed 1), and 1 epoch (seed 1) + checkpoint + a fresh net with other initial weights (seed 2)
 * that loads it + fit({ epochs: 2, initialEpoch: 1 }); the epoch losses, the parameters and the final checkpoints
 * (optimizer state, masks, counters, steps, learning rates) must be bit-identical.
 */
async function expectResumeMatches(engine: Engine, setup: ResumeSetup): Promise<void> {
  const dataset = toyDataset();
  const compile = (seed: number): Promise<Net> => compileNet(engine, setup.model(), options(setup.optimizer, seed));
  await withNets([compile(1), compile(1), compile(2)], async (straight, first, resumed) => {
    const fitOptions = (net: Net): FitOptions => ({ seed: FIT_SEED, ...setup.fit?.(net) });
    for (const net of [straight, first]) await setup.prepare?.(net);
    const whole = await straight.fit(dataset, { ...fitOptions(straight), epochs: 2 });
    const firstHalf = await first.fit(dataset, { ...fitOptions(first), epochs: 1 });
    expectBits(firstHalf[0].losses, whole[0].losses, 'epoch 1 losses');
    const checkpoint = await first.saveCheckpoint();

    // The fresh net starts elsewhere, so the comparison below shows the load replaced its weights.
    const before = await resumed.readParameter('0.weight');
    const firstWeights = await first.readParameter('0.weight');
    if (before.every((v, i) => v === firstWeights[i])) throw new Error('the nets compiled with seeds 1 and 2 have the same weights');
    await resumed.loadCheckpoint(checkpoint);
    expectEqual(resumed.steps, first.steps, 'steps after loading');
    await expectSameState(resumed, first, 'state after loading');
    expectSameCheckpoint(await resumed.saveCheckpoint(), checkpoint, 'checkpoint saved again right after loading');

    const secondHalf: EpochReport[] = await resumed.fit(dataset, { ...fitOptions(resumed), epochs: 2, initialEpoch: 1 });
    expectEqual(secondHalf.map((r) => r.epoch).join(), '2', 'epochs reported after resuming');
    expectBits(secondHalf[0].losses, whole[1].losses, 'epoch 2 losses');
    expectEqual(secondHalf[0].loss, whole[1].loss, 'epoch 2 mean loss');
    await expectSameState(resumed, straight, 'parameters after epoch 2');
    expectSameCheckpoint(await resumed.saveCheckpoint(), await straight.saveCheckpoint(), 'checkpoints after epoch 2');
    await setup.check?.(resumed);
  });
}

/** Prunes every third weight of the first layer. */
async function pruneFirstLayer(net: Net): Promise<void> {
  const mask = Float32Array.from({ length: 8 * FEATURES }, (_, i) => (i % 3 === 0 ? 0 : 1));
  await net.setMask('0.weight', mask);
}

const resumeCases: TestCase[] = [
  {
    name: 'SGD with momentum, weight decay, two groups and a learning-rate change after epoch 1: resumed = straight, bit for bit',
    async run(engine) {
      await expectResumeMatches(engine, {
        model: () => mlp(),
        optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3, groups: [{ params: ['0.weight', '0.bias'], lr: 0.05 }] },
        // The new rate of the default group is part of the checkpoint: the resumed net was compiled with 0.1.
        fit: (net) => ({ onEpoch: (report) => void (report.epoch === 1 && net.setLearningRate(0.02, 1)) }),
        async check(resumed) {
          expectEqual(resumed.optimizerGroups.map((g) => g.lr).join(), '0.05,0.02', 'learning rates after resuming');
        },
      });
    },
  },
  {
    name: 'Adam (its step count drives the bias correction): resumed = straight, bit for bit',
    async run(engine) {
      await expectResumeMatches(engine, { model: () => mlp(), optimizer: { name: 'adam', lr: 0.01 } });
    },
  },
  {
    name: 'AdamW with weight decay: resumed = straight, bit for bit',
    async run(engine) {
      await expectResumeMatches(engine, { model: () => mlp(), optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.1 } });
    },
  },
  {
    name: 'batch norm: running statistics and num_batches_tracked resume, and the resumed net = straight, bit for bit',
    async run(engine) {
      await expectResumeMatches(engine, {
        model: mlpWithBatchNorm,
        optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 },
        async check(resumed) {
          const file = parseSafetensors(await resumed.saveCheckpoint());
          expectEqual(file.tensors.get('1.num_batches_tracked')?.data[0], 10, 'num_batches_tracked after 2 epochs of 5 steps');
          const runningVar = await resumed.readParameter('1.running_var');
          if (runningVar.every((v) => v === 1)) throw new Error('the running variance never moved from its initial ones');
        },
      });
    },
  },
  {
    name: 'a pruned net: the masks come with the checkpoint and pruned weights stay exactly zero after resuming',
    async run(engine) {
      await expectResumeMatches(engine, {
        model: () => mlp(),
        optimizer: { name: 'adam', lr: 0.01 },
        prepare: pruneFirstLayer,
        async check(resumed) {
          const mask = await resumed.readMask('0.weight');
          const weights = await resumed.readParameter('0.weight');
          expectEqual(mask.filter((m) => m === 0).length, 16, 'pruned weights in the restored mask');
          mask.forEach((m, i) => {
            if (m === 0 && weights[i] !== 0) throw new Error(`pruned weight 0.weight[${i}] is ${weights[i]} after resuming`);
          });
        },
      });
    },
  },
];

const errorCases: TestCase[] = [
  {
    name: 'loading refuses another model, another optimizer, truncated bytes and a plain safetensors file, and changes nothing',
    async run(engine) {
      const dataset = toyDataset();
      const adam = { name: 'adam', lr: 0.01 } as const;
      await withNets(
        [
          compileNet(engine, mlp(), options(adam, 1)),
          compileNet(engine, mlp(10), options(adam, 1)),
          compileNet(engine, mlpWithBatchNorm(), options(adam, 1)),
          compileNet(engine, mlp(), options({ name: 'sgd', lr: 0.01, momentum: 0.9 }, 1)),
          compileNet(engine, mlp(), options({ name: 'adam', lr: 0.01, beta1: 0.8 }, 1)),
        ],
        async (source, wider, withBatchNorm, sgd, otherBetas) => {
          await source.fit(dataset, { epochs: 1, seed: FIT_SEED });
          const checkpoint = await source.saveCheckpoint();
          const target = await compileNet(engine, mlp(), options(adam, 2));
          try {
            await target.step(dataset.inputs.subarray(0, BATCH * FEATURES), dataset.labels.subarray(0, BATCH));
            const stateBefore = await target.stateDict();
            const saved = await target.saveCheckpoint();

            await expectRejects(wider.loadCheckpoint(checkpoint), StateDictError, [
              "'0.weight' expected [10, 6], found [8, 6]",
              "'optimizer.0.weight.exp_avg' expected [10, 6], found [8, 6]",
              "'mask.0.weight' expected [10, 6], found [8, 6]",
            ]);
            await expectRejects(withBatchNorm.loadCheckpoint(checkpoint), StateDictError, [
              "missing 19 tensors: '1.weight' [8]",
              "'1.num_batches_tracked' []",
              "unexpected 8 tensors: '2.bias' [3]",
            ]);
            await expectRejects(sgd.loadCheckpoint(checkpoint), CheckpointError, ['saved with optimizer "adam"', "compiled with 'sgd'"]);
            await expectRejects(otherBetas.loadCheckpoint(checkpoint), CheckpointError, [
              'group 0 beta1 is 0.9 in the checkpoint, 0.8 in the net',
            ]);
            await expectRejects(target.loadCheckpoint(checkpoint.subarray(0, checkpoint.length - 7)), CheckpointError, [
              'not a readable checkpoint',
              'run past the end',
            ]);
            await expectRejects(target.loadCheckpoint(checkpoint.subarray(0, 100)), CheckpointError, [
              'not a readable checkpoint',
              'truncated file?',
            ]);
            await expectRejects(target.loadCheckpoint(await source.saveSafetensors()), CheckpointError, [
              "expected a checkpoint with format 'emergence-engine/checkpoint'",
              'no format tag',
            ]);

            // Nothing was loaded anywhere: the target keeps its state, its step and its optimizer state.
            expectEqual(target.steps, 1, 'target steps after the refused loads');
            const stateAfter = await target.stateDict();
            for (const [name, values] of Object.entries(stateBefore)) expectBits(stateAfter[name], values, `target '${name}'`);
            expectSameCheckpoint(await target.saveCheckpoint(), saved, 'target checkpoint after the refused loads');
            expectEqual(wider.steps + withBatchNorm.steps + sgd.steps + otherBetas.steps, 0, 'steps of the refusing nets');
          } finally {
            await target.dispose();
          }
        },
      );
    },
  },
  {
    name: 'losses queued before a load are dropped: the next losses() holds only steps taken after it',
    async run(engine) {
      const dataset = toyDataset();
      const x = dataset.inputs.subarray(0, BATCH * FEATURES);
      const labels = dataset.labels.subarray(0, BATCH);
      await withNets([compileNet(engine, mlp(), options({ name: 'adam', lr: 0.01 }, 1))], async (net) => {
        for (let i = 0; i < 3; i++) await net.step(x, labels);
        const checkpoint = await net.saveCheckpoint();
        expectEqual((await net.losses()).length, 3, 'losses kept for the caller by saveCheckpoint');
        for (let i = 0; i < 6; i++) await net.step(x, labels);
        await net.loadCheckpoint(checkpoint);
        expectEqual(net.steps, 3, 'steps after loading');
        expectEqual((await net.losses()).length, 0, 'losses right after loading (6 steps were taken before it)');
        const reference = await net.trainStep(x, labels);
        await net.loadCheckpoint(checkpoint);
        await net.step(x, labels);
        const losses = await net.losses();
        expectEqual(losses.length, 1, 'losses after the load and one step');
        expectEqual(losses[0], reference, 'the step after the load, taken twice');
      });
    },
  },
  {
    name: 'fit checks initialEpoch: an integer >= 0 and <= epochs; epochs = initialEpoch trains nothing',
    async run(engine) {
      const dataset = toyDataset();
      await withNets([compileNet(engine, mlp(), options({ name: 'adam', lr: 0.01 }, 1))], async (net) => {
        await expectRejects(net.fit(dataset, { epochs: 1, initialEpoch: 2 }), EngineError, ['epochs (1)', 'must be >= initialEpoch (2']);
        await expectRejects(net.fit(dataset, { epochs: 3, initialEpoch: 1.5 }), EngineError, [
          'initialEpoch must be a non-negative integer',
          '1.5',
        ]);
        await expectRejects(net.fit(dataset, { epochs: 3, initialEpoch: -1 }), EngineError, [
          'initialEpoch must be a non-negative integer',
        ]);
        expectEqual((await net.fit(dataset, { epochs: 2, initialEpoch: 2 })).length, 0, 'reports of fit({ epochs: 2, initialEpoch: 2 })');
        const steps: string[] = [];
        const reports = await net.fit(dataset, { epochs: 4, initialEpoch: 2, onStep: (p) => void steps.push(`${p.epoch}.${p.batch}`) });
        expectEqual(reports.map((r) => r.epoch).join(), '3,4', 'epochs reported');
        expectEqual(steps[0], '3.0', 'first onStep');
        expectEqual(net.steps, 10, 'steps of epochs 3 and 4');
      });
    },
  },
];

export const checkpointResumeGroup: TestGroup = { name: 'checkpoint_resume', cases: [...resumeCases, ...errorCases] };
