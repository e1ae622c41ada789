// Deno example: Xavier vs Kaiming vs emergence-promoting initialization of an MLP: E at init and the loss of the first steps.
// Run: deno run -A examples/deno/init-comparison.ts [--seeds 2] [--steps 50] [--alpha 2] [--backend auto|wasm|webgpu]
import { parseArgs } from 'node:util';
import { createEngine, data, emergence, nn, type BackendKind, type InitName } from 'npm:emergence-engine';

const usage = `deno run -A init-comparison.ts [options]
  --seeds N         seeds per initialization; figures are mean ± std over them (default 2)
  --steps N         training steps whose mean loss is compared (default 50)
  --hidden W,W,W    hidden layer widths of the MLP (default 512,512,512: the init paper's 3 hidden layers)
  --alpha X         alpha of the emergence init: layer l's weights scaled by alpha^k_l (default 2)
  --batch N         batch size (default 128)
  --lr X            Adam learning rate (default 0.001)
  --probe N         test images E is measured on (default 1000)
  --backend NAME    auto | wasm | webgpu (default auto: a hardware GPU, else WebAssembly)
  --data-dir DIR    a folder holding the MNIST files (default: local copies, else a verified download)`;

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    seeds: { type: 'string', default: '2' },
    steps: { type: 'string', default: '50' },
    hidden: { type: 'string', default: '512,512,512' },
    alpha: { type: 'string', default: '2' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.001' },
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

/** A whole number >= 1 from a command-line option, or an error naming the option. */
function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got '${text}'`);
  return value;
}

/** A positive number from a command-line option, or an error naming the option. */
function positive(name: string, text: string): number {
  const value = Number(text);
  if (!(value > 0 && Number.isFinite(value))) throw new Error(`--${name} must be a positive number, got '${text}'`);
  return value;
}

const seeds = integer('seeds', args.seeds);
const steps = integer('steps', args.steps);
const hidden = args.hidden.split(',').map((width) => integer('hidden', width));
const alpha = positive('alpha', args.alpha);
const batchSize = integer('batch', args.batch);
const lr = positive('lr', args.lr);

console.log(`emergence-engine: ${import.meta.resolve('npm:emergence-engine')}`);
const engine = await createEngine({ backend: args.backend as BackendKind | 'auto' });
console.log(`backend: ${engine.backend} (${engine.description})`);

const dir = args['data-dir'];
const train = await data.load('mnist', { split: 'train', limit: steps * batchSize, dir });
const probe = (await data.load('mnist', { split: 'test', limit: integer('probe', args.probe), dir })).inputs;
console.log(
  `MLP ${[train.features, ...hidden, train.classes.length].join('-')}, Adam lr ${lr}, batch ${batchSize}, ` +
    `${steps} steps on the first ${train.count} MNIST images, E on ${probe.length / train.features} test images`,
);

// The emergence init draws Kaiming-normal weights, then scales layer l by alpha^k_l (eq. 8): deeper layers up, earlier down.
const schemes: { name: string; init: InitName; emergence: boolean }[] = [
  { name: 'xavier', init: 'xavier-normal', emergence: false },
  { name: 'kaiming', init: 'kaiming-normal', emergence: false },
  { name: `emergence (alpha ${alpha})`, init: 'kaiming-normal', emergence: true },
];
const results = schemes.map(() => ({ E: [] as number[], loss: [] as number[] }));

for (let seed = 0; seed < seeds; seed++) {
  for (const [i, scheme] of schemes.entries()) {
    const layers = [];
    let width = train.features;
    for (const next of hidden) {
      layers.push(nn.linear(width, next), nn.relu());
      width = next;
    }
    const net = await engine.compile(nn.sequential(nn.flatten(), ...layers, nn.linear(width, train.classes.length)), {
      inputShape: train.shape,
      batchSize,
      loss: 'cross-entropy',
      optimizer: { name: 'adam', lr },
      init: { name: scheme.init },
      seed,
    });
    if (scheme.emergence) await emergence.init(net, { base: 'kaiming', alpha, seed });
    const { E } = await emergence.measure(net, probe, { threshold: 0.05 });
    const [report] = await net.fit(train, { epochs: 1, seed }); // the same shuffled batches for every scheme of a seed
    results[i].E.push(Number(E));
    results[i].loss.push(report.loss);
    console.log(`seed ${seed}  ${scheme.name.padEnd(22)} E at init ${E}, mean loss of ${report.steps} steps ${report.loss.toFixed(4)}`);
    await net.dispose();
  }
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
/** Sample standard deviation (n - 1); 0 for a single seed. */
const std = (values: number[]): number =>
  values.length < 2 ? 0 : Math.sqrt(values.reduce((sum, v) => sum + (v - mean(values)) ** 2, 0) / (values.length - 1));
/** "mean ± std" over the seeds, or the one value. */
const show = (values: number[], format: (value: number) => string): string =>
  values.length < 2 ? format(values[0]) : `${format(mean(values))} ± ${format(std(values))}`;
const kaimingE = mean(results[1].E);
console.log('');
console.log(`${'init'.padEnd(22)}  ${'E at init'.padEnd(20)}  ${'x Kaiming'.padEnd(9)}  mean loss, first ${steps} steps`);
for (const [i, scheme] of schemes.entries()) {
  const { E, loss } = results[i];
  const figure = show(E, (value) => value.toExponential(3));
  const ratio = (mean(E) / kaimingE).toFixed(3);
  console.log(`${scheme.name.padEnd(22)}  ${figure.padEnd(20)}  ${ratio.padEnd(9)}  ${show(loss, (value) => value.toFixed(4))}`);
}
const over = seeds === 1 ? 'one seed' : `mean ± std over ${seeds} seeds`;
console.log(`(${over}; the init paper reports E at init in the ratio 0.84 : 1 : 1.81 on CIFAR-10)`);

await engine.dispose();
