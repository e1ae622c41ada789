// Mean and sample standard deviation over seeds, and how the reports print them.
import type { Statistic } from './types.js';

/** Mean and sample standard deviation (n - 1; 0 for one value) of the finite values. */
export function statistic(values: readonly number[]): Statistic {
  const kept = values.filter((value) => Number.isFinite(value));
  const n = kept.length;
  const mean = n === 0 ? NaN : kept.reduce((sum, value) => sum + value, 0) / n;
  const variance = n < 2 ? 0 : kept.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n, values: [...values] };
}

/**
 * "95.71 ± 0.12 % (n=3)": `digits` after the point; `scale` multiplies first (100 for fractions shown as %). One value
 * prints without the ±.
 */
export function formatStatistic(s: Statistic, digits = 2, unit = '', scale = 1): string {
  if (s.n === 0) return 'n/a';
  const suffix = unit ? ` ${unit}` : '';
  const mean = (s.mean * scale).toFixed(digits);
  return s.n === 1 ? `${mean}${suffix}` : `${mean} ± ${(s.std * scale).toFixed(digits)}${suffix} (n=${s.n})`;
}

/** A statistic of fractions (accuracies) in percent: "95.71 ± 0.12 % (n=3)". */
export function formatPercent(s: Statistic, digits = 2): string {
  return formatStatistic(s, digits, '%', 100);
}

/** "5.03e8 ± 2.1e7 (n=3)" for quantities spanning orders of magnitude, such as E. */
export function formatScientific(s: Statistic, digits = 3): string {
  if (s.n === 0) return 'n/a';
  const mean = s.mean.toExponential(digits - 1);
  return s.n === 1 ? mean : `${mean} ± ${s.std.toExponential(1)} (n=${s.n})`;
}

/** Whether `value` lies within mean ± k std (k = 2 by default); with one seed, within `tolerance` of the mean. */
export function within(s: Statistic, value: number, k = 2, tolerance = 0): boolean {
  const spread = Math.max(k * s.std, tolerance);
  return Math.abs(value - s.mean) <= spread;
}
