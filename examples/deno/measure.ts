// Deno example: E, relative E and every hidden layer's active nodes of an MLP at initialization and after a short training.
// Run: deno run -A examples/deno/measure.ts [--samples 6400] [--hidden 512,512,512] [--threshold 0.05] [--backend auto|wasm|webgpu]
import { parseArgs } from 'node:util';
import { createEngine, data, emergence, nn, type BackendKind, type EmergenceMeasurement, type NodeStatistic } from 'npm:emergence-engine';

const usage = `deno run -A measure.ts [options]
  --samples N       training samples for the short training: one pass over the first N (default 6400: 50 steps)
  --hidden W,W,W    hidden layer widths of the MLP (default 512,512,512: the init paper's 3 hidden layers)
  --batch N         batch size (default 128)
  --lr X            Adam learning rate (default 0.001)
  --probe N         test images the nodes are measured on (default 1000)
  --threshold X     a node is active when its statistic exceeds X (default 0.05)
  --statistic S     mean: the node's mean post-ReLU value; fraction: the share of its values above X (default mean)
  --seed N          seeds the initial weights and the shuffling (default 0)
  --backend NAME    auto | wasm | webgpu (default auto: a hardware GPU, else WebAssembly)
  --data-dir DIR    a folder holding the MNIST files (default: local copies, else a verified download)`;

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    samples: { type: 'string', default: '6400' },
    hidden: { type: 'string', default: '512,512,512' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.001' },
    probe: { type: 'string', default: '1000' },
    threshold: { type: 'string', default: '0.05' },
    statistic: { type: 'string', default: 'mean' },
    seed: { type: 'string', default: '0' },
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

const hidden = args.hidden.split(',').map((width) => integer('hidden', width));
const batchSize = integer('batch', args.batch);
const seed = integer('seed', args.seed, 0);
const lr = Number(args.lr);
if (!(lr > 0)) throw new Error(`--lr must be a positive number, got '${args.lr}'`);
const threshold = Number(args.threshold);
if (!Number.isFinite(threshold)) throw new Error(`--threshold must be a number, got '${args.threshold}'`);

console.log(`emergence-engine: ${import.meta.resolve('npm:emergence-engine')}`);
const engine = await createEngine({ backend: args.backend as BackendKind | 'auto', seed });
console.log(`backend: ${engine.backend} (${engine.description})`);

const dir = args['data-dir'];
const train = await data.load('mnist', { split: 'train', limit: integer('samples', args.samples), dir });
const test = await data.load('mnist', { split: 'test', limit: integer('probe', args.probe), dir });
const probe = test.inputs; // the measurement's probe batch: the first test images

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
console.log(
  `model: MLP ${[train.features, ...hidden, train.classes.length].join('-')}, Kaiming-normal init, Adam lr ${lr}, batch ${batchSize}`,
);

const options = { threshold, statistic: args.statistic as NodeStatistic };
const atInit = await emergence.measure(net, probe, options);
const [report] = await net.fit(train, { epochs: 1, seed });
const trained = await emergence.measure(net, probe, options);
const after = `after ${report.steps} steps`;
console.log(`training: ${report.steps} steps of ${batchSize} on ${train.count} images, mean loss ${report.loss.toFixed(4)}`);
console.log(`convention: ${atInit.convention.description}`);
console.log('');

// One row per figure, one column per moment.
const rows: [string, string, string][] = [['', 'at init', after]];
const both = (label: string, show: (m: EmergenceMeasurement) => string): number => rows.push([label, show(atInit), show(trained)]);
both('E', (m) => String(m.E));
both('log10 E', (m) => m.log10E.toFixed(3));
both('relative E', (m) => `${m.relative.toExponential(3)} (E / ${m.parameters.total} parameters)`);
atInit.layers.forEach((layer, i) => {
  both(`layer ${layer.label}`, (m) => `${m.layers[i].a} of ${m.layers[i].n} active (${(100 * m.layers[i].fraction).toFixed(1)}%)`);
});
const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column].length)));
for (const [label, init, trainedValue] of rows) console.log(`${label.padEnd(widths[0])}  ${init.padEnd(widths[1])}  ${trainedValue}`);
console.log('');
console.log(`E changed by a factor of ${(trained.EFloat64 / atInit.EFloat64).toPrecision(3)} in ${report.steps} steps`);

await net.dispose();
await engine.dispose();
