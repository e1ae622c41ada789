// Browser example: trains a small MLP on MNIST in the page (WebGPU when there is a GPU, else WebAssembly), shows accuracy and E.
import { createEngine, data, emergence, nn } from '../../build/dist/index.js';

/** The folder (a URL) serving MNIST's four raw IDX files (train-images-idx3-ubyte, ...). Change it to where yours are. */
const MNIST_DIR = new URL('/data/mnist/', window.location.href).href;

// Settings, overridable in the address: ?backend=webgpu&samples=10000&epochs=2
const query = new URL(window.location.href).searchParams;
const settings = {
  backend: query.get('backend') ?? 'auto', // 'auto' | 'webgpu' | 'wasm'
  samples: Number(query.get('samples') ?? 60000), // training images
  epochs: Number(query.get('epochs') ?? 1),
  hidden: [128, 64],
  batchSize: 64,
  lr: 2e-3,
  probe: 1000, // test images the emergence measurement looks at
  threshold: 0.05, // a node is active when its mean activation over the probe exceeds this
};

function show(id, text) {
  document.getElementById(id).textContent = text;
}
const progress = document.getElementById('progress');

async function main() {
  // 'auto' takes WebGPU on a hardware GPU; otherwise it uses WebAssembly and `log` receives the reason.
  let fallback = null;
  const engine = await createEngine({ backend: settings.backend, log: (message) => (fallback = message) });
  show('backend', engine.backend === 'webgpu' ? `WebGPU on ${engine.description}` : engine.description);
  if (fallback) show('fallback', `This page runs on WebAssembly, not WebGPU. Why: ${fallback}`);

  show('status', `loading MNIST from ${MNIST_DIR}…`);
  const train = await data.load('mnist', { split: 'train', dir: MNIST_DIR, limit: settings.samples });
  const test = await data.load('mnist', { split: 'test', dir: MNIST_DIR });

  const widths = [784, ...settings.hidden];
  const layers = [nn.flatten()];
  for (let i = 1; i < widths.length; i++) layers.push(nn.linear(widths[i - 1], widths[i]), nn.relu());
  const model = nn.sequential(...layers, nn.linear(widths.at(-1), 10));
  const net = await engine.compile(model, {
    inputShape: train.shape,
    batchSize: settings.batchSize,
    loss: 'cross-entropy',
    optimizer: { name: 'adam', lr: settings.lr },
    init: { name: 'kaiming-normal' },
  });

  show('status', `training on ${train.count} images…`);
  const started = performance.now();
  const epochs = await net.fit(train, {
    epochs: settings.epochs,
    validation: test,
    onStep: ({ epoch, batch, batches }) => {
      progress.value = (epoch - 1 + (batch + 1) / batches) / settings.epochs;
    },
    onEpoch: (report) => show('status', `epoch ${report.epoch}: loss ${report.loss.toFixed(4)}`),
  });
  const seconds = (performance.now() - started) / 1000;
  const accuracy = epochs.at(-1).validation.accuracy;

  const measured = await emergence.measure(net, test.inputs.subarray(0, settings.probe * test.features), { threshold: settings.threshold });
  show('status', `done in ${seconds.toFixed(1)} s`);
  show('accuracy', `${(100 * accuracy).toFixed(2)}% on ${test.count} test images`);
  show('emergence', `E = ${measured.E} (log10 ${measured.log10E.toFixed(2)}), relative E ${measured.relative.toPrecision(3)}`);
  show('active', measured.layers.map((layer) => `layer ${layer.name}: ${layer.a} of ${layer.n}`).join(', '));

  await net.dispose();
  await engine.dispose();
  return {
    ok: true,
    backend: engine.backend,
    description: engine.description,
    fallback,
    crossOriginIsolated: window.crossOriginIsolated === true,
    samples: train.count,
    testSamples: test.count,
    accuracy,
    loss: epochs.at(-1).loss,
    E: measured.E.toString(),
    log10E: measured.log10E,
    relative: measured.relative,
    layers: measured.layers.map(({ name, n, a }) => ({ name, n, a })),
    seconds,
  };
}

// window.exampleResult is the hook automated tests wait for.
main().then(
  (result) => {
    window.exampleResult = result;
  },
  (error) => {
    show('status', `failed: ${error.message}`);
    console.error(error);
    window.exampleResult = { ok: false, error: `${error.name}: ${error.message}` };
  },
);
