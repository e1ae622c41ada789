// Exact emergence E of a layered net from node and active counts (EMERGENCE.md section 2), its float64/log10 views, and eqs. 4-5.
import { EngineError } from '../errors.js';

/** A node or active count: a non-negative integer, as a number or a bigint. */
export type NodeCount = number | bigint;

/** Per-layer node counts and active counts after validation. */
interface Counts {
  nodes: bigint[];
  active: bigint[];
}

/**
 * Checks one layered description and converts it to bigints: `n` and `a` have the same length, every entry is a
 * non-negative integer, and `a[i] <= n[i]`. Errors name the calling function, the layer index (0-based) and the values.
 */
function validateCounts(fn: string, n: readonly NodeCount[], a: readonly NodeCount[]): Counts {
  if (!Array.isArray(n) || !Array.isArray(a)) {
    throw new EngineError(`emergence.${fn}: n (node counts) and a (active counts) must be arrays, got ${describe(n)} and ${describe(a)}`);
  }
  if (n.length !== a.length) {
    throw new EngineError(
      `emergence.${fn}: n has ${n.length} layers but a has ${a.length}; give one node count and one active count per layer`,
    );
  }
  const nodes = n.map((count, i) => toCount(fn, 'n', i, count));
  const active = a.map((count, i) => toCount(fn, 'a', i, count));
  for (let i = 0; i < nodes.length; i++) {
    if (active[i] > nodes[i]) {
      throw new EngineError(
        `emergence.${fn}: layer ${i} has a[${i}] = ${active[i]} active nodes but only n[${i}] = ${nodes[i]} nodes (need a[i] <= n[i])`,
      );
    }
  }
  return { nodes, active };
}

function toCount(fn: string, array: 'n' | 'a', index: number, count: unknown): bigint {
  if (typeof count === 'bigint') {
    if (count >= 0n) return count;
  } else if (typeof count === 'number' && Number.isInteger(count) && count >= 0) {
    return BigInt(count);
  }
  throw new EngineError(`emergence.${fn}: ${array}[${index}] = ${describe(count)} is not a non-negative integer (layer ${index})`);
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return String(value);
}

/** E by the one-pass form: S counts the paths from any inactive node so far into the current layer. */
function onePass({ nodes, active }: Counts): bigint {
  let paths = 0n;
  let emergence = 0n;
  for (let j = 0; j < nodes.length; j++) {
    emergence += active[j] * paths;
    paths = paths * nodes[j] + (nodes[j] - active[j]);
  }
  return emergence;
}

/**
 * Exact emergence E = sum_{i<j} (n_i - a_i) * a_j * prod_{k=i+1}^{j-1} n_k (seed 1 eq. 2, conv form eq. 12; seed 2
 * section 3.2): the number of paths in the fully connected layered graph from an inactive node of layer i to an active
 * node of a later layer j. `n[i]` is layer i's node count (filters for a convolution), `a[i]` its active count.
 * Computed in one pass in BigInt, so it is exact at any size. Zero or one layer gives 0n.
 */
export function value(n: readonly NodeCount[], a: readonly NodeCount[]): bigint {
  return onePass(validateCounts('value', n, a));
}

/**
 * The definition of E as written, a double sum over layer pairs with the explicit product of the widths in between.
 * O(N^3) bigint work for N layers; kept as the oracle for `value`'s one-pass form.
 */
export function emergenceDoubleSum(n: readonly NodeCount[], a: readonly NodeCount[]): bigint {
  const { nodes, active } = validateCounts('emergenceDoubleSum', n, a);
  let emergence = 0n;
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      let product = 1n;
      for (let k = i + 1; k < j; k++) product *= nodes[k];
      emergence += (nodes[i] - active[i]) * active[j] * product;
    }
  }
  return emergence;
}

/**
 * E as the float64 nearest to the exact value (ties to even, by the BigInt-to-Number conversion). Infinity only when
 * E itself lies beyond float64's range (E >= 2^1024 - 2^970). Use `valueLog10` for a figure that never overflows.
 */
export function valueFloat64(n: readonly NodeCount[], a: readonly NodeCount[]): number {
  return Number(onePass(validateCounts('valueFloat64', n, a)));
}

/** log10(E) from the exact E: finite for every E > 0 however large; -Infinity for E = 0. */
export function valueLog10(n: readonly NodeCount[], a: readonly NodeCount[]): number {
  return log10BigInt(onePass(validateCounts('valueLog10', n, a)));
}

const LOG10_2 = Math.log10(2);

/** Number of bits in a positive bigint. */
function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/**
 * log10 of a non-negative bigint, never overflowing: below 2^1023 directly from the nearest double (relative error of
 * the double <= 2^-53, so the log is off by < 1e-16 absolute); above it from the leading 64 bits plus the binary exponent.
 */
export function log10BigInt(x: bigint): number {
  if (x < 0n) throw new EngineError(`emergence.log10BigInt: ${x} is negative`);
  if (x === 0n) return -Infinity;
  const asDouble = Number(x);
  if (asDouble < 2 ** 1023) return Math.log10(asDouble);
  const shift = bitLength(x) - 64;
  return Math.log10(Number(x >> BigInt(shift))) + shift * LOG10_2;
}

/**
 * Paper eqs. 4-5 (seed 1, "Lemma"): Delta_i = sum_k a_k - a_i - sum_{k<i} n_k, the paper's count of how many more
 * paths there are when layer i loses one active node (adjacent-layer paths only: it ignores the products over the
 * layers in between, so it is the paper's balance criterion, not the exact change of E). The balance layer is the
 * largest i with Delta_i > 0: shrinking activity up to it and growing it after it raises E.
 */
export interface BalanceLayer {
  /** Delta_i for every layer, exact; deltas[i] belongs to layer index i (0-based, as `n` and `a`). */
  deltas: bigint[];
  /** 0-based index into n/a of the balance layer (largest i with deltas[i] > 0); -1 when no Delta is positive. */
  index: number;
  /** The same layer in the paper's 1-based numbering (index + 1); 0 when no Delta is positive. */
  layerNumber: number;
}

/** Eqs. 4-5 for node counts `n` and active counts `a` (validated as for `value`). See `BalanceLayer`. */
export function balanceLayer(n: readonly NodeCount[], a: readonly NodeCount[]): BalanceLayer {
  const { nodes, active } = validateCounts('balanceLayer', n, a);
  const totalActive = active.reduce((sum, count) => sum + count, 0n);
  const deltas: bigint[] = [];
  let nodesBefore = 0n;
  let index = -1;
  for (let i = 0; i < nodes.length; i++) {
    const delta = totalActive - active[i] - nodesBefore;
    deltas.push(delta);
    if (delta > 0n) index = i;
    nodesBefore += nodes[i];
  }
  return { deltas, index, layerNumber: index + 1 };
}

/** Relative emergence E~ = E / parameter count (seed 2), as the float64 nearest to the quotient and as log10. */
export interface RelativeEmergence {
  /** E / parameters as a float64 (relative error below 2^-52; Infinity only if the quotient exceeds float64's range). */
  float64: number;
  /** log10(E / parameters), finite for E > 0 however large; -Infinity for E = 0. */
  log10: number;
}

/**
 * E~ = E / parameterCount. `E` is an exact emergence (bigint, or a non-negative integer number); `parameterCount` a
 * positive integer, for example all parameters or only the remaining (unmasked, nonzero) ones after pruning; the caller
 * says which.
 */
export function relativeEmergence(E: NodeCount, parameterCount: NodeCount): RelativeEmergence {
  const emergence = toBigIntArgument('E', E, 0n);
  const parameters = toBigIntArgument('parameterCount', parameterCount, 1n);
  if (emergence === 0n) return { float64: 0, log10: -Infinity };
  return {
    float64: divideToFloat64(emergence, parameters),
    log10: log10BigInt(emergence) - log10BigInt(parameters),
  };
}

function toBigIntArgument(name: string, count: unknown, minimum: bigint): bigint {
  const valid =
    (typeof count === 'bigint' && count >= minimum) || (typeof count === 'number' && Number.isInteger(count) && count >= minimum);
  if (!valid) {
    throw new EngineError(
      `emergence.relativeEmergence: ${name} = ${describe(count)} must be an integer >= ${minimum} (a number or a bigint)`,
    );
  }
  return BigInt(count as number | bigint);
}

/** numerator / denominator as a float64: a quotient with at least 64 significant bits, rounded once, then scaled by 2^-shift. */
function divideToFloat64(numerator: bigint, denominator: bigint): number {
  const shift = Math.max(0, 64 + bitLength(denominator) - bitLength(numerator));
  const quotient = Number((numerator << BigInt(shift)) / denominator);
  // Two steps keep each power of two a normal double even for shifts past 1023.
  const half = Math.floor(shift / 2);
  return quotient * 2 ** -half * 2 ** -(shift - half);
}
