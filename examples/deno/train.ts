// Deno example: trains an MLP on MNIST with a progress line, then prints its test accuracy and the emergence E it ends with.
// Run: deno run -A examples/deno/train.ts [--epochs 2] [--samples 60000] [--hidden 256,128] [--backend auto|wasm|webgpu]
import { parseArgs } from 'node:util';
import { createEngine, data, emergence, nn, type BackendKind } from 'npm:emergence-engine';

const usage = `deno run -A train.ts [options]
  --epochs N        passes over the training samples (default 2)
  --samples N       training samples: the first N of MNIST's 60,000 (default 60000)
  --hidden W,W      hidden layer widths of the MLP (default 256,128)
  --batch N         batch size (default 128)
  --lr X            Adam learning rate (default 0.001)
  --seed N          seeds the initial weights and the shuffling (default 0)
  --probe N         test images E is measured on (default 1000)
  --backend NAME    auto | wasm | webgpu (default auto: a hardware GPU, else WebAssembly)
  --data-dir DIR    a folder holding the MNIST files (default: local copies, else a verified download)`;

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    epochs: { type: 'string', default: '2' },
    samples: { type: 'string', default: '60000' },
    hidden: { type: 'string', default: '256,128' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '0' },
    probe: { type: 'string', default: '1000' },
    backend: { type: 'string', default: 'auto' },
    'data-dir': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(usage);
  Deno.exit(0);
}

/** A whole number >= min from a command-line option, or an error naming the option. */
function integer(name: string, text: string, min = 1): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got '${text}'`);
  return value;
}

const epochs = integer('epochs', args.epochs);
const hidden = args.hidden.split(',').map((width) => integer('hidden', width));
const batchSize = integer('batch', args.batch);
const seed = integer('seed', args.seed, 0);
const lr = Number(args.lr);
if (!(lr > 0)) throw new Error(`--lr must be a positive number, got '${args.lr}'`);

console.log(`emergence-engine: ${import.meta.resolve('npm:emergence-engine')}`);
const engine = await createEngine({ backend: args.backend as BackendKind | 'auto', seed });
console.log(`backend: ${engine.backend} (${engine.description})`);

const dir = args['data-dir'];
const train = await data.load('mnist', { split: 'train', limit: integer('samples', args.samples), dir });
const test = await data.load('mnist', { split: 'test', dir });
console.log(`data: MNIST, ${train.count} training and ${test.count} test images of [${train.shape.join(', ')}]`);

// flatten, then Linear + ReLU per hidden width, then the 10 class scores.
const layers = [];
let width = train.features;
for (const next of hidden) {
  layers.push(nn.linear(width, next), nn.relu());
  width = next;
}
const model = nn.sequential(nn.flatten(), ...layers, nn.linear(width, train.classes.length));
const net = await engine.compile(model, {
  inputShape: train.shape,
  batchSize,
  loss: 'cross-entropy',
  optimizer: { name: 'adam', lr },
  init: { name: 'kaiming-normal' },
});
const parameters = (await emergence.countParameters(net)).total;
console.log(
  `model: MLP ${[train.features, ...hidden, train.classes.length].join('-')}, ${parameters} parameters, Adam lr ${lr}, batch ${batchSize}`,
);

// Progress goes to stderr: one line rewritten in place on a terminal, a line per quarter epoch otherwise.
const encoder = new TextEncoder();
const live = Deno.stderr.isTerminal();
let shownQuarter = -1;
await net.fit(train, {
  epochs,
  seed,
  validation: test,
  onStep({ epoch, batch, batches }) {
    const done = batch + 1;
    const quarter = Math.floor((4 * done) / batches);
    if (live) {
      const bar = '#'.repeat(Math.round((20 * done) / batches)).padEnd(20, '.');
      Deno.stderr.writeSync(encoder.encode(`\repoch ${epoch}/${epochs} [${bar}] ${done}/${batches} steps`));
    } else if (quarter !== shownQuarter && quarter > 0) {
      console.error(`epoch ${epoch}/${epochs}: ${done}/${batches} steps`);
    }
    shownQuarter = done === batches ? -1 : quarter;
  },
  onEpoch(report) {
    if (live) Deno.stderr.writeSync(encoder.encode('\r\x1b[K'));
    const accuracy = (100 * report.validation!.accuracy!).toFixed(2);
    const speed = Math.round(report.samplesPerSecond);
    console.log(`epoch ${report.epoch}/${epochs}: loss ${report.loss.toFixed(4)}, test accuracy ${accuracy}%, ${speed} samples/s`);
  },
});

// E of the trained net: each hidden layer's active nodes on the first test images (mean post-ReLU value > 0.05).
const probeCount = Math.min(integer('probe', args.probe), test.count);
const probe = test.inputs.subarray(0, probeCount * test.features);
const measured = await emergence.measure(net, probe, { threshold: 0.05 });
console.log(`E after training: ${measured.E} (log10 E ${measured.log10E.toFixed(3)})`);
console.log(`relative E: ${measured.relative.toExponential(3)} (E / ${measured.parameters.total} parameters)`);
for (const layer of measured.layers) {
  console.log(`  layer ${layer.label}: ${layer.a} of ${layer.n} nodes active (${(100 * layer.fraction).toFixed(1)}%)`);
}
console.log(`convention: ${measured.convention.description}`);

await net.dispose();
await engine.dispose();
