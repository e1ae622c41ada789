// Memory: the buffer pool stops growing after warm-up, scopes free what they created, dispose is idempotent, views share storage.
import { DisposedTensorError, Random, type Engine, type Tensor } from 'emergence-engine';
import type { TestGroup } from './types.js';

function expectEqual<T extends number | string>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}

/** One training-like step of work in a scope: a product, elementwise ops and a reduction, read back. */
async function step(engine: Engine, x: Tensor, w: Tensor): Promise<number> {
  const loss = engine.scope(() => {
    const h = engine.relu(engine.matmul(x, w));
    const y = engine.add(engine.scale(h, 0.5, 0.25), h);
    return engine.mean(y);
  });
  const [value] = await loss.read();
  loss.dispose();
  return value;
}

export const memoryGroup: TestGroup = {
  name: 'memory',
  cases: [
    {
      name: 'repeated ops in engine.scope do not grow memory after warm-up',
      async run(engine) {
        const random = new Random(7);
        const x = engine.tensor(random.uniformArray(32 * 48), [32, 48]);
        const w = engine.tensor(random.uniformArray(48 * 40), [48, 40]);
        const first = await step(engine, x, w);
        const warm = engine.memory();
        for (let i = 0; i < 20; i++) {
          const value = await step(engine, x, w);
          if (value !== first)
            throw new Error(`step ${i + 2} gave ${value}, the first gave ${first}: same inputs must give the same result`);
        }
        const after = engine.memory();
        expectEqual(after.bytes, warm.bytes, 'bytes held by the engine after 20 more steps');
        expectEqual(after.allocated, warm.allocated, 'buffers in use after 20 more steps');
      },
    },
    {
      name: 'scope disposes what it created and keeps what it returns, through nested and async scopes',
      async run(engine) {
        const x = engine.tensor([-1, 2, -3, 4], [4]);
        const baseline = engine.memory().allocated;
        let inner: Tensor | undefined;
        const kept = engine.scope(() => {
          inner = engine.relu(x);
          return { result: [engine.scale(inner, 2)] };
        }).result[0];
        if (!inner?.disposed) throw new Error('a tensor created in the scope and not returned was not disposed');
        if (kept.disposed) throw new Error('the returned tensor was disposed');
        if (x.disposed) throw new Error('a tensor created before the scope was disposed');
        expectEqual(engine.memory().allocated, baseline + 1, 'buffers in use after the scope');
        expectEqual((await kept.read())[3], 8, 'returned value');

        let fromInner: Tensor | undefined;
        const outer = engine.scope(() => {
          fromInner = engine.scope(() => engine.relu(x));
          return engine.scale(fromInner, 3);
        });
        if (!fromInner?.disposed) throw new Error('a tensor returned by an inner scope outlived the outer scope that dropped it');
        expectEqual((await outer.read())[1], 6, 'value returned through nested scopes');

        const fromAsync = await engine.scope(async () => {
          const y = engine.relu(x);
          await y.read();
          return engine.scale(y, -1);
        });
        expectEqual((await fromAsync.read())[3], -4, 'value returned from an async scope');
        kept.dispose();
        outer.dispose();
        fromAsync.dispose();
        expectEqual(engine.memory().allocated, baseline, 'buffers in use after disposing the results');
      },
    },
    {
      name: 'disposing twice is harmless; a disposed tensor cannot be read',
      async run(engine) {
        const baseline = engine.memory().allocated;
        const t = engine.tensor([1, 2, 3], [3]);
        expectEqual(engine.memory().allocated, baseline + 1, 'buffers in use after tensor()');
        t.dispose();
        t.dispose();
        if (!t.disposed) throw new Error('tensor.disposed is false after dispose()');
        expectEqual(engine.memory().allocated, baseline, 'buffers in use after disposing twice');
        let caught: unknown;
        await t.read().catch((error: unknown) => (caught = error));
        if (!(caught instanceof DisposedTensorError)) throw new Error(`reading a disposed tensor gave ${String(caught)}`);
      },
    },
    {
      name: 'reshape views share storage, which is freed when the last view is disposed',
      async run(engine) {
        const baseline = engine.memory().allocated;
        const x = engine.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
        const v = engine.reshape(x, [3, 2]);
        const w = engine.reshape(v, [6]);
        expectEqual(engine.memory().allocated, baseline + 1, 'buffers in use for a tensor and two views');
        if (v.shape.join() !== '3,2' || w.shape.join() !== '6') throw new Error(`view shapes ${v.shape} and ${w.shape}`);
        x.dispose();
        v.dispose();
        expectEqual(engine.memory().allocated, baseline + 1, 'buffers in use while one view is alive');
        expectEqual([...(await w.read())].join(), '1,2,3,4,5,6', 'values read through the last view');
        const doubled = engine.scale(w, 2);
        expectEqual((await doubled.read())[5], 12, 'an op on the last view');
        w.dispose();
        doubled.dispose();
        expectEqual(engine.memory().allocated, baseline, 'buffers in use after disposing every view');
      },
    },
  ],
};
