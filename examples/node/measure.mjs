// Node example: emergence E of an MLP at Kaiming and at emergence initialization, and of saved weights, at several thresholds.
// Run: node examples/node/measure.mjs [--weights runs/node-example/model.safetensors] [--thresholds 0.01,0.05,0.1]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createEngine, data, emergence, nn } from 'emergence-engine';

const optionSpecs = {
  backend: { type: 'string', default: 'auto', help: 'auto, webgpu or wasm' },
  weights: { type: 'string', help: 'a safetensors file written by train.mjs (with the same --hidden)' },
  hidden: { type: 'string', default: '256,128', help: 'hidden layer widths' },
  alpha: { type: 'string', default: '2', help: 'scale base of the emergence init' },
  probe: { type: 'string', default: '1000', help: 'test images the measurement looks at (the first N)' },
  thresholds: { type: 'string', default: '0.01,0.05,0.1', help: 'activity thresholds to measure at' },
  'data-dir': { type: 'string', help: "folder holding MNIST's files (else EMERGENCE_DATA_DIR, installed copies, a download)" },
  seed: { type: 'string', default: '0', help: 'seed of the initial weights' },
  json: { type: 'boolean', default: false, help: 'print the results as JSON on stdout' },
};
const { values: options } = parseArgs({ options: { ...optionSpecs, help: { type: 'boolean', default: false } } });
if (options.help) {
  for (const [name, spec] of Object.entries(optionSpecs))
    console.log(`--${name.padEnd(13)} ${spec.help}${spec.default === undefined ? '' : ` (default ${spec.default})`}`);
  process.exit(0);
}
const hidden = options.hidden.split(',').map(Number);
const thresholds = options.thresholds.split(',').map(Number);
const alpha = Number(options.alpha);

const engine = await createEngine({ backend: options.backend, seed: Number(options.seed) });
process.stderr.write(`backend: ${engine.backend} (${engine.description})\n`);
const probe = await data.load('mnist', { split: 'test', limit: Number(options.probe), dir: options['data-dir'] });

// One net; each row puts other weights into it and measures them.
const widths = [784, ...hidden];
const layers = [nn.flatten()];
for (let i = 1; i < widths.length; i++) layers.push(nn.linear(widths[i - 1], widths[i]), nn.relu());
const model = nn.sequential(...layers, nn.linear(widths.at(-1), 10));
const net = await engine.compile(model, {
  inputShape: probe.shape,
  batchSize: 128,
  loss: 'cross-entropy',
  init: { name: 'kaiming-normal' },
});

const rows = [];
async function measureRow(weights) {
  for (const threshold of thresholds) {
    const m = await emergence.measure(net, probe.inputs, { threshold });
    const counts = m.layers.map(({ name, n, a }) => ({ name, n, a }));
    rows.push({ weights, threshold, E: m.E.toString(), log10E: m.log10E, relative: m.relative, layers: counts });
  }
}
await measureRow('kaiming-normal init');
await emergence.init(net, { base: 'kaiming', alpha });
await measureRow(`emergence init, alpha ${alpha}`);
if (options.weights) {
  await net.loadSafetensors(new Uint8Array(await readFile(options.weights)));
  await measureRow(options.weights);
}

if (options.json) {
  const result = { backend: engine.backend, probe: probe.count, hidden, rows };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const width = Math.max(...rows.map((row) => row.weights.length));
  process.stdout.write(`${'weights'.padEnd(width)}  threshold  ${'E'.padStart(12)}  relative E  active nodes per layer\n`);
  for (const row of rows) {
    const active = row.layers.map((layer) => `${layer.a}/${layer.n}`).join('  ');
    process.stdout.write(
      `${row.weights.padEnd(width)}  ${String(row.threshold).padStart(9)}  ${row.E.padStart(12)}  ` +
        `${row.relative.toPrecision(4).padStart(10)}  ${active}\n`,
    );
  }
  process.stdout.write(`(${probe.count} MNIST test images)\n`);
}
await net.dispose();
await engine.dispose();
