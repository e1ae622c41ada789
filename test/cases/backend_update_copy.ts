// Backend.update (new dims for a prepared kernel, nothing allocated) and Backend.prepareCopy (copies ordered among kernels).
import { EngineError, Random, assertClose, opSpecs, referenceOp, type Engine, type Tensor, type Tolerance } from 'emergence-engine';
import type { TestGroup } from './types.js';

const exact: Tolerance = { atol: 0, rtol: 0 };
/** x * alpha + beta may be fused (one rounding) or not (two); see test/cases/elementwise.ts. */
const scaleTolerance: Tolerance = { atol: 1e-6, rtol: 2.4e-7 };
/** One optimizer step against the float64 reference; test/cases/optimizers.ts measures and justifies it. */
const stepTolerance: Tolerance = { atol: 1e-6, rtol: 1e-6 };

const meta = (t: Tensor) => ({ shape: t.shape, dtype: 'float32' as const });

function scaleDims(x: Tensor, alpha: number, beta: number) {
  return opSpecs.scale.infer({ x: meta(x) }, { alpha, beta }).dims;
}

function expectSameStats(before: ReturnType<Engine['memory']>, after: ReturnType<Engine['memory']>, what: string): void {
  for (const key of ['allocated', 'pooled', 'bytes'] as const) {
    if (before[key] !== after[key]) throw new Error(`${what}: pool '${key}' went from ${before[key]} to ${after[key]}`);
  }
}

/** Runs fn and checks that it throws an EngineError whose message contains every fragment. */
function expectEngineError(fn: () => unknown, ...fragments: string[]): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof EngineError)) throw new Error(`expected an EngineError, got ${String(error)}`);
    for (const fragment of fragments) {
      if (!error.message.includes(fragment)) throw new Error(`EngineError message '${error.message}' lacks '${fragment}'`);
    }
    return;
  }
  throw new Error(`expected an EngineError mentioning ${fragments.join(', ')}; nothing was thrown`);
}

const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true };

export const backendUpdateCopyGroup: TestGroup = {
  name: 'backend update and copy',
  cases: [
    {
      name: 'update re-targets a prepared scale kernel; dispatches before it keep the old numbers; nothing is allocated',
      async run(engine) {
        const backend = engine.backendImpl;
        const size = 1000;
        const values = new Random(3).uniformArray(size, -2, 2);
        const x = engine.tensor(values, [size]);
        const out = engine.zeros([size]);
        const before = engine.zeros([size]);
        const kernel = backend.prepare('scale', [x.deviceBuffer()], [out.deviceBuffer()], scaleDims(x, 2, 1));
        const keep = backend.prepareCopy(out.deviceBuffer(), 0, before.deviceBuffer(), 0, size * 4);
        try {
          const stats = engine.memory();
          backend.dispatch([kernel, keep]);
          // Not awaited: the next dispatch must still see alpha 2 and beta 1 for the first one.
          backend.update(kernel, scaleDims(x, -0.5, 3));
          backend.dispatch([kernel]);
          expectSameStats(stats, engine.memory(), 'update and two dispatches');
          const [first] = referenceOp('scale', { x: values }, { alpha: 2, beta: 1 });
          const [second] = referenceOp('scale', { x: values }, { alpha: -0.5, beta: 3 });
          assertClose(await before.read(), first, scaleTolerance, 'the dispatch before update');
          assertClose(await out.read(), second, scaleTolerance, 'the dispatch after update');
        } finally {
          kernel.release();
          keep.release();
        }
      },
    },
    {
      name: "update moves a prepared adamUpdate kernel to another step and learning rate (Adam's bias corrections)",
      async run(engine) {
        const backend = engine.backendImpl;
        const size = 1001;
        const random = new Random(12);
        const inputs = {
          param: random.uniformArray(size),
          grad: random.uniformArray(size),
          m: random.uniformArray(size, -0.1, 0.1),
          v: random.uniformArray(size, 0.1, 2),
          mask: Float32Array.from({ length: size }, (_, i) => (i % 5 === 0 ? 0 : 1)),
        };
        const tensors = Object.values(inputs).map((values) => engine.tensor(values, [size]));
        const outputs = [engine.zeros([size]), engine.zeros([size]), engine.zeros([size])];
        const metas = { param: meta(tensors[0]), grad: meta(tensors[1]), m: meta(tensors[2]), v: meta(tensors[3]), mask: meta(tensors[4]) };
        const dimsAt = (step: number, lr: number) => opSpecs.adamUpdate.infer(metas, { ...ADAM, lr, step }).dims;
        const kernel = backend.prepare(
          'adamUpdate',
          tensors.map((t) => t.deviceBuffer()),
          outputs.map((t) => t.deviceBuffer()),
          dimsAt(1, 1e-3),
        );
        try {
          for (const [step, lr] of [
            [1, 1e-3],
            [7, 1e-3],
            [8, 2.5e-4],
          ]) {
            const stats = engine.memory();
            if (step > 1) backend.update(kernel, dimsAt(step, lr));
            backend.dispatch([kernel]);
            expectSameStats(stats, engine.memory(), `update to step ${step}`);
            const expected = referenceOp('adamUpdate', inputs, { ...ADAM, lr, step });
            for (const [k, name] of ['param', 'm', 'v'].entries()) {
              assertClose(await outputs[k].read(), expected[k], stepTolerance, `step ${step}, lr ${lr}: new ${name}`);
            }
          }
        } finally {
          kernel.release();
        }
      },
    },
    {
      name: 'copies into offsets of a ring buffer run in order between kernels, and kernels after them see the copies',
      async run(engine) {
        const backend = engine.backendImpl;
        const values = Float32Array.of(1.5, -2, 4, 8);
        const x = engine.tensor(values, [4]);
        const y = engine.zeros([4]);
        const ring = engine.zeros([8]);
        const z = engine.zeros([8]);
        const [xb, yb, rb] = [x.deviceBuffer(), y.deviceBuffer(), ring.deviceBuffer()];
        const double = backend.prepare('scale', [xb], [yb], scaleDims(x, 2, 0));
        const triple = backend.prepare('scale', [xb], [yb], scaleDims(x, 3, 0));
        const readRing = backend.prepare('scale', [rb], [z.deviceBuffer()], scaleDims(ring, 1, 0.5));
        const stats = engine.memory();
        const list = [
          double,
          // y[0] into slot 5, then y[1..3) into slots 1 and 2: each before the kernel that overwrites y.
          backend.prepareCopy(yb, 0, rb, 20, 4),
          backend.prepareCopy(yb, 4, rb, 4, 8),
          triple,
          backend.prepareCopy(yb, 12, rb, 24, 4),
          readRing,
          backend.prepareCopy(yb, 0, rb, 0, 4),
        ];
        try {
          backend.dispatch(list);
          expectSameStats(stats, engine.memory(), 'preparing and dispatching copies and kernels');
          const ringBefore = [0, 2 * -2, 2 * 4, 0, 0, 2 * 1.5, 3 * 8, 0];
          assertClose(
            await z.read(),
            Float32Array.from(ringBefore, (v) => v + 0.5),
            exact,
            'the kernel after the copies',
          );
          assertClose(await ring.read(), [3 * 1.5, ...ringBefore.slice(1)], exact, 'ring after the list');
          assertClose(
            await y.read(),
            Float32Array.from(values, (v) => 3 * v),
            exact,
            'y after the list',
          );
          // A list of copies only, dispatched again: the ring keeps its slots.
          backend.dispatch([list[1]]);
          assertClose(await ring.read(), [4.5, -4, 8, 0, 0, 4.5, 24, 0], exact, 'ring after a copy-only list');
        } finally {
          for (const k of list) k.release();
        }
      },
    },
    {
      name: 'prepareCopy rejects unaligned, negative, out-of-range and same-buffer copies, naming the numbers',
      async run(engine) {
        const backend = engine.backendImpl;
        const src = engine.zeros([4]).deviceBuffer();
        const dst = engine.zeros([8]).deviceBuffer();
        const stats = engine.memory();
        expectEngineError(() => backend.prepareCopy(src, 2, dst, 0, 4), 'prepareCopy', 'srcByteOffset', 'multiple of 4', 'got 2');
        expectEngineError(() => backend.prepareCopy(src, 0, dst, -4, 4), 'dstByteOffset', 'got -4');
        expectEngineError(() => backend.prepareCopy(src, 0, dst, 0, 6), 'bytes must be a positive multiple of 4, got 6');
        expectEngineError(() => backend.prepareCopy(src, 0, dst, 0, 0), 'got 0');
        expectEngineError(() => backend.prepareCopy(src, 8, dst, 0, 12), 'source range [8, 20)', '16-byte buffer');
        expectEngineError(() => backend.prepareCopy(src, 0, dst, 28, 8), 'destination range [28, 36)', '32-byte buffer');
        expectEngineError(() => backend.prepareCopy(dst, 0, dst, 16, 8), 'same 32-byte buffer');
        expectSameStats(stats, engine.memory(), 'rejected copies');
      },
    },
    {
      name: 'update of a copy, or of a released kernel, is an EngineError naming the op',
      async run(engine) {
        const backend = engine.backendImpl;
        const x = engine.zeros([4]);
        const y = engine.zeros([4]);
        const copy = backend.prepareCopy(x.deviceBuffer(), 0, y.deviceBuffer(), 0, 16);
        expectEngineError(() => backend.update(copy as never, scaleDims(x, 1, 0)), "update of 'copy'", 'a copy has no dims');
        const kernel = backend.prepare('scale', [x.deviceBuffer()], [y.deviceBuffer()], scaleDims(x, 1, 0));
        kernel.release();
        expectEngineError(() => backend.update(kernel, scaleDims(x, 2, 0)), "update of 'scale'", 'released');
      },
    },
    {
      name: 'WebGPU: update refuses dims that change the workgroup count or the override constants',
      backends: ['webgpu'],
      async run(engine) {
        const backend = engine.backendImpl;
        const x = engine.zeros([256]);
        const y = engine.zeros([256]);
        const scale = backend.prepare('scale', [x.deviceBuffer()], [y.deviceBuffer()], scaleDims(x, 1, 0));
        const wider = scaleDims(engine.zeros([257]), 1, 0);
        expectEngineError(() => backend.update(scale, wider), "update of 'scale'", 'workgroup count from [1, 1, 1] to [2, 1, 1]');
        scale.release();
        const logits = engine.zeros([2, 10]);
        const labels = engine.tensor(Int32Array.of(0, 1), [2]);
        const losses = engine.zeros([2]);
        const grad = engine.zeros([2, 10]);
        const dims = opSpecs.softmaxCrossEntropy.infer({ logits: meta(logits), labels: { shape: [2], dtype: 'int32' } }, {}).dims;
        const [inputs, outputs] = [
          [logits, labels],
          [losses, grad],
        ].map((ts) => ts.map((t) => t.deviceBuffer()));
        const kernel = backend.prepare('softmaxCrossEntropy', inputs, outputs, dims);
        try {
          expectEngineError(
            () => backend.update(kernel, { N: 2, C: 1000 }),
            'override constants',
            '"WORKGROUP_SIZE":32',
            '"WORKGROUP_SIZE":256',
          );
        } finally {
          kernel.release();
        }
      },
    },
    {
      name: 'WebAssembly: update refuses dims that need more scratch than was prepared',
      backends: ['wasm'],
      async run(engine) {
        const backend = engine.backendImpl;
        const a = engine.zeros([8, 8]);
        const out = engine.zeros([8, 8]);
        const dimsFor = (n: number) =>
          opSpecs.matmul.infer(
            { a: { shape: [n, n], dtype: 'float32' }, b: { shape: [n, n], dtype: 'float32' } },
            { transposeA: false, transposeB: false },
          ).dims;
        const kernel = backend.prepare('matmul', [a.deviceBuffer(), a.deviceBuffer()], [out.deviceBuffer()], dimsFor(8));
        try {
          expectEngineError(() => backend.update(kernel, dimsFor(64)), "update of 'matmul'", 'bytes of scratch', 'prepare a new kernel');
          // Smaller dims fit the scratch already there.
          backend.update(kernel, dimsFor(4));
        } finally {
          kernel.release();
        }
      },
    },
  ],
};
