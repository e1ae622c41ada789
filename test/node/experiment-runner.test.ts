// The experiment runner on init-comparison at test scale: the run folder's files, Ctrl-C then --resume equal to one
// uninterrupted run (same batches, same weights, same E), settings checks, and the CLI end to end.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { experiments, parseMetricsCsv, type RunConfig, type RunResults } from 'emergence-engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporaryDir } from '../support/temporary.js';

const root = join(import.meta.dirname, '../..');
const temporary = () => temporaryDir('emergence-run-');
/** Two epochs per net so that a resume can start in the middle of a training run. */
const settings = { epochs: 2 };

/** metrics.csv without the wall-clock column, which differs between runs. */
function metricsWithoutTime(dir: string) {
  return parseMetricsCsv(readFileSync(join(dir, 'metrics.csv'), 'utf8')).map(({ seconds: _seconds, ...row }) => row);
}

describe('experiment runner (init-comparison, test scale, wasm)', () => {
  let straight: string;
  let results: RunResults;

  beforeAll(async () => {
    straight = temporary();
    results = await experiments.run('init-comparison', { dir: straight, scale: 'test', backend: 'wasm', settings });
  });

  it('writes config.json, metrics.csv, results.json, plots and report.html, and removes its checkpoints', () => {
    const config = JSON.parse(readFileSync(join(straight, 'config.json'), 'utf8')) as RunConfig;
    expect(config.experiment).toBe('init-comparison');
    expect(config.settings.epochs).toBe(2);
    expect(config.settings.hidden).toBe('32,32,32');
    expect(config.convention).toMatchObject({ threshold: 0.05, statistic: 'mean', probe: 1000, mode: 'eval' });
    expect(config.scaling).toContain('512 MNIST images');
    expect(results.status).toBe('complete');
    expect(JSON.parse(readFileSync(join(straight, 'results.json'), 'utf8'))).toEqual(results);
    expect(existsSync(join(straight, 'report.html'))).toBe(true);
    expect(readdirSync(join(straight, 'plots')).filter((file) => file.endsWith('.svg')).length).toBeGreaterThanOrEqual(4);
    expect(readdirSync(join(straight, 'checkpoints'))).toEqual([]);
  });

  it('records an epoch-0 row with E and one row per epoch for every scheme and seed, and loss blocks', () => {
    const rows = metricsWithoutTime(straight);
    for (const run of ['xavier', 'kaiming', 'emergence']) {
      for (const seed of [0, 1]) {
        const epochs = rows.filter((row) => row.run === run && row.seed === seed && row.kind === 'epoch');
        expect(epochs.map((row) => row.epoch)).toEqual([0, 1, 2]);
        for (const row of epochs) {
          expect(BigInt(row.E!)).toBeGreaterThanOrEqual(0n);
          expect(Object.keys(row.active!)).toHaveLength(3);
          expect(row.testAccuracy).toBeGreaterThan(0);
        }
        // 512 samples / batch 64 = 8 steps per epoch, a block every 2 steps
        expect(rows.filter((row) => row.run === run && row.seed === seed && row.kind === 'steps')).toHaveLength(8);
      }
    }
  });

  it("puts the paper's numbers beside ours", () => {
    const paper = results.comparisons.map((c) => c.paper);
    expect(paper).toEqual(expect.arrayContaining([5.03e8, 5.99e8, 10.87e8]));
    expect(results.tables[0].rows).toHaveLength(3);
  });

  it('an interrupted run resumed from its folder gives the same metrics as the uninterrupted run', async () => {
    const dir = temporary();
    let handler: (() => void) | undefined;
    const log: string[] = [];
    const interrupted = await experiments.run('init-comparison', {
      dir,
      scale: 'test',
      backend: 'wasm',
      settings,
      onInterrupt: (h) => ((handler = h), () => (handler = undefined)),
      // Ctrl-C right after the first epoch of the second net: it stops at the next step, mid-way through that net's run.
      progress: {
        interactive: false,
        write: (text) => {
          log.push(text);
          if (text.includes('train/kaiming/seed0: epoch 1:')) handler?.();
        },
      },
    });
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.notes[0]).toContain('--resume');
    expect(existsSync(join(dir, 'checkpoints/train_kaiming_seed0.ckpt'))).toBe(true);
    const partial = metricsWithoutTime(dir);
    expect(partial.some((row) => row.run === 'emergence')).toBe(false);

    const resumedLog: string[] = [];
    const resumed = await experiments.run('init-comparison', {
      dir,
      resume: true,
      progress: { interactive: false, write: (text) => resumedLog.push(text) },
    });
    expect(resumed.status).toBe('complete');
    expect(resumedLog.join('')).toContain('train/kaiming/seed0: resuming after epoch 1');
    expect(metricsWithoutTime(dir)).toEqual(metricsWithoutTime(straight));
    expect(resumed.comparisons).toEqual(results.comparisons);
  });

  it('refuses a folder that holds a run, unknown settings, and a resume without a run', async () => {
    await expect(experiments.run('init-comparison', { dir: straight, scale: 'test' })).rejects.toThrow(/already holds a run/);
    await expect(experiments.run('init-comparison', { dir: temporary(), scale: 'test', settings: { epoch: 2 } })).rejects.toThrow(
      /unknown setting 'epoch'/,
    );
    await expect(experiments.run('init-comparison', { dir: temporary(), scale: 'test', settings: { epochs: '2' } })).rejects.toThrow(
      /setting 'epochs' takes a number/,
    );
    await expect(experiments.run('init-comparison', { dir: temporary(), resume: true })).rejects.toThrow(/config.json: not found/);
  });

  it('runs from the command line with --json, and `emergence report` redraws the report', () => {
    const dir = join(temporary(), 'run');
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(root, 'bin/emergence.mjs'), ...args], { cwd: root, encoding: 'utf8' });
    const run = cli(
      'experiment',
      'init-comparison',
      '--scale',
      'test',
      '--backend',
      'wasm',
      '--epochs',
      '1',
      '--seeds',
      '1',
      '--out',
      dir,
      '--json',
    );
    expect(run.status, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as RunResults;
    expect(printed.status).toBe('complete');
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).command).toContain('--epochs 1 --seeds 1');
    expect(run.stderr).toContain('report:');
    const report = cli('report', dir);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toContain('report.html');
  });

  it('runs under Deno with the same launcher (deno run -A bin/emergence.mjs)', () => {
    const dir = join(temporary(), 'run');
    const deno = join(root, 'node_modules/.bin/deno');
    const args = [
      'experiment',
      'init-comparison',
      '--scale',
      'test',
      '--backend',
      'wasm',
      '--epochs',
      '1',
      '--seeds',
      '1',
      '--out',
      dir,
      '--json',
    ];
    const run = spawnSync(deno, ['run', '-A', join(root, 'bin/emergence.mjs'), ...args], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as RunResults;
    expect(printed.status).toBe('complete');
    expect(printed.environment.runtime).toBe('deno');
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });
});
