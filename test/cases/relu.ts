// ReLU and its mask against the reference, on shapes that cross workgroup and thread boundaries.
import { Random, assertClose, referenceOp } from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';

const exact = { atol: 0, rtol: 0 };

const special = Float32Array.from([NaN, -Infinity, Infinity, -0, 0, 1e-30, -1e-30, 3, -3]);

export const reluGroup: TestGroup = {
  name: 'relu',
  cases: [
    {
      name: 'relu passes NaN through and maps infinities, zeros and tiny values like PyTorch',
      async run(engine) {
        const x = engine.tensor(special, [special.length]);
        assertClose(await engine.relu(x).read(), referenceOp('relu', { x: special }, {})[0], exact, 'relu');
        assertClose(await engine.reluMask(x).read(), referenceOp('reluMask', { x: special }, {})[0], exact, 'reluMask');
      },
    },
    ...[1, 7, 256, 257, 100_003].map((size): TestCase => ({
      name: `relu and reluMask, ${size} elements`,
      async run(engine) {
        const values = new Random(size).uniformArray(size, -2, 2);
        const x = engine.tensor(values, [size]);
        const [expectedRelu] = referenceOp('relu', { x: values }, {});
        const [expectedMask] = referenceOp('reluMask', { x: values }, {});
        assertClose(await engine.relu(x).read(), expectedRelu, exact, 'relu');
        assertClose(await engine.reluMask(x).read(), expectedMask, exact, 'reluMask');
      },
    })),
  ],
};
