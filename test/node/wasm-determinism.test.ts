// Bit-reproducibility of WebAssembly training: a late wake-up never makes a pool worker rerun a kernel, and one seed gives the
// same bits on every run and every thread count, also while busy threads oversubscribe the CPU.
import { Worker } from 'node:worker_threads';
import { Random, createEngine, nn, type Engine, type Sequential } from 'emergence-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What one training run leaves behind, as raw bits so that -0/+0 and NaN payloads count too. */
interface RunBits {
  description: string;
  losses: Uint32Array;
  evaluation: { loss: number; accuracy: number | undefined };
  parameters: Record<string, Uint32Array>;
}

interface Workload {
  name: string;
  model: () => Sequential;
  inputShape: number[];
  batchSize: number;
  /** Training steps: more than one loss block (16) of the net, so a block checkpoint is taken mid-run. */
  steps: number;
  /** Evaluation samples: not a multiple of batchSize, so the remainder runs a program of its own batch size. */
  evaluationSamples: number;
}

const CLASSES = 10;

/**
 * Sizes chosen so that the products, the element-wise kernels and the Adam update of the hidden layers cross the
 * parallel threshold and split across threads, with partial 4x8 GEMM tiles (rows 100 = 25 x 4, columns 420 and 330 not
 * multiples of 8) and shares that do not divide evenly.
 */
const MLP: Workload = {
  name: 'MLP 196-420-330-10, Adam, batch 100',
  model: () => nn.sequential(nn.flatten(), nn.linear(196, 420), nn.relu(), nn.linear(420, 330), nn.relu(), nn.linear(330, CLASSES)),
  inputShape: [1, 14, 14],
  batchSize: 100,
  steps: 20,
  evaluationSamples: 250,
};

/** Convolutions (forward, input and filter gradients), batch norm's moments, pooling and its backward pass. */
const CNN: Workload = {
  name: 'CNN conv-conv-batchnorm-pool-linear, Adam, batch 50',
  model: () =>
    nn.sequential(
      nn.conv2d(1, 8, 3, { padding: 1 }),
      nn.relu(),
      nn.conv2d(8, 16, 3, { padding: 1 }),
      nn.batchNorm2d(16),
      nn.relu(),
      nn.maxPool2d(2),
      nn.flatten(),
      nn.linear(16 * 7 * 7, CLASSES),
    ),
  inputShape: [1, 14, 14],
  batchSize: 50,
  steps: 18,
  evaluationSamples: 120,
};

/** Seeded inputs in [0, 1) and labels in [0, CLASSES). */
function syntheticData(samples: number, features: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const random = new Random(seed);
  const x = random.uniformArray(samples * features, 0, 1);
  const labels = new Int32Array(samples);
  for (let i = 0; i < samples; i++) labels[i] = random.int(CLASSES);
  return { x, labels };
}

/** Compiles the workload on a fresh engine with `threads` threads, trains it step by step and records every bit. */
async function train(workload: Workload, threads: number): Promise<RunBits> {
  const engine: Engine = await createEngine({ backend: 'wasm', threads });
  try {
    const features = workload.inputShape.reduce((a, b) => a * b, 1);
    const net = await engine.compile(workload.model(), {
      inputShape: workload.inputShape,
      batchSize: workload.batchSize,
      loss: 'cross-entropy',
      optimizer: { name: 'adam', lr: 1e-3 },
      seed: 7,
    });
    const { x, labels } = syntheticData(workload.steps * workload.batchSize, features, 11);
    const batch = workload.batchSize;
    for (let s = 0; s < workload.steps; s++) {
      await net.step(x.subarray(s * batch * features, (s + 1) * batch * features), labels.subarray(s * batch, (s + 1) * batch));
    }
    const losses = await net.losses();
    const held = syntheticData(workload.evaluationSamples, features, 13);
    const evaluation = await net.evaluate(held.x, held.labels);
    const state = await net.stateDict();
    const parameters = Object.fromEntries(Object.entries(state).map(([name, values]) => [name, bitsOf(values)]));
    await net.dispose();
    return {
      description: engine.description,
      losses: bitsOf(losses),
      evaluation: { loss: evaluation.loss, accuracy: evaluation.accuracy },
      parameters,
    };
  } finally {
    await engine.dispose();
  }
}

function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/** The first difference between two runs, named, or undefined when every bit matches. */
function firstDifference(reference: RunBits, run: RunBits): string | undefined {
  if (run.losses.length !== reference.losses.length) return `${run.losses.length} losses, expected ${reference.losses.length}`;
  const step = run.losses.findIndex((bits, i) => bits !== reference.losses[i]);
  if (step >= 0) return `loss of step ${step + 1}: ${hex(run.losses[step])}, expected ${hex(reference.losses[step])}`;
  for (const [name, expected] of Object.entries(reference.parameters)) {
    const actual = run.parameters[name];
    if (!actual) return `parameter '${name}' is missing`;
    const i = actual.findIndex((bits, j) => bits !== expected[j]);
    if (i >= 0) return `'${name}'[${i}]: ${hex(actual[i])}, expected ${hex(expected[i])}`;
  }
  if (!Object.is(run.evaluation.loss, reference.evaluation.loss) || run.evaluation.accuracy !== reference.evaluation.accuracy) {
    return `evaluation ${JSON.stringify(run.evaluation)}, expected ${JSON.stringify(reference.evaluation)}`;
  }
  return undefined;
}

function hex(bits: number): string {
  return `0x${bits.toString(16).padStart(8, '0')}`;
}

/** Busy threads in this process: with the pool's own threads they oversubscribe the cores, so the OS preempts workers. */
function startBusyThreads(count: number): Worker[] {
  return Array.from({ length: count }, () => {
    const worker = new Worker('for (;;) {}', { eval: true });
    worker.unref();
    return worker;
  });
}

/** The WebAssembly backend's hook for waking idle workers without a job (see ThreadPool.wakeIdle). */
interface IdleWaking {
  wakeIdleWorkers(): number;
}

describe('WebAssembly thread pool', () => {
  it('a wake-up that arrives after its job (the caller descheduled before notifying) does not run the job again', async () => {
    const engine = await createEngine({ backend: 'wasm', threads: 2 });
    try {
      const backend = engine.backendImpl as unknown as IdleWaking;
      // 2^16 elements: above the parallel threshold, so the worker computes the second half of relu's output.
      const size = 1 << 16;
      const before = new Float32Array(size).fill(-1);
      const x = engine.tensor(before, [size]);
      const y = engine.relu(x);
      // The worker's last job read x and wrote y. Change x: a worker that ran that job again would write relu(2) = 2.
      engine.backendImpl.write(x.deviceBuffer(), new Float32Array(size).fill(2));
      // The worker spins briefly after a job, then sleeps: wake it once it sleeps, as the job's own late notify would.
      let woken = 0;
      for (let attempt = 0; attempt < 2000 && woken === 0; attempt++) {
        woken = backend.wakeIdleWorkers();
        if (woken === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(woken, 'the worker went to sleep after its job').toBe(1);
      // Time for a worker that took the wake-up for a job to rerun relu (microseconds) before y is read.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const values = await y.read();
      const rerunAt = values.findIndex((v) => v !== 0);
      expect(rerunAt, `y[${rerunAt}] = ${values[rerunAt]}: the worker ran relu again on the new x`).toBe(-1);
      // The pool still counts each job once: the next kernel waits for the worker's share.
      const z = engine.relu(x);
      expect(Array.from(new Set(await z.read()))).toEqual([2]);
      for (const t of [x, y, z]) t.dispose();
    } finally {
      await engine.dispose();
    }
  });
});

describe('WebAssembly training is bit-reproducible', () => {
  let busy: Worker[] = [];
  beforeAll(() => {
    busy = startBusyThreads(2);
  });
  afterAll(async () => {
    await Promise.all(busy.map((worker) => worker.terminate()));
  });

  for (const workload of [MLP, CNN]) {
    it(`${workload.name}: same bits on 1 thread, twice on 2, and on 3, with the CPU oversubscribed`, async () => {
      // One thread runs every kernel on the caller, without the pool: the reference that no race can touch. The kernels
      // split their outputs, never a sum, so every thread count must reproduce it exactly.
      const reference = await train(workload, 1);
      expect(reference.description).toContain('1 thread');
      expect(reference.losses.length).toBe(workload.steps);
      for (const threads of [2, 2, 3]) {
        const run = await train(workload, threads);
        expect(run.description).toContain(`${threads} threads`);
        expect(firstDifference(reference, run), `${threads} threads against 1`).toBeUndefined();
      }
    });
  }
});
