// Exact emergence E: reference values, explicit path counting, the one-pass form against the double sum, float64/log10 views, eqs. 4-5.
import { EngineError, Random, emergence } from 'emergence-engine';
import { expectEqual, expectThrows } from './expect.js';
import type { TestCase, TestGroup } from './types.js';

/** A random layered net: `layers` layers of width 0..maxWidth, each node active with probability `activeShare`. */
function randomNet(random: Random, layers: number, maxWidth: number, activeShare = random.uniform()): { n: number[]; a: number[] } {
  const n: number[] = [];
  const a: number[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const width = random.int(maxWidth + 1);
    let active = 0;
    for (let node = 0; node < width; node++) if (random.uniform() < activeShare) active++;
    n.push(width);
    a.push(active);
  }
  return { n, a };
}

/**
 * Counts E by walking every path explicitly: nodes are listed per layer with an active flag; from every inactive node,
 * a depth-first search steps to every node of the next layer (fully connected) and counts each arrival at an active node.
 */
function countPathsByWalking(n: number[], a: number[], random: Random): number {
  // Which nodes of a layer are active is irrelevant to E; shuffle them to make sure the walk only uses the flags.
  const activeFlags = n.map((width, layer) => {
    const flags = Array.from({ length: width }, (_, node) => node < a[layer]);
    for (let i = flags.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [flags[i], flags[j]] = [flags[j], flags[i]];
    }
    return flags;
  });
  let paths = 0;
  const walk = (layer: number): void => {
    const next = layer + 1;
    if (next >= n.length) return;
    for (let node = 0; node < n[next]; node++) {
      if (activeFlags[next][node]) paths++;
      walk(next);
    }
  };
  for (let layer = 0; layer < n.length; layer++) {
    for (let node = 0; node < n[layer]; node++) if (!activeFlags[layer][node]) walk(layer);
  }
  return paths;
}

/** log10 of a positive bigint from its decimal digits: digit count plus log10 of the leading 17 digits. */
function log10FromDecimalDigits(x: bigint): number {
  const digits = x.toString();
  const leading = Math.min(17, digits.length);
  return Math.log10(Number(digits.slice(0, leading))) + (digits.length - leading);
}

function expectLog10Close(actual: number, exact: bigint, what: string): void {
  const expected = log10FromDecimalDigits(exact);
  const relative = Math.abs(actual - expected) / Math.abs(expected);
  if (!(relative <= 1e-12)) throw new Error(`${what}: log10 ${actual}, expected ${expected} from the digits (relative error ${relative})`);
}

function expectDeltas(actual: bigint[], expected: number[], what: string): void {
  const text = (values: ArrayLike<bigint | number>): string => Array.from(values, String).join(', ');
  if (text(actual) !== text(expected)) throw new Error(`${what}: deltas [${text(actual)}], expected [${text(expected)}]`);
}

/** VGG-19's 16 convolution layers (filters per layer), the papers' "about 3.5e38" example with half the channels active. */
const VGG19_FILTERS = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512];
/** Its exact E, cross-checked against Python integers evaluating the double sum. */
const VGG19_HALF_ACTIVE_E = 346359493166499937449126264642874539008n;
const FLOAT32_MAX = 3.4028234663852886e38;

const cases: TestCase[] = [
  {
    name: 'reference values from EMERGENCE.md',
    async run() {
      for (const [n, a, expected] of [
        [[4, 3, 2], [1, 2, 1], 16n],
        [[5, 5, 5, 5], [2, 3, 4, 1], 163n],
      ] as [number[], number[], bigint][]) {
        const label = `n=[${n}], a=[${a}]`;
        expectEqual(emergence.value(n, a), expected, `value ${label}`);
        expectEqual(emergence.emergenceDoubleSum(n, a), expected, `emergenceDoubleSum ${label}`);
        expectEqual(emergence.value(n.map(BigInt), a.map(BigInt)), expected, `value with bigint counts ${label}`);
        expectEqual(emergence.valueFloat64(n, a), Number(expected), `valueFloat64 ${label}`);
        expectEqual(emergence.valueLog10(n, a), Math.log10(Number(expected)), `valueLog10 ${label}`);
      }
      // Hand-expanded: (4-1)*2 + (4-1)*1*3 + (3-2)*1 = 6 + 9 + 1.
      expectEqual(emergence.value([4, 3, 2], [1, 2, 1]), 6n + 9n + 1n, 'the three terms of the first reference');
    },
  },
  {
    name: 'degenerate nets: no layers, one layer, all active, none active',
    async run() {
      expectEqual(emergence.value([], []), 0n, 'no layers');
      expectEqual(emergence.value([7], [3]), 0n, 'one layer has no later layer');
      expectEqual(emergence.value([4, 5, 6], [4, 5, 6]), 0n, 'every node active: no inactive start');
      expectEqual(emergence.value([4, 5, 6], [0, 0, 0]), 0n, 'no node active: no active end');
      expectEqual(emergence.valueFloat64([4, 5, 6], [0, 0, 0]), 0, 'valueFloat64 of E = 0');
      expectEqual(emergence.valueLog10([4, 5, 6], [0, 0, 0]), -Infinity, 'valueLog10 of E = 0');
      // A zero-width layer cuts every path through it.
      expectEqual(emergence.value([3, 0, 3], [0, 0, 3]), 0n, 'an empty middle layer');
      expectEqual(emergence.value([2, 3], [0, 3]), 6n, 'two layers: (n_1 - a_1) * a_2');
    },
  },
  {
    name: 'value equals the number of paths counted by walking every path (120 random small nets)',
    async run() {
      const random = new Random(401);
      for (let trial = 0; trial < 120; trial++) {
        const { n, a } = randomNet(random, random.int(7), 4);
        const walked = countPathsByWalking(n, a, random);
        expectEqual(emergence.value(n, a), BigInt(walked), `n=[${n}], a=[${a}]`);
      }
    },
  },
  {
    name: 'one-pass value equals the double sum (300 random nets, 20-layer nets of width 512)',
    async run() {
      const random = new Random(402);
      for (let trial = 0; trial < 300; trial++) {
        const { n, a } = randomNet(random, random.int(13), 64);
        expectEqual(emergence.value(n, a), emergence.emergenceDoubleSum(n, a), `n=[${n}], a=[${a}]`);
      }
      let largest = 0n;
      for (let trial = 0; trial < 8; trial++) {
        const n = new Array<number>(20).fill(512);
        const a = Array.from({ length: 20 }, () => random.int(513));
        const exact = emergence.value(n, a);
        expectEqual(exact, emergence.emergenceDoubleSum(n, a), `width 512, a=[${a}]`);
        expectEqual(emergence.valueFloat64(n, a), Number(exact), `valueFloat64, a=[${a}]`);
        expectLog10Close(emergence.valueLog10(n, a), exact, `valueLog10, a=[${a}]`);
        if (exact > largest) largest = exact;
      }
      // These reach about 2^178, far past 2^53 where float64 stops holding every integer.
      if (largest < 2n ** 150n) throw new Error(`20 layers of width 512 gave at most ${largest}, expected above 2^150`);
    },
  },
  {
    name: 'E beyond float64: valueFloat64 is Infinity, valueLog10 stays finite and matches the digits',
    async run() {
      // 140 layers of width 512 with half the nodes active: E is about 10^373.
      const n = new Array<number>(140).fill(512);
      const a = new Array<number>(140).fill(256);
      const exact = emergence.value(n, a);
      expectEqual(exact, emergence.emergenceDoubleSum(n, a), 'one pass against the double sum');
      if (exact.toString().length < 320) throw new Error(`expected E beyond 10^308, it has ${exact.toString().length} digits`);
      expectEqual(emergence.valueFloat64(n, a), Infinity, 'valueFloat64 beyond the range');
      const log10 = emergence.valueLog10(n, a);
      if (!Number.isFinite(log10)) throw new Error(`valueLog10 is ${log10}`);
      expectLog10Close(log10, exact, 'valueLog10 of 140 layers');
      // Much larger still: 2000 layers of width 4096, E has about 7200 digits.
      const wide = new Array<number>(2000).fill(4096);
      const wideActive = wide.map((width, layer) => (layer * 37) % (width + 1));
      expectLog10Close(emergence.valueLog10(wide, wideActive), emergence.value(wide, wideActive), 'valueLog10 of 2000 layers');
    },
  },
  {
    name: 'valueFloat64 is the nearest double: ties to even and the exact overflow threshold',
    async run() {
      // Two layers, a_1 = 0, a_2 = 1: E = n_1 exactly.
      const twoLayer = (first: bigint): number => emergence.valueFloat64([first, 1n], [0n, 1n]);
      expectEqual(twoLayer(2n ** 53n + 1n), 2 ** 53, '2^53 + 1 ties to the even 2^53');
      expectEqual(twoLayer(2n ** 53n + 3n), 2 ** 53 + 4, '2^53 + 3 ties to the even 2^53 + 4');
      const maxDouble = 2n ** 1024n - 2n ** 971n;
      expectEqual(twoLayer(maxDouble), Number.MAX_VALUE, 'the largest double');
      expectEqual(twoLayer(2n ** 1024n - 2n ** 970n - 1n), Number.MAX_VALUE, 'just below the rounding midpoint');
      expectEqual(twoLayer(2n ** 1024n - 2n ** 970n), Infinity, 'at the midpoint E rounds past the range');
      expectLog10Close(emergence.valueLog10([2n ** 1024n, 1n], [0n, 1n]), 2n ** 1024n, 'log10 of 2^1024');
    },
  },
  {
    name: 'VGG-19 with half its channels active: about 3.5e38, past float32, exact in float64 and log10',
    async run() {
      const half = VGG19_FILTERS.map((filters) => filters / 2);
      const exact = emergence.value(VGG19_FILTERS, half);
      expectEqual(exact, VGG19_HALF_ACTIVE_E, 'exact E');
      expectEqual(emergence.emergenceDoubleSum(VGG19_FILTERS, half), VGG19_HALF_ACTIVE_E, 'double sum');
      const float64 = emergence.valueFloat64(VGG19_FILTERS, half);
      expectEqual(float64, 3.4635949316649994e38, 'valueFloat64');
      if (!(float64 > FLOAT32_MAX) || Math.fround(float64) !== Infinity) throw new Error(`${float64} should overflow float32`);
      expectLog10Close(emergence.valueLog10(VGG19_FILTERS, half), exact, 'valueLog10');
      const log10 = emergence.valueLog10(VGG19_FILTERS, half);
      if (Math.abs(log10 - 38.53952709546) > 1e-10) throw new Error(`valueLog10 ${log10}, expected 38.53952709546`);
    },
  },
  {
    name: 'balance layer deltas (eqs. 4-5) on hand-computed nets',
    async run() {
      // sum a = 4: Delta = 4-1-0, 4-2-4, 4-1-7.
      let balance = emergence.balanceLayer([4, 3, 2], [1, 2, 1]);
      expectDeltas(balance.deltas, [3, -2, -4], 'n=[4,3,2], a=[1,2,1]');
      expectEqual(balance.index, 0, 'index');
      expectEqual(balance.layerNumber, 1, 'paper layer number');
      // sum a = 10: Delta = 10-2-0, 10-3-5, 10-4-10, 10-1-15.
      balance = emergence.balanceLayer([5, 5, 5, 5], [2, 3, 4, 1]);
      expectDeltas(balance.deltas, [8, 2, -4, -6], 'n=[5,5,5,5], a=[2,3,4,1]');
      expectEqual(balance.index, 1, 'index');
      expectEqual(balance.layerNumber, 2, 'paper layer number');
      // Six layers of 10 with 8 active: Delta_i = 48 - 8 - 10 i; Delta_4 = 0 is not > 0, so the balance is index 3.
      balance = emergence.balanceLayer([10, 10, 10, 10, 10, 10], [8, 8, 8, 8, 8, 8]);
      expectDeltas(balance.deltas, [40, 30, 20, 10, 0, -10], 'six layers of 10');
      expectEqual(balance.index, 3, 'index, Delta = 0 excluded');
      expectEqual(balance.layerNumber, 4, 'paper layer number');
      // No positive Delta at all.
      balance = emergence.balanceLayer([3, 3], [0, 0]);
      expectDeltas(balance.deltas, [0, -3], 'nothing active');
      expectEqual(balance.index, -1, 'index when no Delta is positive');
      expectEqual(balance.layerNumber, 0, 'layer number when no Delta is positive');
      balance = emergence.balanceLayer([], []);
      expectDeltas(balance.deltas, [], 'no layers');
      expectEqual(balance.index, -1, 'index with no layers');
    },
  },
  {
    name: 'balance layer deltas match the paper middle form and never increase (200 random nets)',
    async run() {
      const random = new Random(403);
      for (let trial = 0; trial < 200; trial++) {
        const { n, a } = randomNet(random, 1 + random.int(12), 40);
        const { deltas, index, layerNumber } = emergence.balanceLayer(n, a);
        const label = `n=[${n}], a=[${a}]`;
        expectEqual(deltas.length, n.length, `${label}: one Delta per layer`);
        for (let i = 0; i < n.length; i++) {
          // Eq. 5's middle form: a_{i+1} + ... + a_N - [(n_1 - a_1) + ... + (n_{i-1} - a_{i-1})].
          let middle = 0;
          for (let k = i + 1; k < n.length; k++) middle += a[k];
          for (let k = 0; k < i; k++) middle -= n[k] - a[k];
          expectEqual(deltas[i], BigInt(middle), `${label}: Delta_${i}`);
          if (i > 0 && deltas[i] > deltas[i - 1]) throw new Error(`${label}: Delta rose at layer ${i}`);
        }
        let expectedIndex = -1;
        deltas.forEach((delta, i) => {
          if (delta > 0n) expectedIndex = i;
        });
        expectEqual(index, expectedIndex, `${label}: index`);
        expectEqual(layerNumber, expectedIndex + 1, `${label}: layer number`);
      }
    },
  },
  {
    name: 'relative emergence E / parameters as float64 and log10',
    async run() {
      let relative = emergence.relativeEmergence(16n, 4);
      expectEqual(relative.float64, 4, '16 / 4');
      expectEqual(relative.log10, Math.log10(16) - Math.log10(4), 'log10(16 / 4)');
      expectEqual(emergence.relativeEmergence(1n, 3n).float64, 1 / 3, '1 / 3 correctly rounded');
      expectEqual(emergence.relativeEmergence(2, 3).float64, 2 / 3, '2 / 3 correctly rounded');
      relative = emergence.relativeEmergence(2n ** 1100n, 2n ** 100n);
      expectEqual(relative.float64, 2 ** 1000, 'E beyond float64, quotient within it');
      if (Math.abs(relative.log10 - 1000 * Math.log10(2)) > 1e-12 * 301) throw new Error(`log10 ${relative.log10}`);
      relative = emergence.relativeEmergence(10n ** 400n, 10n ** 100n);
      expectEqual(relative.float64, 1e300, '10^400 / 10^100');
      if (Math.abs(relative.log10 - 300) > 1e-12 * 300) throw new Error(`log10(10^300) is ${relative.log10}`);
      relative = emergence.relativeEmergence(10n ** 400n, 7);
      expectEqual(relative.float64, Infinity, 'a quotient past float64');
      if (Math.abs(relative.log10 - (400 - Math.log10(7))) > 1e-12 * 400) throw new Error(`log10(10^400 / 7) is ${relative.log10}`);
      // VGG-19's convolutions on 3-channel input hold 20,024,384 weights and biases; the quotient is Python's (correctly rounded).
      relative = emergence.relativeEmergence(VGG19_HALF_ACTIVE_E, 20_024_384);
      expectEqual(relative.float64, 1.7296886294554675e31, 'VGG-19 E over its convolution parameters');
      expectLog10Close(relative.log10 + Math.log10(20_024_384), VGG19_HALF_ACTIVE_E, 'log10 of the VGG-19 relative E');
      relative = emergence.relativeEmergence(0n, 1000);
      expectEqual(relative.float64, 0, 'E = 0');
      expectEqual(relative.log10, -Infinity, 'log10 of E = 0');
      expectThrows(() => emergence.relativeEmergence(16n, 0), EngineError, ['relativeEmergence', 'parameterCount = 0', 'integer >= 1']);
      expectThrows(() => emergence.relativeEmergence(16n, 2.5), EngineError, ['parameterCount = 2.5']);
      expectThrows(() => emergence.relativeEmergence(-1n, 10), EngineError, ['E = -1n', 'integer >= 0']);
    },
  },
  {
    name: 'bad counts are errors naming the function, the layer and the values',
    async run() {
      expectThrows(() => emergence.value([4, 3, 2], [1, 2]), EngineError, ['emergence.value', 'n has 3 layers but a has 2']);
      expectThrows(() => emergence.value([4, 3, 2], [1, 4, 1]), EngineError, ['layer 1', 'a[1] = 4', 'n[1] = 3', 'a[i] <= n[i]']);
      expectThrows(() => emergence.value([4, -3, 2], [1, 0, 1]), EngineError, ['n[1] = -3', 'not a non-negative integer']);
      expectThrows(() => emergence.value([4, 3, 2], [1, 2.5, 1]), EngineError, ['a[1] = 2.5']);
      expectThrows(() => emergence.value([4, 3, NaN], [1, 2, 1]), EngineError, ['n[2] = NaN', 'layer 2']);
      expectThrows(() => emergence.value([4, 3, Infinity], [1, 2, 1]), EngineError, ['n[2] = Infinity']);
      expectThrows(() => emergence.value([4n, -1n], [0n, 0n]), EngineError, ['n[1] = -1n']);
      expectThrows(() => emergence.value(['4'] as unknown as number[], [1]), EngineError, ['n[0] = "4"']);
      expectThrows(() => emergence.value(4 as unknown as number[], [1]), EngineError, ['must be arrays', 'got 4']);
      expectThrows(() => emergence.valueFloat64([2], [3]), EngineError, ['emergence.valueFloat64', 'a[0] = 3']);
      expectThrows(() => emergence.valueLog10([2], [3]), EngineError, ['emergence.valueLog10']);
      expectThrows(() => emergence.emergenceDoubleSum([2], []), EngineError, ['emergence.emergenceDoubleSum']);
      expectThrows(() => emergence.balanceLayer([2, 2], [1, 3]), EngineError, ['emergence.balanceLayer', 'layer 1']);
    },
  },
];

/** Host-side arithmetic: identical on every backend, so it runs once (on wasm). */
export const emergenceValueGroup: TestGroup = {
  name: 'emergence value',
  cases: cases.map((testCase) => ({ ...testCase, backends: ['wasm'] })),
};
