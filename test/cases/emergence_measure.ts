// emergence.measure and emergence.track: active counts of hand-built nets, backends and chunks agreeing, convention, stopping.
import {
  Dataset,
  EngineError,
  Random,
  assertClose,
  compileNet,
  createEngine,
  emergence,
  nn,
  type CompileOptions,
  type Engine,
  type MeasureOptions,
  type Net,
  type Sequential,
} from 'emergence-engine';
import { expectEqual, expectRejects, expectThrows } from './expect.js';
import type { TestGroup } from './types.js';

const FEATURES = 4;
const PROBE = 8;

/** linear(4, 6) → relu → linear(6, 5) → relu → linear(5, 3): the hand-built MLP whose active nodes are known. */
function handBuiltModel(): Sequential {
  return nn.sequential(nn.linear(FEATURES, 6), nn.relu(), nn.linear(6, 5), nn.relu(), nn.linear(5, 3));
}

const options = (extra: Partial<CompileOptions> = {}): CompileOptions => ({
  inputShape: [FEATURES],
  batchSize: 4,
  loss: 'cross-entropy',
  optimizer: { name: 'sgd', lr: 0.1 },
  lossBlock: 2,
  ...extra,
});

/** Sample s is [±1 (+ on even s), 0.5, -0.5, 0.1]: input means [0, 0.5, -0.5, 0.1]. */
function handBuiltProbe(): Float32Array {
  const x = new Float32Array(PROBE * FEATURES);
  for (let s = 0; s < PROBE; s++) x.set([s % 2 === 0 ? 1 : -1, 0.5, -0.5, 0.1], s * FEATURES);
  return x;
}

/**
 * Weights that make each unit's post-ReLU values known on the probe (mean; share of samples above 0.05):
 *  layer 0: u0 = relu(x0) (0.5; 0.5), u1 = relu(x1) (0.5; 1), u2 = relu(x2) (0; 0), u3 = relu(0.2 x3) (0.02; 0),
 *           u4 = relu(0.06) (0.06; 1), u5 = relu(-x0) (0.5; 0.5)
 *  layer 2: v0 = relu(u0 - 0.5) (0.25; 0.5), v1 = relu(-1) (0; 0), v2 = relu(u1) (0.5; 1), v3 = relu(0.03) (0.03; 0),
 *           v4 = relu(u5) (0.5; 0.5)
 *  layer 4 (output, no ReLU): [1, -1, 0.01] for every sample.
 */
function handBuiltWeights(): Record<string, Float32Array> {
  const w0 = new Float32Array(6 * FEATURES);
  w0[0 * FEATURES + 0] = 1;
  w0[1 * FEATURES + 1] = 1;
  w0[2 * FEATURES + 2] = 1;
  w0[3 * FEATURES + 3] = 0.2;
  w0[5 * FEATURES + 0] = -1;
  const w2 = new Float32Array(5 * 6);
  w2[0 * 6 + 0] = 1;
  w2[2 * 6 + 1] = 1;
  w2[4 * 6 + 5] = 1;
  return {
    '0.weight': w0,
    '0.bias': Float32Array.of(0, 0, 0, 0, 0.06, 0),
    '2.weight': w2,
    '2.bias': Float32Array.of(-0.5, -1, 0, 0.03, 0),
    '4.weight': new Float32Array(3 * 5),
    '4.bias': Float32Array.of(1, -1, 0.01),
  };
}

async function withNet(engine: Engine, model: Sequential, compileOptions: CompileOptions, fn: (net: Net) => Promise<void>): Promise<void> {
  const net = await compileNet(engine, model, compileOptions);
  try {
    await fn(net);
  } finally {
    await net.dispose();
  }
}

function expectCounts(actual: { name: string; n: number; a: number }[], expected: [string, number, number][], what: string): void {
  const got = actual.map((layer) => `${layer.name}:${layer.a}/${layer.n}`).join(' ');
  const want = expected.map(([name, n, a]) => `${name}:${a}/${n}`).join(' ');
  expectEqual(got, want, `${what}: layers name:a/n`);
}

/** The per-node mean (or share above θ) of a [N, C, ...] activation computed here from values read back. */
function hostStatistic(values: Float32Array, shape: readonly number[], statistic: 'mean' | 'fraction', threshold: number): Float64Array {
  const [N, C] = shape;
  const S = values.length / (N * C);
  const limit = Math.fround(threshold);
  const out = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < S; s++) {
        const v = values[(n * C + c) * S + s];
        out[c] += statistic === 'mean' ? v : v > limit ? 1 : 0;
      }
    }
  }
  return out.map((sum) => sum / (N * S));
}

/** A seeded conv → batch norm → relu → max-pool → flatten → linear → relu → linear net on 1x6x6 images. */
function cnnModel(): Sequential {
  return nn.sequential(
    nn.conv2d(1, 4, 3, { padding: 1 }),
    nn.batchNorm2d(4),
    nn.relu(),
    nn.maxPool2d(2),
    nn.flatten(),
    nn.linear(4 * 3 * 3, 8),
    nn.relu(),
    nn.linear(8, 3),
  );
}

const cnnOptions = (): CompileOptions => options({ inputShape: [1, 6, 6], batchSize: 8, seed: 11 });

export const emergenceMeasureGroup: TestGroup = {
  name: 'emergence measure and track',
  cases: [
    {
      name: 'hand-built MLP: n, a and E per statistic and layer set match the values the weights imply',
      async run(engine) {
        await withNet(engine, handBuiltModel(), options(), async (net) => {
          await net.loadStateDict(handBuiltWeights());
          const x = handBuiltProbe();
          const hidden = await emergence.measure(net, x);
          expectCounts(
            hidden.layers,
            [
              ['0', 6, 4],
              ['2', 5, 3],
            ],
            'mean, hidden',
          );
          expectEqual(hidden.layers[0].label, '1 (relu after 0 linear)', 'label of the first layer');
          expectEqual(hidden.layers[1].index, 3, 'model layer measured for the second layer');
          expectEqual(hidden.E, 6n, 'E over hidden layers: (6 - 4) * 3');
          expectEqual(hidden.EFloat64, 6, 'E as float64');
          expectEqual(hidden.log10E, Math.log10(6), 'log10 E');
          assertClose(
            hidden.layers[0].statistic,
            Float32Array.of(0.5, 0.5, 0, 0.02, 0.06, 0.5),
            { atol: 1e-6, rtol: 1e-6 },
            'layer 0 means',
          );
          const parameters = 6 * 4 + 6 + 5 * 6 + 5 + 3 * 5 + 3;
          expectEqual(hidden.parameters.total, parameters, 'trainable parameters');
          expectEqual(hidden.parameters.unpruned, parameters, 'unpruned parameters before any mask');
          expectEqual(hidden.relative, 6 / parameters, 'relative E');

          const all = await emergence.measure(net, x, { includeInput: true, includeOutput: true });
          expectCounts(
            all.layers,
            [
              ['input', 4, 2],
              ['0', 6, 4],
              ['2', 5, 3],
              ['4', 3, 1],
            ],
            'mean, input + hidden + output',
          );
          expectEqual(all.layers[3].label, '4 (linear output, no relu)', 'output layer label');
          expectEqual(all.E, 122n, 'E over [4, 6, 5, 3] with a = [2, 4, 3, 1]');
          expectEqual(all.E, emergence.value([4, 6, 5, 3], [2, 4, 3, 1]), 'E against emergence.value');

          const strict = await emergence.measure(net, x, { statistic: 'fraction' });
          expectCounts(
            strict.layers,
            [
              ['0', 6, 2],
              ['2', 5, 1],
            ],
            'fraction > 0.5',
          );
          expectEqual(strict.E, 4n, 'E with the fraction statistic: (6 - 2) * 1');
          const loose = await emergence.measure(net, x, { statistic: 'fraction', minFraction: 0.25 });
          expectCounts(
            loose.layers,
            [
              ['0', 6, 4],
              ['2', 5, 3],
            ],
            'fraction > 0.25',
          );
          const high = await emergence.measure(net, x, { threshold: 0.3 });
          expectCounts(
            high.layers,
            [
              ['0', 6, 3],
              ['2', 5, 2],
            ],
            'mean > 0.3',
          );
        });
      },
    },
    {
      name: 'the convention names layer set, point, statistic, threshold, mode and probe size',
      async run(engine) {
        await withNet(engine, handBuiltModel(), options(), async (net) => {
          const x = handBuiltProbe();
          const { convention } = await emergence.measure(net, x);
          expectEqual(convention.layers, 'hidden', 'layer set');
          expectEqual(convention.statistic, 'mean', 'statistic');
          expectEqual(convention.threshold, 0.05, 'threshold');
          expectEqual(convention.mode, 'eval', 'mode');
          expectEqual(convention.probe, PROBE, 'probe size');
          expectEqual(convention.minFraction, undefined, 'minFraction under the mean statistic');
          for (const fragment of ['hidden layers', 'mean activation > 0.05', 'eval mode', `probe of ${PROBE} samples`]) {
            if (!convention.description.includes(fragment)) throw new Error(`description lacks '${fragment}': ${convention.description}`);
          }
          const other = await emergence.measure(net, x, {
            statistic: 'fraction',
            minFraction: 0.25,
            mode: 'train',
            includeInput: true,
            includeOutput: true,
            chunkSize: 4,
          });
          expectEqual(other.convention.layers, 'input+hidden+output', 'layer set with input and output');
          expectEqual(other.convention.minFraction, 0.25, 'minFraction');
          expectEqual(other.convention.chunkSize, 4, 'chunk size');
          for (const fragment of ['share of entries > 0.05 above 0.25', 'train mode', 'in chunks of 4']) {
            if (!other.convention.description.includes(fragment))
              throw new Error(`description lacks '${fragment}': ${other.convention.description}`);
          }
        });
      },
    },
    {
      name: 'conv net: channels are nodes, measured at the ReLU after batch norm; pruning masks lower the unpruned count',
      async run(engine) {
        await withNet(engine, cnnModel(), cnnOptions(), async (net) => {
          const x = new Random(5).uniformArray(16 * 36, -1, 1);
          const result = await emergence.measure(net, x, { includeOutput: true });
          expectEqual(
            result.layers.map((layer) => layer.label).join(' | '),
            '2 (relu after 0 conv2d) | 6 (relu after 5 linear) | 7 (linear output, no relu)',
            'measure points',
          );
          expectEqual(result.layers.map((layer) => layer.n).join(), '4,8,3', 'nodes: conv channels, units');
          // Host check: the statistic of the measured activations, read back here.
          const activations = await net.activations(x);
          for (const layer of result.layers) {
            const output = activations.layers[layer.index].output;
            const expected = hostStatistic(await output.read(), output.shape, 'mean', 0.05);
            assertClose(layer.statistic, Float32Array.from(expected), { atol: 1e-5, rtol: 1e-4 }, `statistic of ${layer.label}`);
            const active = layer.statistic.reduce((count, s) => count + (s > Math.fround(0.05) ? 1 : 0), 0);
            expectEqual(layer.a, active, `active count of ${layer.label}`);
          }
          const mask = new Float32Array(8 * 36).fill(1).fill(0, 0, 100);
          await net.setMask('5.weight', mask);
          const pruned = await emergence.measure(net, x);
          expectEqual(pruned.parameters.unpruned, pruned.parameters.total - 100, 'unpruned after masking 100 weights');
          if (!(pruned.E === 0n || pruned.relativeUnpruned > pruned.relative)) {
            throw new Error(`relative E over unpruned parameters ${pruned.relativeUnpruned} is not above ${pruned.relative}`);
          }
        });
      },
    },
    {
      name: 'a probe in chunks gives the counts and statistics of one pass, at any probe size',
      async run(engine) {
        await withNet(engine, cnnModel(), cnnOptions(), async (net) => {
          const x = new Random(9).uniformArray(24 * 36, -1, 1);
          for (const statistic of ['mean', 'fraction'] as const) {
            const settings: MeasureOptions = { statistic, includeInput: true, includeOutput: true };
            const whole = await emergence.measure(net, x, settings);
            for (const chunkSize of [8, 5]) {
              const chunked = await emergence.measure(net, x, { ...settings, chunkSize });
              expectEqual(chunked.E, whole.E, `E (${statistic}, chunks of ${chunkSize})`);
              chunked.layers.forEach((layer, i) => {
                expectEqual(layer.a, whole.layers[i].a, `a of ${layer.label} (${statistic}, chunks of ${chunkSize})`);
                assertClose(layer.statistic, whole.layers[i].statistic, { atol: 1e-6, rtol: 1e-5 }, `statistic of ${layer.label}`);
              });
            }
          }
        });
      },
    },
    {
      name: 'WebAssembly and the case backend give the same counts on the same weights and probe',
      async run(engine) {
        const wasm = await createEngine({ backend: 'wasm' });
        try {
          await withNet(engine, cnnModel(), cnnOptions(), async (net) => {
            await withNet(wasm, cnnModel(), options({ inputShape: [1, 6, 6], batchSize: 8, seed: 99 }), async (other) => {
              await other.loadStateDict(await net.stateDict());
              const x = new Random(21).uniformArray(32 * 36, -1, 1);
              for (const statistic of ['mean', 'fraction'] as const) {
                const settings: MeasureOptions = { statistic, includeInput: true, includeOutput: true };
                const [mine, theirs] = [await emergence.measure(net, x, settings), await emergence.measure(other, x, settings)];
                expectEqual(mine.E, theirs.E, `E (${statistic}) on ${engine.backend} vs wasm`);
                mine.layers.forEach((layer, i) => {
                  expectEqual(layer.a, theirs.layers[i].a, `a of ${layer.label} (${statistic})`);
                  assertClose(layer.statistic, theirs.layers[i].statistic, { atol: 1e-5, rtol: 1e-4 }, `statistic of ${layer.label}`);
                });
              }
            });
          });
        } finally {
          await wasm.dispose();
        }
      },
    },
    {
      name: 'bad probes and options are errors naming emergence.measure',
      async run(engine) {
        await withNet(engine, handBuiltModel(), options(), async (net) => {
          await expectRejects(emergence.measure(net, new Float32Array(6)), EngineError, ['emergence.measure', '6 values', '[4]']);
          await expectRejects(emergence.measure(net, handBuiltProbe(), { threshold: NaN }), EngineError, ['threshold']);
          await expectRejects(emergence.measure(net, handBuiltProbe(), { chunkSize: 0 }), EngineError, ['chunkSize']);
          await expectRejects(emergence.measure(net, handBuiltProbe(), { minFraction: 1 }), EngineError, ['minFraction']);
        });
      },
    },
    {
      name: 'the stopping rule on synthetic E sequences: zero, patience, fraction of the peak, minimum epochs',
      async run() {
        const stopAt = (values: bigint[], rule: ConstructorParameters<typeof emergence.EmergenceStopper>[0]): number => {
          const stopper = new emergence.EmergenceStopper(rule);
          for (const [i, E] of values.entries()) if (stopper.observe(i + 1, E) !== undefined) return i + 1;
          return 0;
        };
        expectEqual(stopAt([5n, 3n, 0n, 2n], {}), 3, 'stops when E reaches 0');
        expectEqual(stopAt([5n, 0n, 1n, 0n, 0n], { patience: 2 }), 5, 'zero for 2 epochs in a row');
        expectEqual(stopAt([0n, 0n, 0n], { onZero: false }), 0, 'the zero rule turned off');
        expectEqual(stopAt([0n, 0n, 0n], { minEpochs: 3 }), 3, 'not before the minimum epoch');
        expectEqual(
          stopAt([100n, 1000n, 50n, 200n, 90n, 80n], { onZero: false, belowPeakFraction: 0.1, patience: 2 }),
          6,
          'below a tenth of the peak twice',
        );
        expectEqual(stopAt([10n ** 40n, 10n ** 38n, 10n ** 41n], { belowPeakFraction: 0.05 }), 2, 'beyond float range: log10 comparison');
        const stopper = new emergence.EmergenceStopper();
        expectEqual(stopper.observe(0, 0n), undefined, 'a measurement before training never stops');
        const reason = stopper.observe(1, 0n) ?? '';
        if (!reason.includes('E reached 0')) throw new Error(`reason: '${reason}'`);
        expectThrows(() => new emergence.EmergenceStopper({ patience: 0 }), EngineError, ['patience']);
        expectThrows(() => new emergence.EmergenceStopper({ belowPeakFraction: 2 }), EngineError, ['belowPeakFraction']);
      },
    },
    {
      name: 'the tracker as fit onEpoch: rows with E, fractions, loss and accuracy, CSV and JSON; fit stops when E hits 0',
      async run(engine) {
        const count = 16;
        const random = new Random(4);
        const inputs = random.uniformArray(count * FEATURES, -1, 1);
        const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
        const dataset = new Dataset('mnist', 'train', inputs, labels, [FEATURES], ['a', 'b', 'c'], [], 'none', { mean: [0], std: [1] });
        const probe = inputs.subarray(0, 8 * FEATURES);
        // A live net with the rule off: every epoch is recorded and fit runs to the end.
        await withNet(engine, handBuiltModel(), options({ seed: 3 }), async (net) => {
          const tracker = emergence.track(net, probe, { stop: false });
          await tracker.record();
          const reports = await net.fit(dataset, { epochs: 3, validation: dataset, onEpoch: tracker.onEpoch });
          expectEqual(reports.length, 3, 'epochs run with the rule off');
          expectEqual(tracker.rows.map((row) => `${row.epoch}@${row.step}`).join(), '0@0,1@4,2@8,3@12', 'rows: epoch@step');
          const row = tracker.rows[3];
          expectEqual(row.loss, reports[2].loss, 'loss recorded');
          expectEqual(row.validationAccuracy, reports[2].validation?.accuracy, 'validation accuracy recorded');
          expectEqual(Object.keys(row.activeFraction).join(), '0,2', 'active fraction per layer');
          const csv = tracker.toCSV().trimEnd().split('\n');
          expectEqual(csv.length, 5, 'CSV lines (header + 4 rows)');
          expectEqual(
            csv[0],
            'epoch,step,E,EFloat64,log10E,relative,relativeUnpruned,loss,trainingLoss,trainingAccuracy,validationLoss,validationAccuracy,measureSeconds,active:0,active:2',
            'CSV header',
          );
          expectEqual(csv[4].split(',')[2], row.E.toString(), 'exact E in the CSV');
          const json = JSON.parse(JSON.stringify(tracker.toJSON())) as { convention: { layers: string }; rows: { E: string }[] };
          expectEqual(json.rows[3].E, row.E.toString(), 'E in JSON as a decimal string');
          expectEqual(json.convention.layers, 'hidden', 'convention in JSON');
          expectEqual(tracker.stopReason, undefined, 'no stop reason with the rule off');
        });
        // Every hidden unit dead (zero weights, negative biases): E is 0, no gradient revives them, fit stops after epoch 2.
        await withNet(engine, handBuiltModel(), options(), async (net) => {
          const dead = handBuiltWeights();
          dead['0.weight'].fill(0);
          dead['0.bias'].fill(-1);
          dead['2.bias'].fill(-1);
          await net.loadStateDict(dead);
          const tracker = emergence.track(net, probe, { stop: { minEpochs: 2 } });
          const reports = await net.fit(dataset, { epochs: 5, onEpoch: tracker.onEpoch });
          expectEqual(reports.length, 2, 'epochs run before E = 0 stopped fit');
          expectEqual(tracker.rows.map((row) => row.E).join(), '0,0', 'E per epoch');
          const reason = reports[1].stopReason ?? '';
          if (!reason.includes('E reached 0') || tracker.stopReason !== reason) {
            throw new Error(`stop reasons: report '${reason}', tracker '${String(tracker.stopReason)}'`);
          }
          expectEqual(reports[0].stopReason, undefined, 'no stop reason on earlier epochs');
        });
      },
    },
  ],
};
