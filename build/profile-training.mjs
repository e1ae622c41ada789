// Profiles one compiled training step kernel by kernel: where the time of a step goes, per op and layer, on a backend.
//
// Usage: npm run build && node build/profile-training.mjs [--model mlp|cnn] [--backend auto|wasm|webgpu] [--repeat N]
// (also runs under Deno: deno run -A build/profile-training.mjs). It compiles the model of bench-training, captures the
// kernels of one training step as the net dispatches them, then times each kernel alone: N back-to-back launches of it
// in one dispatch list (one command encoder on WebGPU), after a warm-up, divided by N. stdout: one JSON document.
// Kernels run alone this way overlap nothing, so their sum is an upper bound of the step's device time; the step's own
// time (the whole list, N times) is printed beside it.

const USAGE = 'usage: node build/profile-training.mjs [--model mlp|cnn] [--backend auto|wasm|webgpu] [--repeat N]';
const BATCH = 128;

function parseArgs(argv) {
  const options = { model: 'mlp', backend: 'auto', repeat: 20 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--model') options.model = argv[++i];
    else if (arg === '--backend') options.backend = argv[++i];
    else if (arg === '--repeat') options.repeat = Number(argv[++i]);
    else throw new Error(`profile-training: unknown option '${arg}'\n${USAGE}`);
  }
  if (!['mlp', 'cnn'].includes(options.model)) throw new Error(`profile-training: --model takes mlp or cnn\n${USAGE}`);
  return options;
}

function buildModel(nn, name) {
  if (name === 'mlp') {
    const hidden = [nn.linear(784, 512), nn.relu(), nn.linear(512, 512), nn.relu(), nn.linear(512, 512), nn.relu()];
    return { model: nn.sequential(...hidden, nn.linear(512, 10)), inputShape: [784] };
  }
  const features = [nn.conv2d(1, 32, 3), nn.relu(), nn.maxPool2d(2), nn.conv2d(32, 64, 3), nn.relu(), nn.maxPool2d(2)];
  return {
    model: nn.sequential(...features, nn.flatten(), nn.linear(1600, 128), nn.relu(), nn.linear(128, 10)),
    inputShape: [1, 28, 28],
  };
}

const log = (message) => console.error(message);

async function main() {
  const options = parseArgs(globalThis.Deno ? Deno.args : process.argv.slice(2));
  const { createEngine, nn } = await import('./dist/index.js');
  const engine = await createEngine({ backend: options.backend, log });
  const { model, inputShape } = buildModel(nn, options.model);
  const net = await engine.compile(model, {
    inputShape,
    batchSize: BATCH,
    loss: 'cross-entropy',
    optimizer: { name: 'adam', lr: 1e-3 },
    init: { name: 'kaiming-normal' },
  });
  const pixels = inputShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: BATCH * pixels }, (_, i) => ((i * 2654435761) % 1000) / 1000);
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  for (let i = 0; i < 3; i++) await net.trainStep(x, labels);

  // Capture the kernel list of one step: the longest list the net dispatches.
  const backend = engine.backendImpl;
  const dispatch = backend.dispatch.bind(backend);
  let step = [];
  backend.dispatch = (kernels) => {
    if (kernels.length > step.length) step = [...kernels];
    dispatch(kernels);
  };
  await net.trainStep(x, labels);
  backend.dispatch = dispatch;

  const time = async (list) => {
    dispatch(list);
    await backend.sync();
    const start = performance.now();
    for (let i = 0; i < options.repeat; i++) dispatch(list);
    await backend.sync();
    return (performance.now() - start) / options.repeat;
  };
  const stepMs = await time(step);
  const rows = [];
  for (const [index, kernel] of step.entries()) {
    const repeated = Array.from({ length: 8 }, () => kernel);
    const ms = (await time(repeated)) / repeated.length;
    rows.push({ index, op: kernel.op, ms: Number(ms.toFixed(4)) });
  }
  const byOp = {};
  for (const row of rows) byOp[row.op] = Number(((byOp[row.op] ?? 0) + row.ms).toFixed(4));
  const sum = rows.reduce((total, row) => total + row.ms, 0);
  for (const row of rows) log(`${String(row.index).padStart(3)} ${row.op.padEnd(22)} ${row.ms.toFixed(3)} ms`);
  log(`step (whole list): ${stepMs.toFixed(3)} ms; kernels alone, summed: ${sum.toFixed(3)} ms`);
  const report = {
    model: options.model,
    backend: engine.backend,
    device: engine.description,
    batch: BATCH,
    stepMs: Number(stepMs.toFixed(4)),
    kernelsSummedMs: Number(sum.toFixed(4)),
    byOp,
    kernels: rows,
  };
  console.log(JSON.stringify(report, null, 2));
  await net.dispose();
  await engine.dispose();
}

main().catch((error) => {
  log(`profile-training: ${error.stack ?? error}`);
  if (globalThis.Deno) Deno.exit(1);
  else process.exit(1);
});
