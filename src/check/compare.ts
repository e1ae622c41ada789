// Compares arrays elementwise within atol + rtol*|expected| and reports the largest error and where it is.
export interface Tolerance {
  atol: number;
  rtol: number;
  /** A further allowance per element, added to atol + rtol*|expected| (for elements known to carry extra noise). */
  extra?: ArrayLike<number>;
}

export interface Comparison {
  ok: boolean;
  /** Largest |actual - expected| over all elements. */
  maxError: number;
  /** Index of the worst element relative to its allowance (the first failing one, when any fails). */
  worstIndex: number;
  actual: number;
  expected: number;
  /** Elements outside the tolerance. */
  failures: number;
  /** The largest error as a share of its element's allowance (1 = at the limit). */
  largestShare: number;
  message: string;
}

type Numeric = ArrayLike<number>;

/** NaN matches NaN and infinities must match exactly; a length mismatch always fails. */
export function compareArrays(actual: Numeric, expected: Numeric, tolerance: Tolerance, label = 'values'): Comparison {
  if (actual.length !== expected.length) {
    return {
      ok: false,
      maxError: Infinity,
      worstIndex: -1,
      actual: NaN,
      expected: NaN,
      failures: Math.max(actual.length, expected.length),
      largestShare: Infinity,
      message: `${label}: length ${actual.length} differs from the expected ${expected.length}`,
    };
  }
  let maxError = 0;
  let worst = -1;
  let worstRatio = -1;
  let failures = 0;
  let largestShare = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    const error = a === e ? 0 : Math.abs(a - e);
    const allowed = tolerance.atol + tolerance.rtol * Math.abs(e) + (tolerance.extra ? tolerance.extra[i] : 0);
    const bad = a !== e && !(error <= allowed);
    if (bad) failures++;
    if (error > maxError || Number.isNaN(error)) maxError = Number.isNaN(error) ? Infinity : error;
    const ratio = error === 0 ? 0 : Number.isNaN(error) ? Infinity : error / allowed;
    largestShare = Math.max(largestShare, ratio);
    if ((bad && failures === 1) || (failures === 0 && ratio > worstRatio)) {
      worst = i;
      worstRatio = ratio;
    }
  }
  const ok = failures === 0;
  const at = worst >= 0 ? ` at index ${worst}: got ${actual[worst]}, expected ${expected[worst]}` : '';
  const message = ok
    ? `${label}: ${actual.length} values within atol ${tolerance.atol} + rtol ${tolerance.rtol}; largest error ${maxError.toExponential(2)}${at}`
    : `${label}: ${failures} of ${actual.length} values outside atol ${tolerance.atol} + rtol ${tolerance.rtol}; largest error ${maxError.toExponential(2)}; first failure${at}`;
  return {
    ok,
    maxError,
    worstIndex: worst,
    actual: worst >= 0 ? actual[worst] : NaN,
    expected: worst >= 0 ? expected[worst] : NaN,
    failures,
    largestShare,
    message,
  };
}

/** Throws an Error carrying compareArrays' message when the arrays differ beyond the tolerance. */
export function assertClose(actual: Numeric, expected: Numeric, tolerance: Tolerance, label = 'values'): void {
  const result = compareArrays(actual, expected, tolerance, label);
  if (!result.ok) throw new Error(result.message);
}
