// How the report prints text and numbers: HTML escaping, significant digits, scientific notation, mean ± std, durations.
import type { Statistic } from '../experiments/types.js';

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

/** A span with the exact value on hover. */
export const withTitle = (html: string, title: string) => `<span class="exact" title="${escapeHtml(title)}">${html}</span>`;

const SUPERSCRIPT_MINUS = '−';

/** "5.03 × 10<sup>8</sup>" from a mantissa's digits and an exponent. */
const scientificHtml = (mantissa: string, exponent: number) =>
  `${mantissa}&nbsp;×&nbsp;10<sup>${exponent < 0 ? SUPERSCRIPT_MINUS : ''}${Math.abs(exponent)}</sup>`;

/** Whether a number reads better in scientific notation. */
const needsScientific = (value: number) => value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3);

/** A finite number in scientific notation with `digits` significant digits, as HTML. */
export function scientific(value: number, digits = 3): string {
  const [mantissa, exponent] = value.toExponential(digits - 1).split('e');
  return scientificHtml(mantissa.replace('-', SUPERSCRIPT_MINUS), Number(exponent));
}

/** A number as HTML: 4 significant digits, thousands grouped for integers, scientific when very large or small. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : `${SUPERSCRIPT_MINUS}∞`;
  if (needsScientific(value)) return withTitle(scientific(value), String(value));
  if (Number.isInteger(value)) return value.toLocaleString('en-US').replace('-', SUPERSCRIPT_MINUS);
  return String(Number(value.toPrecision(4))).replace('-', SUPERSCRIPT_MINUS);
}

/** A fraction in [0, 1] as a percentage with two decimals ("97.52 %"), the exact fraction on hover. */
export function formatPercent(fraction: number): string {
  return withTitle(`${(fraction * 100).toFixed(2)}&nbsp;%`, String(fraction));
}

/** Whether a string is an exact decimal integer long enough to be an E value. */
export const isLongInteger = (text: string) => /^\d{7,}$/.test(text);

/** An exact decimal integer (E) in scientific notation with 3 significant digits; the exact digits on hover. */
export function formatExactInteger(digits: string): string {
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  if (trimmed.length < 7) return Number(trimmed).toLocaleString('en-US');
  let lead = Math.round(Number(trimmed.slice(0, 4)) / 10);
  let exponent = trimmed.length - 1;
  if (lead === 1000) {
    lead = 100;
    exponent++;
  }
  const text = String(lead);
  return withTitle(scientificHtml(`${text[0]}.${text.slice(1)}`, exponent), `E = ${trimmed} (${trimmed.length} digits)`);
}

/** Decimals that show a standard deviation to two significant digits (0 to 6). */
function decimalsFor(std: number): number {
  if (!(std > 0) || !Number.isFinite(std)) return 4;
  return Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(std))));
}

/** "mean ± std (n=3)" as HTML, the per-seed values on hover; one value prints alone with (n=1). */
export function formatStatistic(statistic: Statistic, unit = ''): string {
  const suffix = unit && unit !== 'E' ? `&nbsp;${escapeHtml(unit)}` : '';
  if (statistic.n === 0 || !Number.isFinite(statistic.mean)) return 'n/a';
  const values = `per seed: ${statistic.values.map((value) => String(value)).join(', ')}`;
  let text: string;
  if (statistic.n === 1 || statistic.std === 0) {
    text = `${stripTitle(formatNumber(statistic.mean))}${suffix}`;
  } else if (needsScientific(statistic.mean) || unit === 'E') {
    text = `${scientific(statistic.mean)} ± ${scientific(statistic.std, 2)}${suffix}`;
  } else {
    const decimals = decimalsFor(statistic.std);
    const fixed = (value: number) => value.toFixed(decimals).replace('-', SUPERSCRIPT_MINUS);
    text = `${fixed(statistic.mean)} ± ${fixed(statistic.std)}${suffix}`;
  }
  return withTitle(`${text} <span class="n">(n=${statistic.n})</span>`, values);
}

/** The inner HTML of a withTitle span (for nesting inside another titled span). */
function stripTitle(html: string): string {
  const match = /^<span class="exact" title="[^"]*">(.*)<\/span>$/s.exec(html);
  return match ? match[1] : html;
}

/** A paper's figure or ours when given as a single number or a preformatted string. */
export function formatValue(value: number | string, unit = ''): string {
  if (typeof value === 'string') return isLongInteger(value) ? formatExactInteger(value) : escapeHtml(value);
  const suffix = unit && unit !== 'E' && Number.isFinite(value) ? `&nbsp;${escapeHtml(unit)}` : '';
  return `${formatNumber(value)}${suffix}`;
}

/** "3 min 12 s", "1 h 05 min", "4.2 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** An ISO timestamp as "2025-11-23 00:21:05 UTC" (the text itself when it does not parse). */
export function formatTimestamp(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return escapeHtml(iso);
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
