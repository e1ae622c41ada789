// Command-line option parsing for the `emergence` CLI: declared options, typed values, usage errors (exit code 2).

/** A mistake in the command line: reported with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /**
   * 'flag' takes no value; 'number' and 'integer' are checked; 'choice' must be one of `choices`; 'numbers' is a
   * comma-separated list of numbers (e.g. 0.3,0.5,0.7).
   */
  kind: 'flag' | 'string' | 'number' | 'integer' | 'choice' | 'numbers';
  choices?: readonly string[];
  /** Shown in the usage. */
  help: string;
  /** Value placeholder in the usage, e.g. N or FILE. */
  value?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type ParsedOptions = Record<string, string | number | boolean | number[] | undefined>;

/** The options every command takes. */
export const COMMON_OPTIONS: OptionSpecs = {
  help: { kind: 'flag', help: 'show this help and exit' },
  backend: { kind: 'choice', choices: ['auto', 'wasm', 'webgpu'], value: 'auto|wasm|webgpu', help: 'compute backend (default auto)' },
  seed: { kind: 'integer', value: 'N', help: 'seed of weights, shuffling and probes (default 0)' },
  json: { kind: 'flag', help: 'print one JSON document on stdout (progress stays on stderr)' },
};

/** The usage text of a command: a synopsis line, a description and one line per option. */
export function formatUsage(synopsis: string, description: string, specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = `--${name}${spec.value ? ` ${spec.value}` : spec.kind === 'choice' ? ` ${spec.choices!.join('|')}` : ''}`;
    return [left, spec.help];
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`);
  return `usage: ${synopsis}\n${description}\n\noptions:\n${lines.join('\n')}`;
}

/**
 * Parses `--name value`, `--name=value` and flags against the specs. Unknown options, missing or malformed values and
 * stray arguments are UsageErrors naming them.
 */
export function parseOptions(command: string, argv: readonly string[], specs: OptionSpecs, usage: string): ParsedOptions {
  const parsed: ParsedOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '-h') {
      parsed.help = true;
      continue;
    }
    if (!argument.startsWith('--')) throw new UsageError(`${command}: unexpected argument '${argument}'`, usage);
    const equals = argument.indexOf('=');
    const name = argument.slice(2, equals < 0 ? undefined : equals);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(`${command}: unknown option '--${name}'`, usage);
    if (spec.kind === 'flag') {
      if (equals >= 0) throw new UsageError(`${command}: --${name} takes no value, got '${argument}'`, usage);
      parsed[name] = true;
      continue;
    }
    let text: string | undefined;
    if (equals >= 0) text = argument.slice(equals + 1);
    else {
      text = argv[++i];
      if (text === undefined) throw new UsageError(`${command}: --${name} needs a value (${spec.value ?? spec.kind})`, usage);
    }
    parsed[name] = parseValue(command, name, spec, text, usage);
  }
  return parsed;
}

function parseValue(command: string, name: string, spec: OptionSpec, text: string, usage: string): string | number | number[] {
  if (spec.kind === 'string') return text;
  if (spec.kind === 'numbers') {
    const values = text.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
    if (values.some((value) => !Number.isFinite(value))) {
      throw new UsageError(`${command}: --${name} takes comma-separated numbers (e.g. 0.3,0.5), got '${text}'`, usage);
    }
    return values;
  }
  if (spec.kind === 'choice') {
    if (!spec.choices!.includes(text)) {
      throw new UsageError(`${command}: --${name} takes ${spec.choices!.join(', ')}; got '${text}'`, usage);
    }
    return text;
  }
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${command}: --${name} takes a number, got '${text}'`, usage);
  if (spec.kind === 'integer' && !Number.isSafeInteger(value)) {
    throw new UsageError(`${command}: --${name} takes an integer, got '${text}'`, usage);
  }
  return value;
}
