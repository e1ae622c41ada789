// Benchmark: training throughput (samples/s and useful GFLOP/s) of an MLP and a small CNN, per backend, with TensorFlow.js.
//
// Usage: npm run bench:training -- [--quick] [--out FILE] [--model mlp|cnn]
// stdout carries one JSON document; progress and a human-readable table go to stderr. Each target trains each model on
// seeded synthetic data of MNIST's shape (the throughput does not depend on the values): warm-up steps first, then
// several timed windows of a fixed number of steps (chosen from the warm-up so a window lasts about `windowMs`); the
// figure is the median window. Every step reads its loss back, so its work is complete when the step returns. Targets
// are timed round-robin, one window each per round, so outside load on this shared machine hits all of them alike.
// A target is { label, description, trainer(model, batches) -> { step(): Promise<number>, flush?(), dispose() } }:
// this engine on WebAssembly ('emergence-wasm'), on WebGPU when 'auto' finds a hardware adapter ('emergence-webgpu'),
// and TensorFlow.js ('tfjs-wasm'); their results sit side by side under models.<name>.results. The '-pipelined'
// variants queue steps without reading each loss back (net.step; losses return in blocks, and each window ends with
// the device caught up), which is how net.fit trains.
import { rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { median, seededUniform } from './reference.mjs';

const USAGE = `usage: node build/bench-training.mjs [--quick] [--out FILE] [--model mlp|cnn] [--no-tfjs]
  --quick       fewer and shorter windows
  --no-tfjs     only this engine's targets
  --out FILE    also write the JSON document to FILE
  --model NAME  train only this model (mlp or cnn; repeatable)`;

const BATCH = 128;
const CLASSES = 10;
const LEARNING_RATE = 1e-3;
/** Distinct synthetic batches cycled through the steps. */
const DATA_BATCHES = 4;
const SEED = 20240601;

/** Warm-up steps (at least), the timed windows per target, and the time one window should last. */
const FULL = { warmupSteps: 5, warmupMs: 1000, windows: 7, windowMs: 1500 };
const QUICK = { warmupSteps: 2, warmupMs: 0, windows: 3, windowMs: 500 };

/**
 * The models, framework-neutral: `layers` is the exact architecture every target builds; `multiplyAdds` is the forward
 * multiply-add count per sample (dense and convolution products only; bias, ReLU, pooling and the loss are not
 * counted).
 */
const MODELS = {
  mlp: {
    input: [784],
    layers: [
      { type: 'dense', units: 512, activation: 'relu' },
      { type: 'dense', units: 512, activation: 'relu' },
      { type: 'dense', units: 512, activation: 'relu' },
      { type: 'dense', units: CLASSES, activation: 'linear' },
    ],
  },
  cnn: {
    input: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: 32, kernel: 3, stride: 1, padding: 'valid', activation: 'relu' },
      { type: 'maxpool2d', pool: 2, stride: 2 },
      { type: 'conv2d', filters: 64, kernel: 3, stride: 1, padding: 'valid', activation: 'relu' },
      { type: 'maxpool2d', pool: 2, stride: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dense', units: CLASSES, activation: 'linear' },
    ],
  },
};

/** Walks the layers, giving each one's output shape and the forward multiply-adds per sample. */
function analyse(model) {
  let shape = model.input;
  let multiplyAdds = 0;
  const summary = [];
  for (const layer of model.layers) {
    if (layer.type === 'dense') {
      if (shape.length !== 1) throw new Error(`bench-training: dense layer needs a flat input, got [${shape}]`);
      multiplyAdds += shape[0] * layer.units;
      shape = [layer.units];
    } else if (layer.type === 'conv2d') {
      const [h, w, c] = shape;
      if (layer.padding !== 'valid') throw new Error(`bench-training: conv2d padding '${layer.padding}' is not modelled`);
      const oh = Math.floor((h - layer.kernel) / layer.stride) + 1;
      const ow = Math.floor((w - layer.kernel) / layer.stride) + 1;
      multiplyAdds += oh * ow * layer.filters * c * layer.kernel * layer.kernel;
      shape = [oh, ow, layer.filters];
    } else if (layer.type === 'maxpool2d') {
      const [h, w, c] = shape;
      shape = [Math.floor((h - layer.pool) / layer.stride) + 1, Math.floor((w - layer.pool) / layer.stride) + 1, c];
    } else if (layer.type === 'flatten') {
      shape = [shape.reduce((product, d) => product * d, 1)];
    } else throw new Error(`bench-training: unknown layer type '${layer.type}'`);
    summary.push({ ...layer, output: shape });
  }
  return { layers: summary, multiplyAdds };
}

function describe(model, layers) {
  const parts = layers.map((layer) => {
    if (layer.type === 'dense') return `dense ${layer.units}${layer.activation === 'relu' ? ' + ReLU' : ''}`;
    if (layer.type === 'conv2d') return `conv ${layer.kernel}x${layer.kernel} ${layer.filters} ${layer.padding} + ReLU`;
    if (layer.type === 'maxpool2d') return `maxpool ${layer.pool}x${layer.pool} stride ${layer.stride}`;
    return layer.type;
  });
  return `input [${model.input}]${model.input.length === 3 ? ' (HWC)' : ''} -> ${parts.join(' -> ')} (logits) -> softmax cross-entropy`;
}

function parseArgs(argv) {
  const options = { quick: false, out: undefined, models: [], tfjs: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-tfjs') options.tfjs = false;
    else if (arg === '--out') {
      options.out = argv[++i];
      if (!options.out) throw new Error(`bench-training: --out needs a file name\n${USAGE}`);
    } else if (arg === '--model') {
      const name = argv[++i];
      if (!(name in MODELS)) throw new Error(`bench-training: --model takes one of ${Object.keys(MODELS).join(', ')}\n${USAGE}`);
      options.models.push(name);
    } else if (arg === '--help' || arg === '-h') {
      console.error(USAGE);
      process.exit(0);
    } else throw new Error(`bench-training: unknown option '${arg}'\n${USAGE}`);
  }
  if (options.models.length === 0) options.models = Object.keys(MODELS);
  return options;
}

const log = (message) => process.stderr.write(`${message}\n`);
const round = (value, digits = 2) => (value === undefined ? undefined : Number(value.toFixed(digits)));

/** Synthetic MNIST-shaped batches: pixels uniform in [0, 1), labels uniform over the classes, one-hot. */
function syntheticBatches(model, seed) {
  const next = seededUniform(seed);
  const pixels = model.input.reduce((product, d) => product * d, 1);
  const batches = [];
  for (let b = 0; b < DATA_BATCHES; b++) {
    const x = new Float32Array(BATCH * pixels);
    for (let i = 0; i < x.length; i++) x[i] = next();
    const labels = new Int32Array(BATCH);
    const oneHot = new Float32Array(BATCH * CLASSES);
    for (let i = 0; i < BATCH; i++) {
      labels[i] = Math.min(CLASSES - 1, Math.floor(next() * CLASSES));
      oneHot[i * CLASSES + labels[i]] = 1;
    }
    batches.push({ x, xShape: [BATCH, ...model.input], labels, oneHot });
  }
  return batches;
}

/**
 * TensorFlow.js 4.22's wasm backend has no Conv2DBackpropFilter kernel, so a conv layer cannot train there as shipped.
 * This registers one that runs the wasm backend's own Conv3DBackpropFilterV2 kernel on the same buffers viewed as
 * depth-1 volumes (x [N, 1, H, W, C], dy [N, 1, OH, OW, F], filter [1, KH, KW, C, F]); every other kernel is stock.
 * It matches tfjs-backend-cpu's Conv2DBackpropFilter at stride 1 ('valid' and 'same'; relative error about 2e-6).
 */
function registerWasmConv2dBackpropFilter(tf) {
  const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
  if (!conv3d) throw new Error('the wasm backend has no Conv3DBackpropFilterV2 kernel to build Conv2DBackpropFilter on');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs;
      const { strides, pad, dataFormat, filterShape } = attrs;
      if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm shim): dataFormat ${dataFormat} is not supported`);
      if (pad !== 'valid' && pad !== 'same')
        throw new Error(`Conv2DBackpropFilter (wasm shim): pad ${JSON.stringify(pad)} is not supported`);
      const [strideHeight, strideWidth] = typeof strides === 'number' ? [strides, strides] : strides;
      // Checked against tfjs-backend-cpu at stride 1 only (stride 2 disagreed), so other strides are refused.
      if (strideHeight !== 1 || strideWidth !== 1)
        throw new Error(`Conv2DBackpropFilter (wasm shim): strides [${strideHeight}, ${strideWidth}] are not supported, only 1`);
      const volume = (tensor) => ({ dataId: tensor.dataId, dtype: tensor.dtype, shape: [tensor.shape[0], 1, ...tensor.shape.slice(1)] });
      const dw = conv3d.kernelFunc({
        inputs: { x: volume(x), dy: volume(dy) },
        backend,
        attrs: { strides: [1, 1, 1], pad, filterShape: [1, ...filterShape] },
      });
      return { dataId: dw.dataId, dtype: dw.dtype, shape: filterShape };
    },
  });
}

async function loadTfjs() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const tfl = await import('@tensorflow/tfjs-layers');
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  const patches = [];
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    registerWasmConv2dBackpropFilter(tf);
    patches.push(
      "Conv2DBackpropFilter is not registered for the wasm backend in this TensorFlow.js; the benchmark registers it as the wasm backend's Conv3DBackpropFilterV2 kernel on depth-1 views of the same buffers",
    );
  }
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  const description = `TensorFlow.js ${tf.version_core} (layers ${tfl.version_layers}) wasm backend (XNNPACK${simd ? ', SIMD' : ''}, ${threads ? 'multi-threaded' : '1 thread'})`;
  return { tf, tfl, description, patches };
}

/**
 * TensorFlow.js's wasm backend as a training target: a tf.sequential model with seeded Glorot-uniform weights and zero
 * biases, compiled with Adam and softmax cross-entropy on logits, one model.trainOnBatch per step on batches held as
 * tensors (created once, outside the timing). trainOnBatch awaits loss.data(), so each step's work is done on return.
 */
function tfjsTarget(tf, tfl, description, patches) {
  const method =
    'tf.LayersModel.trainOnBatch (layers API): forward, tf.train.adam update of every trainable weight, loss read back via loss.data()';
  return {
    label: 'tfjs-wasm',
    description,
    method,
    /** The patches a model's training goes through: the Conv2DBackpropFilter shim only matters to conv layers. */
    patchesFor: (model) => (model.layers.some((layer) => layer.type === 'conv2d') ? patches : []),
    trainer(model, batches) {
      const network = tfl.sequential();
      let seed = SEED;
      const kernelInitializer = () => tfl.initializers.glorotUniform({ seed: seed++ });
      model.layers.forEach((layer, index) => {
        const first = index === 0 ? { inputShape: model.input } : {};
        if (layer.type === 'dense')
          network.add(
            tfl.layers.dense({ ...first, units: layer.units, activation: layer.activation, kernelInitializer: kernelInitializer() }),
          );
        else if (layer.type === 'conv2d')
          network.add(
            tfl.layers.conv2d({
              ...first,
              filters: layer.filters,
              kernelSize: layer.kernel,
              strides: layer.stride,
              padding: layer.padding,
              activation: layer.activation,
              dataFormat: 'channelsLast',
              kernelInitializer: kernelInitializer(),
            }),
          );
        else if (layer.type === 'maxpool2d')
          network.add(tfl.layers.maxPooling2d({ ...first, poolSize: layer.pool, strides: layer.stride, dataFormat: 'channelsLast' }));
        else if (layer.type === 'flatten') network.add(tfl.layers.flatten(first));
        else throw new Error(`bench-training: tfjs-wasm has no mapping for layer type '${layer.type}'`);
      });
      network.compile({
        optimizer: tf.train.adam(LEARNING_RATE),
        loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits),
      });
      const data = batches.map((batch) => ({
        x: tf.tensor(batch.x, batch.xShape),
        y: tf.tensor2d(batch.oneHot, [BATCH, CLASSES]),
      }));
      let next = 0;
      return {
        step: async () => {
          const batch = data[next];
          next = (next + 1) % data.length;
          const loss = await network.trainOnBatch(batch.x, batch.y);
          if (!Number.isFinite(loss)) throw new Error(`tfjs-wasm: training loss became ${loss}`);
          return loss;
        },
        dispose: () => {
          for (const batch of data) tf.dispose([batch.x, batch.y]);
          network.dispose();
        },
      };
    },
  };
}

/**
 * This engine as a training target: the same architecture through nn.sequential (NCHW: the CNN's input is [1, 28, 28]
 * with the same number of pixels), Kaiming-normal weights and zero biases, Adam, softmax cross-entropy, compiled once
 * with engine.compile. Plain: net.trainStep per step (the loss read back each step, like the peer). Pipelined:
 * net.step per step, the losses read back once per window (flush), as net.fit trains.
 */
function emergenceTarget(engineModule, engine, pipelined) {
  const { nn } = engineModule;
  const label = `emergence-${engine.backend}${pipelined ? '-pipelined' : ''}`;
  return {
    label,
    description: `emergence-engine ${engine.backend}: ${engine.description}`,
    method: pipelined
      ? 'engine.compile + net.step (one dispatch per step, no read-back between steps); net.losses() once at the end of each window'
      : 'engine.compile + net.trainStep (one dispatch per step, the loss read back each step)',
    async trainer(model, batches) {
      const layers = [];
      let shape = model.input.length === 3 ? [model.input[2], model.input[0], model.input[1]] : [...model.input];
      const inputShape = [...shape];
      for (const layer of model.layers) {
        if (layer.type === 'dense') {
          layers.push(nn.linear(shape[0], layer.units));
          shape = [layer.units];
        } else if (layer.type === 'conv2d') {
          if (layer.padding !== 'valid') throw new Error(`${label}: only 'valid' padding is mapped`);
          layers.push(nn.conv2d(shape[0], layer.filters, layer.kernel, { stride: layer.stride }));
          shape = [
            layer.filters,
            Math.floor((shape[1] - layer.kernel) / layer.stride) + 1,
            Math.floor((shape[2] - layer.kernel) / layer.stride) + 1,
          ];
        } else if (layer.type === 'maxpool2d') {
          layers.push(nn.maxPool2d(layer.pool, layer.stride));
          shape = [
            shape[0],
            Math.floor((shape[1] - layer.pool) / layer.stride) + 1,
            Math.floor((shape[2] - layer.pool) / layer.stride) + 1,
          ];
        } else if (layer.type === 'flatten') {
          layers.push(nn.flatten());
          shape = [shape.reduce((a, b) => a * b, 1)];
        } else throw new Error(`${label}: no mapping for layer type '${layer.type}'`);
        if (layer.activation === 'relu') layers.push(nn.relu());
      }
      const net = await engine.compile(nn.sequential(...layers), {
        inputShape,
        batchSize: BATCH,
        loss: 'cross-entropy',
        optimizer: { name: 'adam', lr: LEARNING_RATE },
        init: { name: 'kaiming-normal' },
        seed: SEED,
      });
      let next = 0;
      let lastLoss;
      const take = () => {
        const batch = batches[next];
        next = (next + 1) % batches.length;
        return batch;
      };
      return {
        step: pipelined
          ? async () => {
              const batch = take();
              await net.step(batch.x, batch.labels);
              return lastLoss;
            }
          : async () => {
              const batch = take();
              const loss = await net.trainStep(batch.x, batch.labels);
              if (!Number.isFinite(loss)) throw new Error(`${label}: training loss became ${loss}`);
              return loss;
            },
        ...(pipelined
          ? {
              flush: async () => {
                const losses = await net.losses();
                if (losses.length) lastLoss = losses[losses.length - 1];
                return lastLoss;
              },
            }
          : {}),
        dispose: () => void net.dispose(),
      };
    },
  };
}

/**
 * Trains one model on every target: each target warms up (at least settings.warmupSteps steps and warmupMs), which
 * fixes its steps per window; then the windows are taken round-robin. Returns each target's result, or records why it
 * has none in `errors`.
 */
async function timeTraining(targets, model, batches, settings, errors, modelName) {
  const live = [];
  for (const target of targets) {
    let trainer;
    try {
      trainer = await target.trainer(model, batches);
      const losses = [];
      const start = performance.now();
      while (losses.length < settings.warmupSteps || performance.now() - start < settings.warmupMs) losses.push(await trainer.step());
      if (trainer.flush) losses.push((await trainer.flush()) ?? losses.at(-1));
      const perStep = (performance.now() - start) / losses.length;
      const stepsPerWindow = Math.max(1, Math.round(settings.windowMs / perStep));
      log(`bench-training: ${modelName} on ${target.label}: ${perStep.toFixed(1)} ms/step in warm-up, ${stepsPerWindow} steps per window`);
      live.push({
        target,
        trainer,
        warmupSteps: losses.length,
        firstLoss: losses.find((loss) => loss !== undefined),
        lastLoss: losses.at(-1),
        stepsPerWindow,
        windows: [],
      });
    } catch (error) {
      errors[`${target.label} ${modelName}`] = error.message;
      log(`bench-training: ${target.label} ${modelName}: ${error.message}`);
      trainer?.dispose();
    }
  }
  for (let window = 0; window < settings.windows; window++) {
    for (const entry of live) {
      if (entry.failed) continue;
      try {
        const t0 = performance.now();
        for (let i = 0; i < entry.stepsPerWindow; i++) entry.lastLoss = await entry.trainer.step();
        if (entry.trainer.flush) entry.lastLoss = (await entry.trainer.flush()) ?? entry.lastLoss;
        entry.windows.push(performance.now() - t0);
      } catch (error) {
        entry.failed = true;
        errors[`${entry.target.label} ${modelName}`] = error.message;
        log(`bench-training: ${entry.target.label} ${modelName}: ${error.message}`);
      }
    }
  }
  const results = {};
  for (const entry of live) {
    entry.trainer.dispose();
    if (entry.failed) continue;
    const rates = entry.windows.map((ms) => (entry.stepsPerWindow * BATCH * 1000) / ms);
    results[entry.target.label] = {
      samplesPerSecond: round(median(rates), 1),
      samplesPerSecondBest: round(Math.max(...rates), 1),
      samplesPerSecondWorst: round(Math.min(...rates), 1),
      msPerStep: round((BATCH * 1000) / median(rates), 2),
      warmupSteps: entry.warmupSteps,
      stepsPerWindow: entry.stepsPerWindow,
      windows: entry.windows.length,
      lossFirstStep: round(entry.firstLoss, 4),
      lossLastStep: round(entry.lastLoss, 4),
      method: entry.target.method,
      ...(entry.target.patchesFor?.(model).length ? { patches: entry.target.patchesFor(model) } : {}),
    };
  }
  return results;
}

/**
 * Runs the training benchmark and returns its report (also printed as a table on stderr). `npm run bench` calls this
 * for the `training` part of its document; run directly, this file prints the report alone.
 */
export async function trainingBenchmark(options = { quick: false, models: Object.keys(MODELS), tfjs: true }) {
  const settings = options.quick ? QUICK : FULL;

  const targets = [];
  const unavailable = {};
  const errors = {};
  const engines = [];
  try {
    const engineModule = await import('./dist/index.js');
    const wasm = await engineModule.createEngine({ backend: 'wasm', log });
    engines.push(wasm);
    targets.push(emergenceTarget(engineModule, wasm, false), emergenceTarget(engineModule, wasm, true));
    const auto = await engineModule.createEngine({ backend: 'auto', log });
    if (auto.backend === 'webgpu') {
      engines.push(auto);
      targets.push(emergenceTarget(engineModule, auto, false), emergenceTarget(engineModule, auto, true));
    } else {
      unavailable['emergence-webgpu'] = 'no hardware WebGPU adapter (createEngine auto chose WebAssembly)';
      await auto.dispose();
    }
  } catch (error) {
    unavailable.emergence = error.message;
    log(`bench-training: emergence-engine unavailable (run npm run build first): ${error.message}`);
  }
  if (options.tfjs) {
    try {
      const { tf, tfl, description, patches } = await loadTfjs();
      targets.push(tfjsTarget(tf, tfl, description, patches));
    } catch (error) {
      unavailable['tfjs-wasm'] = error.message;
      log(`bench-training: TensorFlow.js unavailable: ${error.message}`);
    }
  }
  for (const target of targets) log(`bench-training: ${target.label}: ${target.description}`);

  const models = {};
  for (const name of options.models) {
    const model = MODELS[name];
    const { layers, multiplyAdds } = analyse(model);
    const flopPerSample = 6 * multiplyAdds;
    const batches = syntheticBatches(model, SEED + name.length);
    const results = await timeTraining(targets, model, batches, settings, errors, name);
    for (const result of Object.values(results)) result.gflops = round((result.samplesPerSecond * flopPerSample) / 1e9);
    models[name] = {
      architecture: describe(model, layers),
      layers,
      parameters: layers.reduce((total, layer, index) => {
        const inputs = index === 0 ? model.input : layers[index - 1].output;
        if (layer.type === 'dense') return total + (inputs[0] + 1) * layer.units;
        if (layer.type === 'conv2d') return total + (layer.kernel * layer.kernel * inputs[2] + 1) * layer.filters;
        return total;
      }, 0),
      batch: BATCH,
      optimizer: { name: 'adam', learningRate: LEARNING_RATE, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      loss: 'softmax cross-entropy on logits, mean over the batch',
      data: `synthetic, seeded: ${DATA_BATCHES} batches of [${[BATCH, ...model.input]}] pixels uniform in [0, 1) with uniform random one-hot labels, cycled`,
      multiplyAddsPerSample: multiplyAdds,
      flopPerSample,
      results,
    };
  }

  const report = {
    benchmark: 'emergence-engine training throughput',
    date: new Date().toISOString(),
    environment: { node: process.version, platform: `${process.platform} ${process.arch}`, cpu: cpus()[0]?.model, cores: cpus().length },
    method: `samplesPerSecond: median over ${settings.windows} timed windows per target after at least ${settings.warmupSteps} warm-up steps, windows taken round-robin across targets; each window runs a fixed number of steps (stepsPerWindow, chosen from the warm-up so a window lasts about ${settings.windowMs} ms) and every step reads its loss back; gflops = samplesPerSecond x flopPerSample, flopPerSample = 6 x forward multiply-adds (forward product, input-gradient product, weight-gradient product; the first layer's input gradient, which training does not need, is counted too)`,
    backends: Object.fromEntries(targets.map((target) => [target.label, target.description])),
    unavailable,
    models,
    errors,
  };
  for (const engine of engines) await engine.dispose();
  printTable(report);
  return report;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  // Third-party libraries print notices with console.log; stdout carries only the JSON document.
  console.log = (...args) => console.error(...args);
  const report = await trainingBenchmark(options);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  process.stdout.write(json);
  if (options.out) {
    const temporary = `${options.out}.${process.pid}.tmp`;
    await writeFile(temporary, json);
    await rename(temporary, options.out);
    log(`bench-training: wrote ${options.out}`);
  }
}

function printTable(report) {
  const header = ['model', 'target', 'samples/s', 'ms/step', 'GFLOP/s', 'loss first -> last'];
  const rows = [];
  for (const [name, model] of Object.entries(report.models)) {
    for (const [label, result] of Object.entries(model.results)) {
      rows.push([
        name,
        label,
        result.samplesPerSecond.toFixed(1),
        result.msPerStep.toFixed(1),
        result.gflops.toFixed(2),
        `${result.lossFirstStep?.toFixed(3) ?? '-'} -> ${result.lossLastStep?.toFixed(3) ?? '-'}`,
      ]);
    }
  }
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const format = (row) => row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  log('');
  log(format(header));
  for (const row of rows) log(format(row));
  for (const [what, message] of Object.entries(report.errors)) log(`  ${what}: ${message}`);
}

const runDirectly = import.meta.main ?? import.meta.url === pathToFileURL(process.argv[1] ?? '').href;
if (runDirectly) {
  main().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
