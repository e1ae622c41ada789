// metrics.csv: MetricsRow rows to RFC 4180 CSV and back, exactly (every float64 reads back bit for bit, E stays a string).
import type { MetricsRow } from '../experiments/types.js';

/** The fixed columns, in file order; `active:<label>` columns follow, one per layer label. */
const FIXED_COLUMNS = [
  'run',
  'seed',
  'phase',
  'kind',
  'epoch',
  'step',
  'loss',
  'trainLoss',
  'trainAccuracy',
  'testLoss',
  'testAccuracy',
  'E',
  'log10E',
  'relative',
  'relativeUnpruned',
  'seconds',
] as const;
type FixedColumn = (typeof FIXED_COLUMNS)[number];
type NumberColumn = Exclude<FixedColumn, 'run' | 'phase' | 'kind' | 'E'>;

/** Columns every row must fill. */
const REQUIRED_COLUMNS: readonly FixedColumn[] = ['run', 'seed', 'phase', 'kind', 'epoch', 'step'];
const ACTIVE_PREFIX = 'active:';
const KINDS: readonly MetricsRow['kind'][] = ['epoch', 'steps'];

/** A decimal float as String(x) writes it, or NaN / ±Infinity. */
const NUMBER_PATTERN = /^(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NaN|[-+]?Infinity)$/;
/** E: a non-negative decimal integer. */
const E_PATTERN = /^\d+$/;

function quoteField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Shortest text that parses back to the same float64 (String(x), with -0 kept). */
function formatNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** The labels of the rows' active fractions, in first-seen order. */
function activeLabels(rows: readonly MetricsRow[]): string[] {
  const labels = new Set<string>();
  for (const row of rows) for (const label of Object.keys(row.active ?? {})) labels.add(label);
  return [...labels];
}

/**
 * metrics.csv's text: a header (the fixed columns, then `active:<label>` per layer label over all rows in first-seen
 * order) and one line per row. Numbers are written as String(x) (shortest round trip), an absent value as an empty
 * cell, and fields holding a comma, quote or line break are quoted (RFC 4180). Lines end in LF; the file ends in one.
 */
export function metricsToCsv(rows: readonly MetricsRow[]): string {
  const labels = activeLabels(rows);
  const header = [...FIXED_COLUMNS, ...labels.map((label) => `${ACTIVE_PREFIX}${label}`)];
  const lines = [header.map(quoteField).join(',')];
  rows.forEach((row, index) => {
    const cells: string[] = [];
    for (const column of FIXED_COLUMNS) {
      const value = row[column];
      if (value === undefined) {
        if (REQUIRED_COLUMNS.includes(column)) throw new Error(`metricsToCsv: row ${index} has no '${column}'`);
        cells.push('');
      } else if (typeof value === 'number') {
        cells.push(formatNumber(value));
      } else {
        if (column === 'E' && !E_PATTERN.test(value)) {
          throw new Error(`metricsToCsv: row ${index} has E '${value}', expected a non-negative decimal integer string`);
        }
        cells.push(quoteField(String(value)));
      }
    }
    for (const label of labels) {
      const value = row.active?.[label];
      cells.push(value === undefined ? '' : formatNumber(value));
    }
    lines.push(cells.join(','));
  });
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF ends a record. */
function parseRecords(text: string): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let position = 0;
  let atFieldStart = true;
  const endRecord = () => {
    fields.push(field);
    records.push({ fields, line: recordLine });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  while (position < text.length) {
    const char = text[position];
    if (atFieldStart && char === '"') {
      const quoteLine = line;
      position++;
      for (;;) {
        if (position >= text.length) throw new Error(`metrics.csv line ${quoteLine}: a quoted field is never closed`);
        const inner = text[position];
        if (inner === '"') {
          if (text[position + 1] === '"') {
            field += '"';
            position += 2;
            continue;
          }
          position++;
          break;
        }
        if (inner === '\n') line++;
        field += inner;
        position++;
      }
      const next = text[position];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new Error(`metrics.csv line ${line}: unexpected '${next}' after a quoted field (expected a comma or line end)`);
      }
      atFieldStart = false;
      continue;
    }
    if (char === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
      position++;
    } else if (char === '\n' || (char === '\r' && text[position + 1] === '\n')) {
      endRecord();
      position += char === '\r' ? 2 : 1;
      line++;
      recordLine = line;
    } else if (char === '"') {
      throw new Error(`metrics.csv line ${line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
    } else {
      field += char;
      atFieldStart = false;
      position++;
    }
  }
  if (!atFieldStart || field !== '' || fields.length > 0) endRecord();
  return records;
}

/**
 * Rows of a metrics.csv as metricsToCsv writes it: metricsToCsv(parseMetricsCsv(text)) reproduces `text`, and
 * parseMetricsCsv(metricsToCsv(rows)) gives rows equal to `rows` (absent values stay absent; an empty `active` object
 * reads back as absent). Errors name the line and column and say what was expected.
 */
export function parseMetricsCsv(text: string): MetricsRow[] {
  const records = parseRecords(text.startsWith('\uFEFF') ? text.slice(1) : text);
  if (records.length === 0) throw new Error(`metrics.csv is empty: expected a header line with columns ${FIXED_COLUMNS.join(', ')}`);
  const header = records[0].fields;
  const fixedIndex = new Map<FixedColumn, number>();
  const activeColumns: { label: string; index: number }[] = [];
  header.forEach((name, index) => {
    if (name.startsWith(ACTIVE_PREFIX)) {
      activeColumns.push({ label: name.slice(ACTIVE_PREFIX.length), index });
    } else if ((FIXED_COLUMNS as readonly string[]).includes(name)) {
      if (fixedIndex.has(name as FixedColumn)) throw new Error(`metrics.csv header: column '${name}' appears twice`);
      fixedIndex.set(name as FixedColumn, index);
    } else {
      throw new Error(`metrics.csv header: unknown column '${name}'; expected ${FIXED_COLUMNS.join(', ')} and active:<layer> columns`);
    }
  });
  const missing = REQUIRED_COLUMNS.filter((column) => !fixedIndex.has(column));
  if (missing.length > 0) throw new Error(`metrics.csv header: missing column(s) ${missing.join(', ')}`);

  const rows: MetricsRow[] = [];
  for (const { fields, line } of records.slice(1)) {
    if (fields.length === 1 && fields[0] === '') continue; // a blank line
    if (fields.length !== header.length) {
      throw new Error(`metrics.csv line ${line}: ${fields.length} fields, but the header has ${header.length} columns`);
    }
    const number = (column: string, cell: string): number => {
      if (!NUMBER_PATTERN.test(cell)) throw new Error(`metrics.csv line ${line}, column ${column}: '${cell}' is not a number`);
      return Number(cell);
    };
    const cellOf = (column: FixedColumn): string | undefined => {
      const index = fixedIndex.get(column);
      const cell = index === undefined ? '' : fields[index];
      if (cell === '' && REQUIRED_COLUMNS.includes(column) && column !== 'run' && column !== 'phase') {
        throw new Error(`metrics.csv line ${line}, column ${column}: empty, but every row needs it`);
      }
      return index === undefined ? undefined : cell;
    };
    const kind = cellOf('kind') as MetricsRow['kind'];
    if (!KINDS.includes(kind)) throw new Error(`metrics.csv line ${line}, column kind: '${kind}', expected ${KINDS.join(' or ')}`);
    const row: MetricsRow = {
      run: cellOf('run') ?? '',
      seed: number('seed', cellOf('seed') ?? ''),
      phase: cellOf('phase') ?? '',
      kind,
      epoch: number('epoch', cellOf('epoch') ?? ''),
      step: number('step', cellOf('step') ?? ''),
    };
    const optionalNumber = (column: NumberColumn) => {
      const cell = cellOf(column);
      if (cell !== undefined && cell !== '') row[column as Exclude<NumberColumn, 'seed' | 'epoch' | 'step'>] = number(column, cell);
    };
    for (const column of ['loss', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy'] as const) optionalNumber(column);
    const e = cellOf('E');
    if (e !== undefined && e !== '') {
      if (!E_PATTERN.test(e)) throw new Error(`metrics.csv line ${line}, column E: '${e}' is not a non-negative decimal integer`);
      row.E = e;
    }
    for (const column of ['log10E', 'relative', 'relativeUnpruned'] as const) optionalNumber(column);
    for (const { label, index } of activeColumns) {
      const cell = fields[index];
      if (cell === '') continue;
      (row.active ??= {})[label] = number(`${ACTIVE_PREFIX}${label}`, cell);
    }
    optionalNumber('seconds');
    rows.push(row);
  }
  return rows;
}
