// Conv2d against the reference and the naive kernel: strides, paddings, 1x1, 3x3, 5x5 and non-square windows,
// non-square inputs, depths and position counts past one cache block, and layers split across threads.
import { Random, assertClose, referenceOp, type Engine } from 'emergence-engine';
import { dotTolerance, expectShapeError } from './matmul.js';
import type { TestCase, TestGroup } from './types.js';

interface Conv {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number | [number, number];
  padding: number | [number, number];
}

function describe({ x, w, stride, padding }: Conv): string {
  return `x [${x}] w [${w}] stride ${JSON.stringify(stride)} padding ${JSON.stringify(padding)}`;
}

/** Runs the convolution on the engine (fast, and naive when asked) and compares both with the reference. */
async function checkConv(engine: Engine, conv: Conv, seed: number, alsoNaive: boolean): Promise<void> {
  const rng = new Random(seed);
  const xValues = rng.uniformArray(conv.x.reduce((p, d) => p * d, 1));
  const wValues = rng.uniformArray(conv.w.reduce((p, d) => p * d, 1));
  const attrs = { stride: conv.stride, padding: conv.padding };
  const [expected] = referenceOp('conv2d', { x: xValues, w: wValues }, attrs, { x: conv.x, w: conv.w });
  const [, C, KH, KW] = conv.w;
  const tolerance = dotTolerance(C * KH * KW);
  const x = engine.tensor(xValues, conv.x);
  const w = engine.tensor(wValues, conv.w);
  const label = describe(conv);
  const fast = await engine.conv2d(x, w, attrs).read();
  assertClose(fast, expected, tolerance, `conv2d ${label} vs reference`);
  if (alsoNaive) {
    const naive = await engine.run('conv2d', { x, w }, attrs, 'conv2d', 'naive').out.read();
    assertClose(naive, expected, tolerance, `naive conv2d ${label} vs reference`);
    assertClose(fast, naive, tolerance, `conv2d ${label} vs naive`);
  }
}

const referenceConvs: Conv[] = [
  // 3x3, stride 1, padding 1 on a non-square image.
  { x: [2, 3, 9, 13], w: [5, 3, 3, 3], stride: 1, padding: 1 },
  // Stride 2 with padding 1, odd sizes.
  { x: [2, 4, 15, 11], w: [6, 4, 3, 3], stride: 2, padding: 1 },
  // 5x5 window, stride 2, padding 2.
  { x: [1, 3, 17, 12], w: [4, 3, 5, 5], stride: 2, padding: 2 },
  // 1x1 windows: a per-position matmul, with and without stride.
  { x: [2, 16, 7, 5], w: [24, 16, 1, 1], stride: 1, padding: 0 },
  { x: [1, 5, 9, 8], w: [3, 5, 1, 1], stride: 2, padding: 0 },
  // Padding wider than the window: the border outputs see only zeros.
  { x: [1, 2, 4, 6], w: [3, 2, 1, 1], stride: 1, padding: 2 },
  // Non-square window, stride and padding given per axis.
  { x: [2, 3, 10, 14], w: [4, 3, 3, 5], stride: [1, 2], padding: [1, 2] },
  // A window as large as the padded input: one output position.
  { x: [3, 2, 5, 4], w: [7, 2, 5, 4], stride: 1, padding: 0 },
  // One channel in, one out, single pixel.
  { x: [1, 1, 1, 1], w: [1, 1, 1, 1], stride: 1, padding: 0 },
  // Depth C*KH*KW = 288 spans two packed depth blocks.
  { x: [2, 32, 6, 7], w: [10, 32, 3, 3], stride: 1, padding: 1 },
  // 900 output positions span two packed column blocks.
  { x: [1, 3, 30, 30], w: [8, 3, 3, 3], stride: 1, padding: 1 },
  // 136 output channels span two packed row blocks.
  { x: [1, 4, 6, 5], w: [136, 4, 3, 3], stride: 1, padding: 1 },
];

const referenceCases: TestCase[] = referenceConvs.map((conv, index) => ({
  name: describe(conv),
  run: (engine) => checkConv(engine, conv, index, false),
}));

/** Layers big enough to run on every thread: split by images and positions, and (few positions) by output channels. */
const oracleCases: TestCase[] = (
  [
    { x: [4, 16, 16, 16], w: [32, 16, 3, 3], stride: 1, padding: 1 },
    { x: [1, 128, 4, 4], w: [256, 128, 3, 3], stride: 1, padding: 1 },
    { x: [4, 8, 41, 37], w: [16, 8, 5, 5], stride: 2, padding: 2 },
  ] as Conv[]
).map((conv, index) => ({
  name: `${describe(conv)}, fast vs naive vs reference`,
  run: (engine) => checkConv(engine, conv, 100 + index, true),
}));

const errorCases: TestCase[] = [
  {
    name: 'channel mismatch and windows that do not fit are errors naming conv2d and the shapes',
    async run(engine) {
      const x = engine.zeros([1, 3, 8, 8]);
      expectShapeError(() => engine.conv2d(x, engine.zeros([4, 2, 3, 3])), 'conv2d', '2', '3', '[1, 3, 8, 8]');
      expectShapeError(() => engine.conv2d(x, engine.zeros([4, 3, 9, 9])), 'conv2d', '9x9');
      expectShapeError(() => engine.conv2d(x, engine.zeros([4, 3, 3])), 'conv2d', 'rank');
    },
  },
];

export const conv2dGroup: TestGroup = {
  name: 'conv2d',
  cases: [...referenceCases, ...oracleCases, ...errorCases],
};
