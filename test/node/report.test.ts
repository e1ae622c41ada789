// The run folder's report: metrics.csv round trip, Vega-Lite SVG plots, and report.html opened in headless Chromium.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  metricsToCsv,
  nodeRunFiles,
  parseMetricsCsv,
  plotData,
  renderPlot,
  writeReport,
  type MetricsRow,
  type PaperComparison,
  type RunConfig,
  type RunResults,
  type WrittenReport,
} from 'emergence-engine';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RUNS = ['kaiming', 'emergence (α = 2, "paper")'];
const LAYERS = ['fc1', 'fc2', 'conv3 (3x3, 64)'];
const EPOCHS = 5;
const STEPS_PER_EPOCH = 100;
/** Default plots of the synthetic rows (but 'loss', which the experiment's 'loss-log' replaces), then the experiment's own. */
const EXPECTED_PLOTS = ['loss-steps', 'test-accuracy', 'log10E', 'relative-E', 'relative-E-unpruned', 'active', 'test-loss', 'loss-log'];

/** Two runs x two seeds x epochs 0..5 with every figure, one E = 0, one NaN loss, and blocks of steps' loss. */
function syntheticRows(): MetricsRow[] {
  const rows: MetricsRow[] = [];
  RUNS.forEach((run, runIndex) => {
    for (const seed of [0, 1]) {
      const jitter = 1 + 0.03 * seed + 0.01 * runIndex;
      for (let epoch = 0; epoch <= EPOCHS; epoch++) {
        const zeroE = runIndex === 1 && seed === 1 && epoch === EPOCHS;
        const e = zeroE ? 0n : BigInt(Math.round(5.03e8 * (1 + runIndex) * jitter * (1 + 0.35 * epoch))) * 1_000_003n;
        const relative = Number(e) / 4.5e15;
        const row: MetricsRow = {
          run,
          seed,
          phase: 'train',
          kind: 'epoch',
          epoch,
          step: epoch * STEPS_PER_EPOCH,
          testLoss: 2.3 / (1 + epoch * jitter),
          testAccuracy: Math.min(0.99, 0.1 + 0.17 * epoch * jitter + 0.1 / 3),
          E: e.toString(),
          log10E: zeroE ? -Infinity : Math.log10(Number(e)),
          relative,
          relativeUnpruned: relative * 1.5,
          active: Object.fromEntries(LAYERS.map((layer, i) => [layer, zeroE ? 0 : Math.min(1, (0.2 + 0.1 * i) * jitter + 0.05 * epoch)])),
        };
        if (epoch > 0) {
          row.loss = runIndex === 0 && seed === 1 && epoch === 2 ? NaN : 2.2 / (1 + 0.8 * epoch * jitter) + 0.1 + 0.2;
          row.trainAccuracy = Math.min(1, 0.15 + 0.18 * epoch * jitter);
          row.seconds = Math.PI * epoch * jitter;
        }
        rows.push(row);
        if (epoch > 0) {
          for (let block = 1; block <= 4; block++) {
            rows.push({
              run,
              seed,
              phase: 'train',
              kind: 'steps',
              epoch: epoch - 1 + block / 4,
              step: (epoch - 1) * STEPS_PER_EPOCH + block * 25,
              loss: 2.3 / (1 + (epoch - 1 + block / 4) * jitter) + 1e-17 * block,
            });
          }
        }
      }
    }
  });
  return rows;
}

function config(overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    experiment: 'init-comparison',
    title: 'Init comparison: Xavier, Kaiming and emergence init',
    scale: 'test',
    scaling: '2,000 of 60,000 MNIST training images, 5 epochs, 2 seeds instead of 5.',
    settings: { dataset: 'mnist', epochs: EPOCHS, hidden: [512, 512, 512], lr: 0.001, seeds: 2, batchNorm: false },
    seed: 7,
    backend: 'wasm',
    convention: { threshold: 0.05, statistic: 'mean', probe: 1000, layers: 'hidden layers (post-ReLU)', mode: 'eval' },
    command: 'emergence experiment init-comparison --scale test --backend wasm --seed 7',
    engineVersion: '0.1.0',
    created: '2025-11-23T10:00:00.000Z',
    ...overrides,
  };
}

const COMPARISONS: PaperComparison[] = [
  {
    quantity: 'E at init, Kaiming',
    paper: '599000000',
    ours: { mean: 1.03e15, std: 2.1e13, n: 2, values: [1.01e15, 1.05e15] },
    unit: 'E',
    verdict: 'not comparable',
    note: 'E scales with the hidden widths, which the paper does not state.',
  },
  { quantity: 'E ratio Kaiming / Xavier', paper: 1.19, ours: { mean: 1.213, std: 0.021, n: 2, values: [1.198, 1.228] }, verdict: 'agrees' },
  {
    quantity: 'test accuracy after 5 epochs',
    paper: 97.6,
    ours: { mean: 91.25, std: 0.61, n: 2, values: [90.82, 91.68] },
    unit: '%',
    verdict: 'differs',
    note: 'We train on 2,000 images, the paper on 60,000.',
  },
  { quantity: 'E ordered Xavier < Kaiming < emergence', paper: 'yes', ours: 'yes, in both seeds', verdict: 'agrees' },
];

function results(overrides: Partial<RunResults> = {}): RunResults {
  return {
    experiment: 'init-comparison',
    title: 'Init comparison: Xavier, Kaiming and emergence init',
    status: 'complete',
    scale: 'test',
    scaling: '2,000 of 60,000 MNIST training images, 5 epochs, 2 seeds instead of 5.',
    environment: { backend: 'wasm', device: 'WebAssembly SIMD, 2 threads', runtime: 'node 20.20.2' },
    started: '2025-11-23T10:00:01.000Z',
    finished: '2025-11-23T10:03:13.500Z',
    seconds: 192.5,
    tables: [
      {
        title: 'Final figures (mean over seeds)',
        columns: ['run', 'test accuracy', 'E', 'relative E'],
        rows: [
          ['kaiming', 0.9125, '1030000515000', 0.0086],
          ['emergence (α = 2, "paper")', 0.9311, '2060001030000', 0.0172],
        ],
      },
    ],
    comparisons: COMPARISONS,
    notes: ['Architecture: MLP 512-512-512 with ReLU (the paper: 3 hidden layers, widths unstated).'],
    plots: [
      // One beyond the defaults, and one that replaces the default loss plot (same metric, x and kind).
      { id: 'test-loss', title: 'Test loss (log scale)', x: 'epoch', y: 'testLoss', logY: true },
      { id: 'loss-log', title: 'Training loss (log scale)', x: 'epoch', y: 'loss', logY: true },
    ],
    details: { perSeed: { kaiming: [0.91, 0.915] } },
    ...overrides,
  };
}

function writeRunFolder(dir: string, rows: MetricsRow[], runResults: RunResults | undefined, runConfig = config()): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(runConfig, null, 2));
  writeFileSync(join(dir, 'metrics.csv'), metricsToCsv(rows));
  if (runResults) writeFileSync(join(dir, 'results.json'), JSON.stringify(runResults, null, 2));
}

/** Parses SVG text in the browser: the root element's name, parse errors, and the drawn marks. */
function inspectSvg(page: Page, svg: string) {
  return page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return {
      root: doc.documentElement.nodeName,
      errors: doc.getElementsByTagName('parsererror').length,
      lines: doc.querySelectorAll('g.mark-line path').length,
      bands: doc.querySelectorAll('g.mark-area path').length,
      symbols: doc.querySelectorAll('g.mark-symbol.role-mark path').length,
      text: Array.from(doc.querySelectorAll('text'))
        .map((node) => node.textContent)
        .join(' | '),
      external: Array.from(doc.querySelectorAll('*')).some((node) =>
        Array.from(node.attributes).some(
          (attribute) => /^(https?:|\/\/)/.test(attribute.value) && attribute.name !== 'xmlns' && !attribute.name.startsWith('xmlns:'),
        ),
      ),
    };
  }, svg);
}

/** Opens a report page in a new tab, collecting console errors and warnings, page errors and any request that failed or left the folder. */
async function openReport(browser: Browser, file: string): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${(error as Error).message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file://')) problems.push(`network request: ${request.url()}`);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems };
}

describe('run folder report', () => {
  let work: string;
  let browser: Browser;
  let page: Page;
  const rows = syntheticRows();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'emergence-report-'));
    if (!existsSync(chromium)) throw new Error(`${chromium} is missing; install Debian's chromium or set CHROMIUM_PATH`);
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      userDataDir: join(work, 'chromium-profile'),
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
  });

  afterAll(async () => {
    await browser?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('writes metrics.csv that reads back to the same rows, bit for bit', () => {
    const csv = metricsToCsv(rows);
    const header = csv.slice(0, csv.indexOf('\n'));
    expect(header).toBe(
      'run,seed,phase,kind,epoch,step,loss,trainLoss,trainAccuracy,testLoss,testAccuracy,E,log10E,relative,relativeUnpruned,seconds,' +
        'active:fc1,active:fc2,"active:conv3 (3x3, 64)"',
    );
    expect(csv).toContain('"emergence (α = 2, ""paper"")"');
    const parsed = parseMetricsCsv(csv);
    expect(parsed).toStrictEqual(rows);
    expect(metricsToCsv(parsed)).toBe(csv);
    // Values that a fixed number of digits would not keep.
    const extremes: MetricsRow[] = [
      {
        run: 'a',
        seed: 0,
        phase: 'p',
        kind: 'epoch',
        epoch: 0,
        step: 0,
        loss: 0.1 + 0.2,
        relative: 5e-324,
        seconds: -0,
        log10E: -Infinity,
        E: '0',
      },
      { run: 'line\nbreak', seed: 1, phase: 'p,q', kind: 'steps', epoch: 0.25, step: 25, loss: 1.7976931348623157e308, testLoss: NaN },
    ];
    const back = parseMetricsCsv(metricsToCsv(extremes));
    expect(back).toStrictEqual(extremes);
    expect(Object.is(back[0].seconds, -0)).toBe(true);
    expect(parseMetricsCsv(csv.replace(/\n/g, '\r\n'))).toStrictEqual(rows); // CRLF line ends read the same
  });

  it('rejects a malformed metrics.csv with the line and column', () => {
    const csv = metricsToCsv(rows.slice(0, 2));
    const lines = csv.split('\n');
    lines[2] = lines[2].replace(/^kaiming,0,/, 'kaiming,zero,');
    expect(() => parseMetricsCsv(lines.join('\n'))).toThrow(/line 3, column seed: 'zero' is not a number/);
    expect(() => parseMetricsCsv(csv.replace('relativeUnpruned', 'relativeUnprunedd'))).toThrow(/unknown column 'relativeUnprunedd'/);
    expect(() => parseMetricsCsv(`${csv}"kaiming,0\n`)).toThrow(/quoted field is never closed/);
    expect(() => metricsToCsv([{ ...rows[0], E: '5.03e8' }])).toThrow(/E '5.03e8'/);
  });

  it('averages seeds per run and epoch, skipping NaN values and E = 0', () => {
    const loss = plotData({ id: 'loss', title: 'loss', x: 'epoch', y: 'loss' }, rows);
    expect(loss.series).toEqual(RUNS);
    expect(loss.points).toHaveLength(RUNS.length * EPOCHS);
    const kaimingEpoch2 = loss.points.find((point) => point.series === 'kaiming' && point.x === 2)!;
    expect(kaimingEpoch2.seeds).toBe(1); // seed 1's loss is NaN there
    const expected = rows.find((row) => row.run === 'kaiming' && row.seed === 0 && row.epoch === 2 && row.kind === 'epoch')!.loss!;
    expect(kaimingEpoch2.mean).toBe(expected);
    expect(loss.skipped).toEqual(['1 NaN or infinite value not drawn']);
    const e = plotData({ id: 'e', title: 'E', x: 'epoch', y: 'log10E' }, rows);
    expect(e.skipped).toEqual(['1 point with E = 0 (log10 E = −∞) not drawn']);
    const atFive = e.points.find((point) => point.series === RUNS[1] && point.x === EPOCHS)!;
    expect(atFive.seeds).toBe(1);
    const both = e.points.find((point) => point.series === RUNS[1] && point.x === 1)!;
    const values = rows.filter((row) => row.run === RUNS[1] && row.epoch === 1 && row.kind === 'epoch').map((row) => row.log10E!);
    expect(both.mean).toBeCloseTo((values[0] + values[1]) / 2, 12);
    expect(both.min).toBe(Math.min(...values));
    expect(both.max).toBe(Math.max(...values));
  });

  it('draws one line per phase when phases restart their count, and keeps a continuing phase on the run line', () => {
    const phaseRows: MetricsRow[] = [];
    for (const [run, phase, epochs] of [
      ['pruned', 'mnist', [1, 2, 3]],
      ['pruned', 'fashion-mnist', [1, 2, 3]],
      ['baseline', 'mnist', [1]],
      ['baseline', 'fashion-mnist', [1]],
    ] as const) {
      for (const epoch of epochs)
        phaseRows.push({ run, seed: 0, phase, kind: 'epoch', epoch, step: epoch, testAccuracy: 0.5 + epoch / 10 });
    }
    for (const [phase, epoch] of [
      ['baseline', 1],
      ['baseline', 2],
      ['after-pruning', 2],
      ['after-pruning', 3],
    ] as const) {
      phaseRows.push({ run: 'control', seed: 0, phase, kind: 'epoch', epoch, step: epoch, testAccuracy: 0.6 });
    }
    const data = plotData({ id: 'a', title: 'a', x: 'epoch', y: 'testAccuracy' }, phaseRows);
    expect(data.series).toEqual(['pruned · mnist', 'pruned · fashion-mnist', 'baseline · mnist', 'baseline · fashion-mnist', 'control']);
    const control = data.points.filter((point) => point.series === 'control');
    expect(control.map((point) => point.x)).toEqual([1, 2, 2, 3]);
  });

  it('renders a run that has only its epoch-0 row, and nothing for rows without the value', async () => {
    const initial = rows.filter((row) => row.epoch === 0 && row.kind === 'epoch');
    const plot = await renderPlot({ id: 'e0', title: 'E at init', x: 'epoch', y: 'log10E' }, initial);
    expect(plot).toBeDefined();
    const svg = await inspectSvg(page, plot!.svg);
    expect(svg).toMatchObject({ root: 'svg', errors: 0, lines: 2, symbols: 2, external: false });
    expect(await renderPlot({ id: 'none', title: 'none', x: 'epoch', y: 'loss' }, initial)).toBeUndefined();
    const allZero = initial.map((row) => ({ ...row, E: '0', log10E: -Infinity }));
    expect(await renderPlot({ id: 'zero', title: 'E', x: 'epoch', y: 'log10E' }, allZero)).toBeUndefined();
    expect(plotData({ id: 'zero', title: 'E', x: 'epoch', y: 'log10E' }, allZero).skipped).toEqual([
      `${allZero.length} points with E = 0 (log10 E = −∞) not drawn`,
    ]);
  });

  let written: WrittenReport;
  const complete = () => join(work, 'complete');

  it('writes the plots and a report that opens in Chromium without errors', async () => {
    writeRunFolder(complete(), rows, results());
    written = await writeReport(nodeRunFiles(complete()));
    expect(written.report).toBe('report.html');
    expect(written.plots).toEqual(EXPECTED_PLOTS.map((id) => `plots/${id}.svg`));

    const expectedLines: Record<string, number> = { active: RUNS.length * LAYERS.length };
    for (const file of written.plots) {
      const id = file.slice('plots/'.length, -'.svg'.length);
      const svg = await inspectSvg(page, readFileSync(join(complete(), file), 'utf8'));
      expect(svg, file).toMatchObject({ root: 'svg', errors: 0, external: false });
      expect(svg.lines, `${file}: one line per run`).toBe(expectedLines[id] ?? RUNS.length);
      expect(svg.bands, `${file}: one min-max band per line (two seeds)`).toBe(expectedLines[id] ?? RUNS.length);
      if (id === 'log10E') expect(svg.text).toContain('1 point with E = 0 (log10 E = −∞) not drawn');
      if (id === 'test-accuracy') expect(svg.text).toMatch(/test accuracy/);
    }

    const { page: reportPage, problems } = await openReport(browser, join(complete(), 'report.html'));
    const view = await reportPage.evaluate(() => ({
      svgs: document.querySelectorAll('figure svg').length,
      comparisonRows: Array.from(document.querySelectorAll('table.comparisons tbody tr')).map((row) =>
        Array.from(row.querySelectorAll('td')).map((cell) => cell.textContent?.replace(/\u00a0/g, ' ').trim()),
      ),
      comparisonHeader: Array.from(document.querySelectorAll('table.comparisons th')).map((cell) => cell.textContent),
      verdicts: Array.from(document.querySelectorAll('table.comparisons .verdict')).map((badge) => [
        badge.textContent,
        getComputedStyle(badge).color,
      ]),
      banner: document.querySelector('.banner') !== null,
      scripts: document.querySelectorAll('script').length,
      links: Array.from(document.querySelectorAll('a')).map((link) => link.getAttribute('href')),
      text: document.body.innerText.replace(/\u00a0/g, ' '),
      exactE: Array.from(document.querySelectorAll('.exact')).some((node) => node.getAttribute('title') === 'E = 599000000 (9 digits)'),
    }));
    expect(problems).toEqual([]);
    expect(view.svgs).toBe(EXPECTED_PLOTS.length);
    expect(view.comparisonHeader).toEqual(['quantity', 'paper', 'ours (mean ± std (n))', 'verdict', 'note']);
    expect(view.comparisonRows).toHaveLength(COMPARISONS.length);
    expect(view.comparisonRows[1].slice(0, 4)).toEqual(['E ratio Kaiming / Xavier', '1.19', '1.213 ± 0.021 (n=2)', 'agrees']);
    expect(view.comparisonRows[2].slice(0, 4)).toEqual(['test accuracy after 5 epochs', '97.6 %', '91.25 ± 0.61 % (n=2)', 'differs']);
    expect(view.comparisonRows[0][1]).toBe('5.99 × 108');
    expect(view.exactE).toBe(true);
    const colours = Object.fromEntries(view.verdicts.map(([label, colour]) => [label, colour]));
    expect(new Set(Object.values(colours)).size).toBe(3); // agrees, differs and not comparable each have their colour
    expect(view.banner).toBe(false);
    expect(view.scripts).toBe(0);
    expect(view.links).toEqual(expect.arrayContaining(['config.json', 'metrics.csv', 'results.json', 'plots/active.svg']));
    expect(view.text).toContain('91.25 %'); // the table's accuracy fraction printed as a percentage
    expect(view.text).toContain('Where we differ');
    expect(view.text).toContain('We train on 2,000 images, the paper on 60,000.');
    expect(view.text).toContain('hidden layers (post-ReLU)');

    // The sample run folder and a screenshot of its report, for people to look at.
    const sample = join(root, 'test-artifacts/report-sample');
    rmSync(sample, { recursive: true, force: true });
    cpSync(complete(), sample, { recursive: true });
    await reportPage.screenshot({ path: join(root, 'test-artifacts/report.png'), fullPage: true });
    await reportPage.close();
  });

  it('shows a banner for an interrupted run and escapes every text it shows', async () => {
    const dir = join(work, 'interrupted');
    const injected = '<script>window.injected = 1</script><img src="x.png" onerror="window.injected = 2">';
    writeRunFolder(
      dir,
      rows.filter((row) => row.epoch <= 2),
      results({
        status: 'interrupted',
        tables: [],
        comparisons: [{ quantity: `accuracy ${injected}`, paper: injected, ours: injected, verdict: 'differs', note: injected }],
        notes: [`Interrupted (Ctrl-C) ${injected}`],
        plots: [],
      }),
      config({ title: injected, settings: { [injected]: injected } }),
    );
    await writeReport(nodeRunFiles(dir));
    const { page: reportPage, problems } = await openReport(browser, join(dir, 'report.html'));
    const view = await reportPage.evaluate(() => ({
      banner: document.querySelector('.banner')?.textContent ?? '',
      bannerVisible: (document.querySelector('.banner') as HTMLElement | null)?.offsetHeight ?? 0,
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img').length,
      injected: (window as unknown as { injected?: number }).injected,
      differ: document.querySelector('ul.differ')?.textContent ?? '',
    }));
    expect(problems).toEqual([]);
    expect(view.banner).toMatch(/Interrupted run/);
    expect(view.bannerVisible).toBeGreaterThan(0);
    expect(view).toMatchObject({ scripts: 0, images: 0 });
    expect(view.injected).toBeUndefined();
    expect(view.differ).toContain('<script>window.injected = 1</script>');
    await reportPage.close();
  });

  it('names the missing or malformed file and what it expected', async () => {
    const dir = join(work, 'missing');
    writeRunFolder(dir, rows, undefined);
    await expect(writeReport(nodeRunFiles(dir))).rejects.toThrow(`${dir}/results.json is missing: expected the run's results (RunResults)`);
    writeFileSync(join(dir, 'results.json'), '{"status": "complete",');
    await expect(writeReport(nodeRunFiles(dir))).rejects.toThrow(/results\.json is not valid JSON .*expected the run's results/);
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results({ status: 'done' as RunResults['status'] })));
    await expect(writeReport(nodeRunFiles(dir))).rejects.toThrow(
      /results\.json: field 'status' should be 'complete' or 'interrupted', found string "done"/,
    );
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results()));
    writeFileSync(join(dir, 'metrics.csv'), metricsToCsv(rows).replace(/,train,epoch,0,/, ',train,epoch,zero,'));
    await expect(writeReport(nodeRunFiles(dir))).rejects.toThrow(/metrics\.csv: metrics\.csv line 2, column epoch: 'zero' is not a number/);
    rmSync(join(dir, 'config.json'));
    await expect(writeReport(nodeRunFiles(dir))).rejects.toThrow(`${dir}/config.json is missing`);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });
});
