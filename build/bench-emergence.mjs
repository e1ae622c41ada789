// Benchmark: the cost of emergence.measure on a 1024-sample probe against one training epoch of the same model.
//
// Usage: npm run bench:emergence -- [--quick] [--backend wasm|webgpu|auto] [--out FILE]
// stdout carries one JSON document; progress goes to stderr. The model is the issue-3 MLP (784-512-512-512-10, ReLU,
// Adam 1e-3, batch 128, Kaiming-normal init) on seeded synthetic data of MNIST's shape (60000 training samples, pixels
// uniform in [0, 1); the timings do not depend on the values). The epoch is a real net.fit epoch over all 60000 samples
// (468 steps of 128; the last partial batch dropped, as fit does), timed by fit itself (losses read back included).
// The measurement is emergence.measure(net, probe) with its defaults (hidden layers, mean > 0.05, eval mode, the whole
// probe in one pass, masks read back for the unpruned count): the first call (which builds the activations program
// for the probe's batch size) and the median of the warm calls after it are reported separately.
import { rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { REFERENCE_INPUT_SHAPE, median, referenceModel, seededUniform } from './reference.mjs';

const USAGE = `usage: node build/bench-emergence.mjs [--quick] [--backend wasm|webgpu|auto] [--out FILE]
  --quick          a 1/8 epoch (scaled to a full one, and said so) and fewer measurements
  --backend NAME   the engine's backend; default wasm
  --out FILE       also write the JSON document to FILE`;

const BATCH = 128;
const TRAIN_SAMPLES = 60000;
const PROBE = 1024;
const FEATURES = 784;
const CLASSES = 10;
const SEED = 20240601;

function parseArgs(argv) {
  const options = { quick: false, backend: 'wasm', out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--backend') {
      options.backend = argv[++i];
      if (!['wasm', 'webgpu', 'auto'].includes(options.backend))
        throw new Error(`bench-emergence: --backend takes wasm, webgpu or auto\n${USAGE}`);
    } else if (arg === '--out') {
      options.out = argv[++i];
      if (!options.out) throw new Error(`bench-emergence: --out needs a file name\n${USAGE}`);
    } else if (arg === '--help' || arg === '-h') {
      console.error(USAGE);
      process.exit(0);
    } else throw new Error(`bench-emergence: unknown option '${arg}'\n${USAGE}`);
  }
  return options;
}

const log = (message) => process.stderr.write(`${message}\n`);
const now = () => performance.now();
const round = (value, digits = 4) => Number(value.toFixed(digits));

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const { createEngine, emergence, Dataset } = await import('./dist/index.js');
  const next = seededUniform(SEED);
  const trainSamples = options.quick ? Math.floor(TRAIN_SAMPLES / 8 / BATCH) * BATCH : TRAIN_SAMPLES;
  const inputs = new Float32Array(trainSamples * FEATURES);
  for (let i = 0; i < inputs.length; i++) inputs[i] = next();
  const labels = Int32Array.from({ length: trainSamples }, () => Math.floor(next() * CLASSES));
  const statistics = { mean: [0], std: [1] };
  const classes = Array.from({ length: CLASSES }, (_, i) => String(i));
  const dataset = new Dataset('mnist', 'train', inputs, labels, [FEATURES], classes, [], 'none', statistics);
  const probe = new Float32Array(PROBE * FEATURES);
  for (let i = 0; i < probe.length; i++) probe[i] = next();

  const engine = await createEngine({ backend: options.backend });
  log(`bench-emergence: ${engine.backend} backend, ${trainSamples} training samples, probe of ${PROBE}`);
  const model = referenceModel('mlp');
  const net = await engine.compile(model, {
    inputShape: REFERENCE_INPUT_SHAPE,
    batchSize: BATCH,
    loss: 'cross-entropy',
    optimizer: { name: 'adam', lr: 1e-3 },
    init: { name: 'kaiming-normal' },
    seed: SEED,
  });
  try {
    // Warm-up: a few steps, so the epoch's time holds no first-dispatch costs.
    for (let i = 0; i < 4; i++)
      await net.step(inputs.subarray(i * BATCH * FEATURES, (i + 1) * BATCH * FEATURES), labels.subarray(i * BATCH, (i + 1) * BATCH));
    await net.losses();

    log('bench-emergence: measuring E (first call: builds the probe program)');
    let started = now();
    const first = await emergence.measure(net, probe);
    const firstSeconds = (now() - started) / 1000;
    const warmCalls = options.quick ? 3 : 7;
    const warm = [];
    for (let i = 0; i < warmCalls; i++) {
      started = now();
      await emergence.measure(net, probe);
      warm.push((now() - started) / 1000);
    }
    log(`bench-emergence: measure first ${firstSeconds.toFixed(3)} s, warm median ${median(warm).toFixed(3)} s; training one epoch`);

    const [report] = await net.fit(dataset, { epochs: 1, shuffle: true, seed: 1 });
    const scale = TRAIN_SAMPLES / trainSamples;
    const epochSeconds = report.seconds * scale;
    log(
      `bench-emergence: epoch ${report.steps} steps in ${report.seconds.toFixed(2)} s${scale === 1 ? '' : ` (x${scale} for a full epoch)`}`,
    );

    // One more warm measurement after training, the situation a tracker is in.
    started = now();
    const after = await emergence.measure(net, probe);
    const afterSeconds = (now() - started) / 1000;
    warm.push(afterSeconds);
    const warmSeconds = median(warm);
    const document = {
      benchmark: 'emergence.measure on a probe vs one training epoch',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
      backend: engine.backend,
      model: 'MLP 784-512-512-512-10 (ReLU), Adam lr 1e-3, batch 128, Kaiming-normal init',
      data: `synthetic MNIST-shaped (seed ${SEED}): ${trainSamples} training samples, probe of ${PROBE}`,
      convention: first.convention.description,
      epoch: {
        samples: TRAIN_SAMPLES,
        steps: Math.floor(TRAIN_SAMPLES / BATCH),
        seconds: round(epochSeconds, 3),
        measuredSteps: report.steps,
        measuredSeconds: round(report.seconds, 3),
        scaled: scale !== 1,
        samplesPerSecond: Math.round(report.samplesPerSecond),
      },
      measure: {
        probe: PROBE,
        firstCallSeconds: round(firstSeconds),
        warmSeconds: round(warmSeconds),
        warmCalls: warm.map((s) => round(s)),
        E: { atInit: first.E.toString(), afterEpoch: after.E.toString(), log10AfterEpoch: round(after.log10E, 3) },
        activeFractionAfterEpoch: Object.fromEntries(after.layers.map((layer) => [layer.name, round(layer.fraction, 3)])),
      },
      ratio: {
        warmMeasureToEpoch: round(warmSeconds / epochSeconds, 5),
        firstMeasureToEpoch: round(firstSeconds / epochSeconds, 5),
        target: 0.05,
        meetsTarget: warmSeconds / epochSeconds < 0.05,
      },
    };
    const json = `${JSON.stringify(document, null, 2)}\n`;
    process.stdout.write(json);
    if (options.out) {
      await writeFile(`${options.out}.tmp`, json);
      await rename(`${options.out}.tmp`, options.out);
    }
    log(
      `bench-emergence: measure ${(warmSeconds * 1000).toFixed(1)} ms warm (${(firstSeconds * 1000).toFixed(1)} ms first) vs epoch ${epochSeconds.toFixed(2)} s: ${(100 * document.ratio.warmMeasureToEpoch).toFixed(2)}% (first call ${(100 * document.ratio.firstMeasureToEpoch).toFixed(2)}%)`,
    );
  } finally {
    await net.dispose();
    await engine.dispose();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
