// Initializers: PyTorch's fans and gains, seeded reproducibility, fixed bits in every runtime, and the statistics of large draws.
import {
  EngineError,
  Random,
  assertClose,
  calculateGain,
  defaultBiasInit,
  defaultWeightInit,
  fanInAndFanOut,
  kaimingNormal,
  kaimingUniform,
  xavierNormal,
  xavierUniform,
  type Shape,
} from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';

type Initializer = (shape: Shape, rng: Random) => Float32Array;

const initializers: Record<string, Initializer> = {
  kaimingUniform: (shape, rng) => kaimingUniform(shape, rng),
  kaimingNormal: (shape, rng) => kaimingNormal(shape, rng),
  xavierUniform: (shape, rng) => xavierUniform(shape, rng),
  xavierNormal: (shape, rng) => xavierNormal(shape, rng),
  defaultWeightInit: (shape, rng) => defaultWeightInit(shape, rng),
  defaultBiasInit: (shape, rng) => defaultBiasInit(shape, rng),
};

function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = bitsOf(a);
  const y = bitsOf(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Five standard errors: a correct sampler fails such a check with probability below 1e-6 per statistic. */
const Z = 5;

function checkWithin(label: string, statistic: string, observed: number, expected: number, standardError: number): void {
  if (!(Math.abs(observed - expected) <= Z * standardError)) {
    throw new Error(`${label}: ${statistic} ${observed}, expected ${expected} +- ${Z} x ${standardError.toExponential(3)}`);
  }
}

function moments(values: Float32Array): { mean: number; meanSquare: number } {
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
  }
  return { mean: sum / values.length, meanSquare: sumSquares / values.length };
}

/** U(-b, b): mean 0, E[x^2] = b^2/3 with variance of x^2 = 4b^4/45, every value within b, both ends reached. */
function checkUniform(label: string, values: Float32Array, bound: number): void {
  const n = values.length;
  const { mean, meanSquare } = moments(values);
  checkWithin(label, 'mean', mean, 0, bound / Math.sqrt(3 * n));
  checkWithin(label, 'mean square', meanSquare, (bound * bound) / 3, (Math.sqrt(4 / 45) * (bound * bound)) / Math.sqrt(n));
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  if (low < -Math.fround(bound) || high > Math.fround(bound))
    throw new Error(`${label}: values [${low}, ${high}] leave [-${bound}, ${bound}]`);
  // P(max < b(1 - 40/n)) = (1 - 20/n)^n < e^-20: the extremes sit near the bounds.
  const slack = (40 / n) * bound;
  if (high < bound - slack || low > -bound + slack) throw new Error(`${label}: extremes [${low}, ${high}] are far inside +-${bound}`);
}

/** N(0, s^2): mean 0, E[x^2] = s^2 with variance 2s^4, and the mass within 1 and 2 standard deviations. */
function checkNormal(label: string, values: Float32Array, std: number): void {
  const n = values.length;
  const { mean, meanSquare } = moments(values);
  checkWithin(label, 'mean', mean, 0, std / Math.sqrt(n));
  checkWithin(label, 'mean square', meanSquare, std * std, (std * std * Math.sqrt(2)) / Math.sqrt(n));
  for (const [k, p] of [
    [1, 0.6826894921370859],
    [2, 0.9544997361036416],
  ]) {
    const inside = values.reduce((count, v) => count + (Math.abs(v) <= k * std ? 1 : 0), 0) / n;
    checkWithin(label, `fraction within ${k} std`, inside, p, Math.sqrt((p * (1 - p)) / n));
  }
}

function statisticsCase(name: string, draw: (rng: Random) => Float32Array, check: (values: Float32Array) => void): TestCase {
  return {
    name: `statistics: ${name}`,
    async run() {
      check(draw(new Random(2024)));
    },
  };
}

// Shapes of real layers: a 784 -> 512 linear layer and a 3x3 convolution from 64 to 256 channels.
const linear: Shape = [512, 784];
const conv: Shape = [256, 64, 3, 3];
const convFanIn = 64 * 9;
const convFanOut = 256 * 9;

export const initGroup: TestGroup = {
  name: 'init',
  cases: [
    {
      name: 'fan-in and fan-out of linear, conv1d, conv2d and conv3d weights follow PyTorch',
      async run() {
        const cases: [Shape, number, number][] = [
          [[10, 20], 20, 10],
          [[4, 2, 3], 6, 12],
          [[8, 3, 5, 5], 75, 200],
          [[6, 7, 3, 2, 2], 84, 72],
          [[0, 5], 5, 0],
        ];
        for (const [shape, fanIn, fanOut] of cases) {
          const fans = fanInAndFanOut(shape);
          if (fans.fanIn !== fanIn || fans.fanOut !== fanOut)
            throw new Error(`fans of [${shape}]: ${JSON.stringify(fans)}, expected ${fanIn}, ${fanOut}`);
        }
        let message = '';
        try {
          fanInAndFanOut([7]);
        } catch (error) {
          if (error instanceof EngineError) message = error.message;
        }
        if (!message.includes('at least 2 dimensions') || !message.includes('[7]')) throw new Error(`1-D weight gave '${message}'`);
      },
    },
    {
      name: 'gains follow torch.nn.init.calculate_gain',
      async run() {
        const gains: [number, number][] = [
          [calculateGain('linear'), 1],
          [calculateGain('conv2d'), 1],
          [calculateGain('sigmoid'), 1],
          [calculateGain('tanh'), 5 / 3],
          [calculateGain('relu'), Math.SQRT2],
          [calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2))],
          [calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04)],
          [calculateGain('leaky_relu', 0), Math.SQRT2],
          [calculateGain('selu'), 0.75],
        ];
        assertClose(
          gains.map(([actual]) => actual),
          gains.map(([, expected]) => expected),
          { atol: 0, rtol: 1e-15 },
          'gains',
        );
      },
    },
    {
      name: 'the same seed gives identical arrays and another seed different ones, for every initializer',
      async run() {
        for (const [name, init] of Object.entries(initializers)) {
          const first = init([16, 8, 3, 3], new Random(5));
          const again = init([16, 8, 3, 3], new Random(5));
          const other = init([16, 8, 3, 3], new Random(6));
          if (!sameBits(first, again)) throw new Error(`${name}: seed 5 twice gave different values`);
          if (sameBits(first, other)) throw new Error(`${name}: seeds 5 and 6 gave identical values`);
          if (first.length !== (name === 'defaultBiasInit' ? 16 : 16 * 8 * 9)) throw new Error(`${name}: ${first.length} values`);
        }
      },
    },
    {
      name: 'values are fixed bit for bit in every runtime (golden values for seeds 42, 7 and 9)',
      async run() {
        const golden: [string, Float32Array, number[]][] = [
          [
            'kaimingUniform',
            kaimingUniform([2, 3], new Random(42)),
            [0x3ee898ae, 0xbf871576, 0xbf8c9433, 0x3f640a5e, 0xbf98614a, 0xbfab7ac3],
          ],
          [
            'kaimingNormal fan_out',
            kaimingNormal([2, 3], new Random(42), { mode: 'fan_out' }),
            [0x3f22dffc, 0x3f26c4ec, 0x3f54af6f, 0xbff6000f, 0x400e30fa, 0x3ebe12b9],
          ],
          [
            'xavierNormal gain 2',
            xavierNormal([3, 1, 1, 2], new Random(7), { gain: 2 }),
            [0xbfd991f4, 0xbe060a82, 0x3f173947, 0x3f8f462e, 0xbf86c035, 0x3e34f3e0],
          ],
          ['defaultBiasInit', defaultBiasInit([3, 5], new Random(9)), [0xbe35744a, 0x3eb8bbf5, 0x3e87581c]],
        ];
        for (const [name, values, bits] of golden) {
          if (!sameBits(values, new Float32Array(Uint32Array.from(bits).buffer))) {
            throw new Error(
              `${name}: bits ${Array.from(bitsOf(values), (b) => b.toString(16))}, expected ${bits.map((b) => b.toString(16))}`,
            );
          }
        }
      },
    },
    {
      name: 'uniform initializers are -b + 2b u in draw order, with b from the formula (kaiming sqrt(6/fanIn), default 1/sqrt(fanIn))',
      async run() {
        const draws = (seed: number, n: number, bound: number) => {
          const rng = new Random(seed);
          return Float32Array.from({ length: n }, () => -bound + 2 * bound * (rng.nextUint32() / 2 ** 32));
        };
        const tight = { atol: 0, rtol: 1e-6 };
        assertClose(kaimingUniform([5, 12], new Random(3)), draws(3, 60, Math.sqrt(6 / 12)), tight, 'kaimingUniform');
        assertClose(
          kaimingUniform([5, 12], new Random(3), { mode: 'fan_out' }),
          draws(3, 60, Math.sqrt(6 / 5)),
          tight,
          'kaimingUniform fan_out',
        );
        assertClose(
          kaimingUniform([5, 12], new Random(3), { nonlinearity: 'leaky_relu', a: 0.2 }),
          draws(3, 60, (Math.sqrt(3) * Math.sqrt(2 / 1.04)) / Math.sqrt(12)),
          tight,
          'kaimingUniform leaky_relu 0.2',
        );
        assertClose(xavierUniform([5, 12], new Random(3), { gain: 3 }), draws(3, 60, 3 * Math.sqrt(6 / 17)), tight, 'xavierUniform gain 3');
        assertClose(defaultWeightInit([4, 3, 2, 2], new Random(8)), draws(8, 48, 1 / Math.sqrt(12)), tight, 'defaultWeightInit conv');
        assertClose(defaultBiasInit([4, 3, 2, 2], new Random(8)), draws(8, 4, 1 / Math.sqrt(12)), tight, 'defaultBiasInit conv');
        assertClose(defaultWeightInit([6, 10], new Random(8)), draws(8, 60, 1 / Math.sqrt(10)), tight, 'defaultWeightInit linear');
      },
    },
    {
      name: 'zero-element shapes give empty arrays, as PyTorch leaves them untouched',
      async run() {
        for (const [name, init] of Object.entries(initializers)) {
          const values = init([0, 4], new Random(1));
          if (values.length !== 0) throw new Error(`${name}: ${values.length} values for shape [0, 4]`);
        }
      },
    },
    statisticsCase(
      'kaimingUniform, linear 784 -> 512 (bound sqrt(6/784))',
      (rng) => kaimingUniform(linear, rng),
      (v) => checkUniform('kaimingUniform', v, Math.sqrt(6 / 784)),
    ),
    statisticsCase(
      'kaimingNormal, conv 3x3 64 -> 256 (std sqrt(2/576))',
      (rng) => kaimingNormal(conv, rng),
      (v) => checkNormal('kaimingNormal', v, Math.sqrt(2 / convFanIn)),
    ),
    statisticsCase(
      'kaimingNormal fan_out leaky_relu 0.2, conv 3x3 64 -> 256 (std sqrt(2/1.04)/sqrt(2304))',
      (rng) => kaimingNormal(conv, rng, { mode: 'fan_out', nonlinearity: 'leaky_relu', a: 0.2 }),
      (v) => checkNormal('kaimingNormal fan_out', v, Math.sqrt(2 / 1.04) / Math.sqrt(convFanOut)),
    ),
    statisticsCase(
      'kaimingUniform fan_out, conv 3x3 64 -> 256 (bound sqrt(6/2304))',
      (rng) => kaimingUniform(conv, rng, { mode: 'fan_out' }),
      (v) => checkUniform('kaimingUniform fan_out', v, Math.sqrt(6 / convFanOut)),
    ),
    statisticsCase(
      'xavierUniform gain 2, linear 784 -> 512 (bound 2 sqrt(6/1296))',
      (rng) => xavierUniform(linear, rng, { gain: 2 }),
      (v) => checkUniform('xavierUniform', v, 2 * Math.sqrt(6 / 1296)),
    ),
    statisticsCase(
      'xavierNormal, conv 3x3 64 -> 256 (std sqrt(2/2880))',
      (rng) => xavierNormal(conv, rng),
      (v) => checkNormal('xavierNormal', v, Math.sqrt(2 / (convFanIn + convFanOut))),
    ),
    statisticsCase(
      'defaultWeightInit, linear 784 -> 512 (bound 1/28)',
      (rng) => defaultWeightInit(linear, rng),
      (v) => checkUniform('defaultWeightInit linear', v, 1 / 28),
    ),
    statisticsCase(
      'defaultWeightInit, conv 3x3 64 -> 256 (bound 1/24)',
      (rng) => defaultWeightInit(conv, rng),
      (v) => checkUniform('defaultWeightInit conv', v, 1 / 24),
    ),
    statisticsCase(
      'defaultBiasInit, 40 draws of a 784 -> 512 linear bias (bound 1/28)',
      (rng) => {
        const all = new Float32Array(40 * 512);
        for (let i = 0; i < 40; i++) all.set(defaultBiasInit(linear, rng), i * 512);
        return all;
      },
      (v) => checkUniform('defaultBiasInit', v, 1 / 28),
    ),
  ],
};
