// Benchmark: matmul and conv2d GFLOP/s, then training samples/s, on this engine's backends and TensorFlow.js's wasm
// backend, in one process (the training part is build/bench-training.mjs, under `training` in the document).
//
// Usage: npm run build && npm run bench -- [--quick] [--out FILE] [--no-webgpu] [--no-tfjs] [--no-training]
// stdout carries one JSON document; progress and a human-readable table go to stderr. Every figure is the median of
// several samples taken after warm-up, the targets' samples interleaved; each sample repeats the op (reading its output
// back, which on WebGPU includes waiting for the device) until it lasts at least 25 ms. GFLOP/s counts 2 flops per
// multiply-add.
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'dist/index.js');

const USAGE = `usage: node build/bench.mjs [--quick] [--out FILE] [--no-webgpu] [--no-tfjs] [--no-training]
  --quick        fewer sizes and samples
  --out FILE     also write the JSON document to FILE
  --no-webgpu    skip the WebGPU backend
  --no-tfjs      skip TensorFlow.js
  --no-training  skip the training benchmark (samples/s of the MLP and CNN; see build/bench-training.mjs)`;

/** Matmul sizes (n x n x n) and the largest one WebGPU runs: software adapters are slow. */
const MATMUL_SIZES = [64, 128, 256, 512, 1024];
const QUICK_MATMUL_SIZES = [64, 256, 1024];
const WEBGPU_MAX_MATMUL = 256;
/** With a hardware GPU, larger products that only it runs (the CPU targets stop at 1024). */
const GPU_MATMUL_SIZES = [2048, 4096];
const CPU_MAX_MATMUL = 1024;

/** Realistic layers at batch 32: CIFAR-style 3x3 stacks, a stride-2 downsampling layer and MNIST's first 5x5 layer. */
const CONV_SHAPES = [
  { name: '3->32 ch, 32x32, 3x3 pad 1', x: [32, 3, 32, 32], w: [32, 3, 3, 3], stride: 1, padding: 1 },
  { name: '32->64 ch, 16x16, 3x3 pad 1', x: [32, 32, 16, 16], w: [64, 32, 3, 3], stride: 1, padding: 1 },
  { name: '64->128 ch, 8x8, 3x3 pad 1', x: [32, 64, 8, 8], w: [128, 64, 3, 3], stride: 1, padding: 1 },
  { name: '64->128 ch, 16x16, 3x3 stride 2 pad 1', x: [32, 64, 16, 16], w: [128, 64, 3, 3], stride: 2, padding: 1 },
  { name: '1->32 ch, 28x28, 5x5 pad 2', x: [32, 1, 28, 28], w: [32, 1, 5, 5], stride: 1, padding: 2 },
];
const QUICK_CONV_SHAPES = [CONV_SHAPES[0], CONV_SHAPES[2]];

/** One sample lasts at least this long; samples are taken until the budget is spent (within the min/max counts). */
const SAMPLE_MS = 25;
const FULL = { minSamples: 7, maxSamples: 15, budgetMs: 1500 };
const QUICK = { minSamples: 3, maxSamples: 5, budgetMs: 400 };
/** A backend whose single call takes longer than this skips the rest of that op's sizes. */
const SLOW_CALL_MS = 5000;

function parseArgs(argv) {
  const options = { quick: false, out: undefined, webgpu: true, tfjs: true, training: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-webgpu') options.webgpu = false;
    else if (arg === '--no-tfjs') options.tfjs = false;
    else if (arg === '--no-training') options.training = false;
    else if (arg === '--out') {
      options.out = argv[++i];
      if (!options.out) throw new Error(`bench: --out needs a file name\n${USAGE}`);
    } else if (arg === '--help' || arg === '-h') {
      console.error(USAGE);
      process.exit(0);
    } else throw new Error(`bench: unknown option '${arg}'\n${USAGE}`);
  }
  return options;
}

const log = (message) => process.stderr.write(`${message}\n`);
const elementsOf = (shape) => shape.reduce((product, d) => product * d, 1);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Times one workload on several targets and returns each one's median milliseconds per call. Every target is warmed up
 * first (at least 3 calls and 100 ms, so the JIT tiers have settled); then the samples are taken round-robin, one per
 * target per round, so a burst of outside load on this shared machine hits every target alike. Returns each target's
 * median and fastest sample. `jobs` are { key, run } with `run` async; failures and too-slow targets are reported
 * through `problems`.
 */
async function timeInterleaved(jobs, settings, problems) {
  const live = [];
  for (const job of jobs) {
    try {
      let start = performance.now();
      await job.run();
      const first = performance.now() - start;
      if (first > SLOW_CALL_MS) {
        problems(job, `one call took ${Math.round(first)} ms`, true);
        continue;
      }
      await job.finish?.();
      let calls = 1;
      start = performance.now();
      while (calls < 3 || performance.now() - start < 100) {
        await job.run();
        calls++;
        if (job.finish && calls % 8 === 0) await job.finish();
      }
      await job.finish?.();
      const perCall = (performance.now() - start) / (calls - 1);
      live.push({ job, repeats: Math.max(1, Math.ceil(SAMPLE_MS / Math.max(perCall, 1e-3))), samples: [] });
    } catch (error) {
      problems(job, error.message, false);
    }
  }
  const began = performance.now();
  const budget = settings.budgetMs * live.length;
  for (let round = 0; round < settings.maxSamples && (round < settings.minSamples || performance.now() - began < budget); round++) {
    for (const entry of live) {
      if (entry.failed) continue;
      try {
        const t0 = performance.now();
        for (let i = 0; i < entry.repeats; i++) await entry.job.run();
        await entry.job.finish?.();
        entry.samples.push((performance.now() - t0) / entry.repeats);
      } catch (error) {
        entry.failed = true;
        problems(entry.job, error.message, false);
      }
    }
  }
  return new Map(
    live
      .filter((entry) => !entry.failed)
      .map((entry) => [entry.job.key, { median: median(entry.samples), best: Math.min(...entry.samples) }]),
  );
}

/**
 * This engine as a benchmark target: matmul and conv2d on tensors it owns. By default every call reads its output back
 * (a call's time includes its round trip). `queued` (hardware GPUs): calls are only queued, and the last output is read
 * back at the end of each sample, so a sample measures the device's throughput rather than one round trip per call.
 */
function engineTarget(engine, label, { queued = false } = {}) {
  const job = (compute, inputs) => {
    if (!queued) {
      return {
        run: async () => {
          const out = compute();
          await out.read();
          out.dispose();
        },
        dispose: () => inputs.forEach((t) => t.dispose()),
      };
    }
    let last;
    return {
      run: async () => {
        last?.dispose();
        last = compute();
      },
      finish: async () => {
        if (last) await last.read();
      },
      dispose: () => {
        last?.dispose();
        inputs.forEach((t) => t.dispose());
      },
    };
  };
  return {
    label,
    description: engine.description,
    queued,
    matmul(n, a, b) {
      const x = engine.tensor(a, [n, n]);
      const y = engine.tensor(b, [n, n]);
      return job(() => engine.matmul(x, y), [x, y]);
    },
    conv2d(shape, xValues, wValues) {
      const x = engine.tensor(xValues, shape.x);
      const w = engine.tensor(wValues, shape.w);
      const attrs = { stride: shape.stride, padding: shape.padding };
      return job(() => engine.conv2d(x, w, attrs), [x, w]);
    },
  };
}

/** Software WebGPU renderers (as in src/backend/webgpu/device.ts): slow, so they keep small sizes and per-call reads. */
const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|software|warp|basic render/i;

/** TensorFlow.js's wasm backend (XNNPACK) as a benchmark target; conv2d takes NHWC input and HWIO filters. */
function tfjsTarget(tf, description) {
  return {
    label: 'tfjs-wasm',
    description,
    matmul(n, a, b) {
      const x = tf.tensor2d(a, [n, n]);
      const y = tf.tensor2d(b, [n, n]);
      return {
        run: async () => {
          const out = tf.matMul(x, y);
          out.dataSync();
          out.dispose();
        },
        dispose: () => (x.dispose(), y.dispose()),
      };
    },
    conv2d(shape, xValues, wValues) {
      const [N, C, H, W] = shape.x;
      const [O, , KH, KW] = shape.w;
      const x = tf.tidy(() => tf.transpose(tf.tensor4d(xValues, [N, C, H, W]), [0, 2, 3, 1]));
      const w = tf.tidy(() => tf.transpose(tf.tensor4d(wValues, [O, C, KH, KW]), [2, 3, 1, 0]));
      const pad = shape.padding === 0 ? 'valid' : shape.padding;
      return {
        run: async () => {
          const out = tf.conv2d(x, w, shape.stride, pad);
          out.dataSync();
          out.dispose();
        },
        dispose: () => (x.dispose(), w.dispose()),
      };
    },
  };
}

async function loadTfjs() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  const description = `TensorFlow.js ${tf.version_core} wasm backend (XNNPACK${simd ? ', SIMD' : ''}, ${threads ? 'multi-threaded' : '1 thread'})`;
  return { tf, description };
}

const round = (value, digits = 2) => (value === undefined ? undefined : Number(value.toFixed(digits)));

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(bundle)) throw new Error(`bench: ${bundle} is missing; run 'npm run build' first`);
  // Third-party libraries print notices with console.log; stdout carries only the JSON document.
  console.log = (...args) => console.error(...args);
  const settings = options.quick ? QUICK : FULL;
  const { createEngine, Random } = await import(bundle);

  const targets = [];
  const unavailable = {};
  const errors = {};
  const engines = [];
  const wasm = await createEngine({ backend: 'wasm' });
  engines.push(wasm);
  targets.push(engineTarget(wasm, 'wasm'));
  if (wasm.description.includes(' 1 thread')) log('bench: the wasm backend runs on 1 thread here; wasm-1thread is skipped');
  else {
    const single = await createEngine({ backend: 'wasm', threads: 1 });
    engines.push(single);
    targets.push(engineTarget(single, 'wasm-1thread'));
  }
  if (options.webgpu) {
    try {
      const gpu = await createEngine({ backend: 'webgpu' });
      engines.push(gpu);
      targets.push(engineTarget(gpu, 'webgpu', { queued: !SOFTWARE_GPU.test(gpu.description) }));
    } catch (error) {
      unavailable.webgpu = error.message;
      log(`bench: WebGPU unavailable: ${error.message}`);
    }
  } else unavailable.webgpu = 'skipped (--no-webgpu)';
  let reference;
  if (options.tfjs) {
    try {
      const { tf, description } = await loadTfjs();
      reference = tfjsTarget(tf, description);
      targets.push(reference);
    } catch (error) {
      unavailable['tfjs-wasm'] = error.message;
      log(`bench: TensorFlow.js unavailable: ${error.message}`);
    }
  } else unavailable['tfjs-wasm'] = 'skipped (--no-tfjs)';
  // Let the worker threads start and park before the first timed call.
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const target of targets) log(`bench: ${target.label}: ${target.description}`);

  const tooSlow = new Set();
  /**
   * GFLOP/s of one workload on every target that takes it, from the median sample (gflops) and the fastest one
   * (gflopsBest); `build(target)` makes { run, dispose } or undefined.
   */
  async function timeAll(op, key, flop, build) {
    const jobs = [];
    for (const target of targets) {
      if (tooSlow.has(`${target.label} ${op}`)) continue;
      try {
        const job = build(target);
        if (job) jobs.push({ ...job, key: target.label });
      } catch (error) {
        errors[`${target.label} ${op} ${key}`] = error.message;
      }
    }
    log(`bench: ${op} ${key} on ${jobs.map((job) => job.key).join(', ')}`);
    const problems = (job, message, slow) => {
      if (slow) tooSlow.add(`${job.key} ${op}`);
      errors[`${job.key} ${op} ${key}`] = slow ? `${message}; larger sizes skipped` : message;
      log(`bench: ${job.key} ${op} ${key}: ${message}`);
    };
    try {
      const times = await timeInterleaved(jobs, settings, problems);
      const rate = (pick) => Object.fromEntries([...times].map(([label, ms]) => [label, round(flop / (ms[pick] * 1e6))]));
      return { gflops: rate('median'), gflopsBest: rate('best') };
    } finally {
      for (const job of jobs) job.dispose();
    }
  }

  const ratios = (gflops) => {
    if (!reference || !gflops[reference.label]) return {};
    const out = {};
    for (const target of targets) {
      if (target !== reference && gflops[target.label]) out[target.label] = round(gflops[target.label] / gflops[reference.label]);
    }
    return out;
  };

  const matmul = [];
  const hardwareGpu = targets.some((target) => target.queued);
  for (const n of [...(options.quick ? QUICK_MATMUL_SIZES : MATMUL_SIZES), ...(hardwareGpu ? GPU_MATMUL_SIZES : [])]) {
    const rng = new Random(n);
    const a = rng.uniformArray(n * n);
    const b = rng.uniformArray(n * n);
    const flop = 2 * n ** 3;
    const { gflops, gflopsBest } = await timeAll('matmul', n, flop, (target) =>
      (target.label === 'webgpu' && !target.queued && n > WEBGPU_MAX_MATMUL) || (target.label !== 'webgpu' && n > CPU_MAX_MATMUL)
        ? undefined
        : target.matmul(n, a, b),
    );
    matmul.push({ n, flop, gflops, gflopsBest, ratioToTfjs: ratios(gflops) });
  }

  const conv2d = [];
  for (const shape of options.quick ? QUICK_CONV_SHAPES : CONV_SHAPES) {
    const [N, C, H, W] = shape.x;
    const [O, , KH, KW] = shape.w;
    const OH = Math.floor((H + 2 * shape.padding - KH) / shape.stride) + 1;
    const OW = Math.floor((W + 2 * shape.padding - KW) / shape.stride) + 1;
    const flop = 2 * N * O * OH * OW * C * KH * KW;
    const rng = new Random(flop % 1_000_003);
    const xValues = rng.uniformArray(elementsOf(shape.x));
    const wValues = rng.uniformArray(elementsOf(shape.w));
    const { gflops, gflopsBest } = await timeAll('conv2d', shape.name, flop, (target) => target.conv2d(shape, xValues, wValues));
    conv2d.push({
      name: shape.name,
      x: shape.x,
      w: shape.w,
      stride: shape.stride,
      padding: shape.padding,
      flop,
      gflops,
      gflopsBest,
      ratioToTfjs: ratios(gflops),
    });
  }

  for (const engine of engines) await engine.dispose();

  const report = {
    benchmark: 'emergence-engine matmul and conv2d',
    date: new Date().toISOString(),
    environment: { node: process.version, platform: `${process.platform} ${process.arch}`, cpu: cpus()[0]?.model, cores: cpus().length },
    method: `gflops: median of ${settings.minSamples}-${settings.maxSamples} samples per target after warm-up, taken round-robin across targets (gflopsBest: the fastest sample); each sample repeats the op for at least ${SAMPLE_MS} ms, reading every output back (CPU targets and software GPUs) or, on a hardware GPU ('queued' in backends), queuing the calls and reading the last output back at the end of the sample; GFLOP/s = 2 x multiply-adds / time; ratioToTfjs compares medians`,
    backends: Object.fromEntries(
      targets.map((target) => [target.label, target.queued ? `${target.description}, queued` : target.description]),
    ),
    unavailable,
    matmul,
    conv2d,
    errors,
  };
  printTable(
    report,
    targets.map((target) => target.label),
  );
  if (options.training) {
    // The training benchmark (build/bench-training.mjs): samples/s of the MLP and CNN on each backend and TensorFlow.js.
    const { trainingBenchmark } = await import('./bench-training.mjs');
    report.training = await trainingBenchmark({ quick: options.quick, models: ['mlp', 'cnn'], tfjs: options.tfjs });
  }
  const json = `${JSON.stringify(report, null, 2)}\n`;
  process.stdout.write(json);
  if (options.out) {
    const temporary = `${options.out}.${process.pid}.tmp`;
    await writeFile(temporary, json);
    await rename(temporary, options.out);
    log(`bench: wrote ${options.out}`);
  }
}

function printTable(report, labels) {
  const ratioLabels = labels.filter((label) => label !== 'tfjs-wasm');
  const header = ['', ...labels.map((label) => `${label} GFLOP/s`), ...ratioLabels.map((label) => `${label}/tfjs`)];
  const rows = [...report.matmul.map((row) => [`matmul ${row.n}`, row]), ...report.conv2d.map((row) => [`conv2d ${row.name}`, row])].map(
    ([name, row]) => [
      name,
      ...labels.map((label) => (row.gflops[label] === undefined ? '-' : row.gflops[label].toFixed(1))),
      ...ratioLabels.map((label) => (row.ratioToTfjs[label] === undefined ? '-' : `${row.ratioToTfjs[label].toFixed(2)}x`)),
    ],
  );
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const format = (row) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  log('');
  log(format(header));
  for (const row of rows) log(format(row));
  for (const [what, message] of Object.entries(report.errors)) log(`  ${what}: ${message}`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
