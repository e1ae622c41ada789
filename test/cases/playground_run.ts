// playground.run, the live training run behind the playground page: event order and counts, E from the reported counts,
// pruning, determinism, early stops and bad settings, on every backend and runtime (synthetic 8x8 "images").
import {
  Dataset,
  EngineError,
  Random,
  emergence,
  playground,
  type Engine,
  type PlaygroundEvent,
  type PlaygroundHistory,
  type PlaygroundSettings,
} from 'emergence-engine';
import { expectEqual, expectRejects, expectThrows } from './expect.js';
import type { TestGroup } from './types.js';

const SIDE = 8;
const FEATURES = SIDE * SIDE;
const CLASSES = 10;
const TRAIN = 16 * 32 + 5;
const TEST = 200;

/** Learnable synthetic 1x8x8 images: class c raises pixels c and c + 10 by 2 (over uniform noise in [0, 0.6)). */
function synthetic(split: 'train' | 'test', count: number, seed: number): Dataset {
  const random = new Random(seed);
  const labels = Int32Array.from({ length: count }, () => random.int(CLASSES));
  const inputs = random.uniformArray(count * FEATURES, 0, 0.6);
  labels.forEach((label, i) => {
    inputs[i * FEATURES + label] += 2;
    inputs[i * FEATURES + label + 10] += 2;
  });
  const classes = Array.from({ length: CLASSES }, (_, c) => String(c));
  return new Dataset('mnist', split, inputs, labels, [1, SIDE, SIDE], classes, [], 'none', { mean: [0], std: [1] });
}

const data = { train: synthetic('train', TRAIN, 3), test: synthetic('test', TEST, 4) };

/** 16 steps per epoch (5 samples dropped), 2 epochs, E every 8 steps, half the weights pruned before step 17. */
const SETTINGS: Partial<PlaygroundSettings> = {
  hidden: [16, 12],
  batchSize: 32,
  epochs: 2,
  lr: 2e-2,
  probe: 100,
  measureEvery: 8,
  pruneFraction: 0.5,
  pruneAt: 0.5,
  seed: 5,
};

async function record(engine: Engine, settings: Partial<PlaygroundSettings>, signal?: AbortSignal) {
  const events: PlaygroundEvent[] = [];
  const history = await playground.run(engine, settings, data, { onEvent: (event) => events.push(event), signal });
  return { events, history };
}

/** The history without wall-clock fields, for comparing two runs. */
function timeless(history: PlaygroundHistory): string {
  return JSON.stringify(history, (key, value) =>
    key === 'seconds' || key === 'samplesPerSecond' || key === 'description' ? undefined : value,
  );
}

export const playgroundRunGroup: TestGroup = {
  name: 'playground.run',
  cases: [
    {
      name: 'events come in order with consistent steps, E from the reported counts, and pruning at the planned step',
      async run(engine) {
        const { events, history } = await record(engine, SETTINGS);
        const kinds = events.filter((event) => event.type !== 'losses').map((event) => `${event.type}@${'step' in event ? event.step : 0}`);
        const expected = [
          'start@0',
          'measure@0',
          'measure@8',
          'measure@16',
          'epoch@16',
          'prune@16',
          'measure@16',
          'measure@24',
          'epoch@32',
          'measure@32',
          'done@32',
        ];
        expectEqual(kinds.join(' '), expected.join(' '), 'event sequence (losses left out)');
        const start = history.start;
        expectEqual(start.backend, engine.backend, 'start.backend');
        expectEqual(start.stepsPerEpoch, 16, 'steps per epoch');
        expectEqual(start.steps, 32, 'planned steps');
        expectEqual(start.pruneStep, 16, 'prune step');
        expectEqual(start.parameters, 64 * 16 + 16 + 16 * 12 + 12 + 12 * 10 + 10, 'trainable parameters');
        expectEqual(start.layers.map((layer) => `${layer.name}:${layer.n}`).join(' '), '1:16 3:12', 'measured layers');
        // Loss blocks cover steps 1..32 once each, in order.
        let next = 1;
        for (const event of events) {
          if (event.type !== 'losses') continue;
          expectEqual(event.firstStep, next, 'first step of a loss block');
          next += event.losses.length;
        }
        expectEqual(history.losses.length, 32, 'losses recorded');
        if (!history.losses.every(Number.isFinite)) throw new Error(`non-finite loss: ${history.losses.join(', ')}`);
        for (const measure of history.measures) {
          const n = measure.layers.map((layer) => layer.n);
          const a = measure.layers.map((layer) => layer.a);
          expectEqual(measure.E, emergence.value(n, a).toString(), `E at step ${measure.step}`);
          for (const layer of measure.layers) {
            const counted = layer.statistic.filter((value) => value > playground.defaultSettings.threshold).length;
            expectEqual(layer.a, counted, `step ${measure.step} layer ${layer.name}: a vs statistics above θ`);
            expectEqual(layer.statistic.length, layer.n, `step ${measure.step} layer ${layer.name}: statistics`);
          }
        }
        const [prune] = history.prunes;
        const weights = 64 * 16 + 16 * 12 + 12 * 10;
        expectEqual(prune.pruned, weights / 2, 'weights pruned');
        expectEqual(prune.unpruned, start.parameters - weights / 2, 'unpruned parameters');
        const afterPrune = history.measures[3];
        const relativeUnpruned = Number(BigInt(afterPrune.E)) / prune.unpruned;
        if (Math.abs(afterPrune.relativeUnpruned - relativeUnpruned) > 1e-12 * Math.max(1, relativeUnpruned)) {
          throw new Error(`relative E over unpruned parameters ${afterPrune.relativeUnpruned}, expected ${relativeUnpruned}`);
        }
        expectEqual(history.epochs.length, 2, 'epoch reports');
        expectEqual(history.done.reason, 'finished', 'done.reason');
        expectEqual(history.done.testAccuracy, history.epochs[1].testAccuracy, 'final accuracy = last epoch accuracy');
        const first = history.measures[0].probeAccuracy;
        const last = history.measures.at(-1)!.probeAccuracy;
        if (!(last > first + 0.2 && last > 0.5)) throw new Error(`the run did not learn: probe accuracy ${first} -> ${last}`);
      },
    },
    {
      name: 'the same settings and seed give the same history; another seed another one',
      async run(engine) {
        const settings = { ...SETTINGS, epochs: 1 };
        const [a, b, c] = [await record(engine, settings), await record(engine, settings), await record(engine, { ...settings, seed: 6 })];
        expectEqual(timeless(a.history), timeless(b.history), 'two runs with seed 5');
        if (timeless(a.history) === timeless(c.history)) throw new Error('seeds 5 and 6 gave the same history');
      },
    },
    {
      name: 'maxSteps ends the run early, an aborted signal stops it, the emergence init scales the first layer',
      async run(engine) {
        const short = await record(engine, { ...SETTINGS, pruneFraction: 0, maxSteps: 10 });
        expectEqual(short.history.done.reason, 'max-steps', 'reason with maxSteps');
        expectEqual(short.history.losses.length, 10, 'steps with maxSteps 10');
        expectEqual(short.history.measures.map((m) => m.step).join(','), '0,8,10', 'measured steps');
        const pruneLast = await record(engine, { ...SETTINGS, pruneAt: 1, maxSteps: 10 });
        const order = pruneLast.events
          .filter((event) => event.type === 'prune' || event.type === 'measure')
          .map((event) => `${event.type}@${event.step}`);
        expectEqual(order.join(' '), 'measure@0 measure@8 prune@10 measure@10', 'pruning after the last step, measured once after');
        const controller = new AbortController();
        controller.abort();
        const stopped = await record(engine, { ...SETTINGS }, controller.signal);
        expectEqual(stopped.history.done.reason, 'stopped', 'reason when aborted');
        expectEqual(stopped.history.losses.length, 0, 'steps when aborted before the first');
        // Eq. 8 with 3 weight layers: exponents -1, 0, 1, so the first layer's weights are divided by alpha; its biases
        // (PyTorch's default, not zero) stay, so its summed statistic must drop, though not exactly by alpha.
        const base = { ...SETTINGS, pruneFraction: 0, maxSteps: 1 };
        const kaiming = await record(engine, base);
        const scaled = await record(engine, { ...base, init: 'emergence', alpha: 4 });
        const sum = (h: PlaygroundHistory, layer: number) => h.measures[0].layers[layer].statistic.reduce((s, v) => s + v, 0);
        if (!(sum(scaled.history, 0) < sum(kaiming.history, 0))) {
          throw new Error(`emergence init did not shrink the first layer: ${sum(scaled.history, 0)} vs ${sum(kaiming.history, 0)}`);
        }
      },
    },
    {
      name: 'bad settings and data are refused naming the setting',
      async run(engine) {
        expectThrows(() => playground.resolveSettings({ threshold: -1 }), EngineError, ['threshold', '-1']);
        expectThrows(() => playground.resolveSettings({ hidden: [] }), EngineError, ['hidden']);
        expectThrows(() => playground.resolveSettings({ dataset: 'imagenet' as never }), EngineError, [
          "dataset must be one of 'mnist'",
          'imagenet',
        ]);
        expectThrows(() => playground.resolveSettings({ lr_: 1 } as never), EngineError, ["unknown setting 'lr_'"]);
        expectThrows(() => playground.settingsFromQuery('epochs=two'), EngineError, ['epochs', 'NaN']);
        const query = playground.settingsToQuery(playground.resolveSettings({ hidden: [32, 16], init: 'emergence', alpha: 3 }));
        expectEqual(query, 'hidden=32%2C16&init=emergence&alpha=3', 'settings as a query');
        expectEqual(JSON.stringify(playground.settingsFromQuery(query).hidden), '[32,16]', 'hidden from the query');
        await expectRejects(playground.run(engine, { ...SETTINGS, dataset: 'cifar10' }, data), EngineError, ["'cifar10'", "'mnist'"]);
        await expectRejects(playground.run(engine, { ...SETTINGS, batchSize: 4096 }, data), EngineError, ['fewer than one batch of 4096']);
      },
    },
  ],
};
