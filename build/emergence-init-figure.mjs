// Acceptance figure for emergence.init: E over the hidden layers at initialization, plain Kaiming/Xavier vs alpha 2 (JSON on stdout).
// Usage: npm run build && node build/emergence-init-figure.mjs [--seeds 5] [--alpha 2] [--probe 1024] [--backend wasm|webgpu|auto]
// Model: the issue-3 MLP (flatten, 784-512-512-512-10, ReLU), batch 128; probe: the first N MNIST test images (unit pixels).
// Each seed draws one base (Kaiming normal, fan-in; Xavier normal) and scales that same draw, so the ratios are paired.
import { REFERENCE_INPUT_SHAPE, referenceModel } from './reference.mjs';

const options = { seeds: 5, alpha: 2, probe: 1024, backend: 'wasm', threshold: 0.05 };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const key = args[i].replace(/^--/, '');
  if (!(key in options) || args[i + 1] === undefined) {
    console.error(
      `unknown or incomplete option ${args[i]}; options: ${Object.keys(options)
        .map((k) => `--${k}`)
        .join(' ')}`,
    );
    process.exit(2);
  }
  options[key] = key === 'backend' ? args[i + 1] : Number(args[i + 1]);
}

const { createEngine, data, emergence } = await import('./dist/index.js');
const engine = await createEngine({ backend: options.backend });
const test = await data.load('mnist', { split: 'test', limit: options.probe });
const model = referenceModel('mlp');
const net = await engine.compile(model, { inputShape: REFERENCE_INPUT_SHAPE, batchSize: 128, loss: 'cross-entropy' });

const schemes = [
  { name: 'xavier', init: { base: 'xavier', alpha: 1 } },
  { name: 'kaiming', init: { base: 'kaiming', alpha: 1 } },
  { name: `emergence (kaiming, alpha ${options.alpha})`, init: { base: 'kaiming', alpha: options.alpha } },
];
const rows = [];
let convention;
let exponents;
for (let seed = 0; seed < options.seeds; seed++) {
  const row = { seed };
  for (const scheme of schemes) {
    const report = await emergence.init(net, { ...scheme.init, seed });
    if (scheme.init.alpha !== 1) exponents = report.layers.map((l) => ({ name: l.name, exponent: l.exponent, factor: l.factor }));
    const m = await emergence.measure(net, test.inputs, { threshold: options.threshold, statistic: 'mean' });
    convention = m.convention.description;
    row[scheme.name] = { E: m.E.toString(), log10E: m.log10E, active: m.layers.map((l) => l.a), nodes: m.layers.map((l) => l.n) };
    console.error(`seed ${seed} ${scheme.name}: E = ${m.EFloat64.toExponential(3)}, active ${m.layers.map((l) => l.a).join('/')}`);
  }
  row.ratioToKaiming = Number(row[schemes[2].name].E) / Number(row.kaiming.E);
  rows.push(row);
}

const stats = (values) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return { mean, sd, min: Math.min(...values), max: Math.max(...values) };
};
const summary = Object.fromEntries(schemes.map((s) => [s.name, stats(rows.map((r) => Number(r[s.name].E)))]));
console.log(
  JSON.stringify(
    {
      figure: 'E over the hidden layers at initialization, MLP 784-512-512-512-10 on MNIST test images',
      backend: engine.backend,
      probe: `first ${test.count} MNIST test images, pixels / 255`,
      convention,
      alpha: options.alpha,
      exponents,
      seeds: options.seeds,
      E: summary,
      ratioToKaiming: stats(rows.map((r) => r.ratioToKaiming)),
      paper: 'seed 1, CIFAR-10 MLP with 3 hidden layers: Xavier 5.03e8, Kaiming 5.99e8, emergence 10.87e8 (1.81x Kaiming)',
      rows,
    },
    null,
    2,
  ),
);
await net.dispose();
await engine.dispose();
