// The `emergence` CLI run as users run it (node bin/emergence.mjs, a child process): help, usage errors, train, measure, Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/emergence.mjs'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env } });

describe('emergence CLI', () => {
  it('lists the commands, and the experiments under experiment', () => {
    const run = cli('--help');
    expect(run.status).toBe(0);
    for (const command of ['train', 'measure', 'bench', 'experiment', 'report']) expect(run.stdout).toContain(command);
    const list = cli('experiment');
    expect(list.status).toBe(2);
    expect(list.stderr).toContain('init-comparison');
    const unknown = cli('experiment', 'init-comparsion');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown experiment 'init-comparsion'");
  });

  it("experiment <name> --help shows its settings with each scale's value, and the common options", () => {
    const run = cli('experiment', 'init-comparison', '--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('usage: emergence experiment init-comparison');
    expect(run.stdout).toMatch(/--hidden W,W,W .*\[test "32,32,32", default "512,512,512", paper "1024,1024,1024"\]/);
    for (const option of ['--scale', '--out', '--resume', '--help', '--backend', '--seed', '--json']) expect(run.stdout).toContain(option);
  });

  it.each(['train', 'measure', 'bench'])('%s --help shows its options and the common ones', (command) => {
    const run = cli(command, '--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`usage: emergence ${command}`);
    for (const option of ['--help', '--backend', '--seed', '--json']) expect(run.stdout).toContain(option);
  });

  it('names an unknown option or command, prints the usage and exits 2', () => {
    const option = cli('train', '--epoch', '3');
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("unknown option '--epoch'");
    expect(option.stderr).toContain('usage: emergence train');
    const command = cli('trian');
    expect(command.status).toBe(2);
    expect(command.stderr).toContain("unknown command 'trian'");
    const value = cli('train', '--epochs', 'two');
    expect(value.status).toBe(2);
    expect(value.stderr).toContain("--epochs takes a number, got 'two'");
  });

  it('train --json prints one JSON document with the test accuracy', () => {
    const run = cli('train', '--limit', '512', '--epochs', '1', '--batch', '64', '--backend', 'wasm', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.epochsCompleted).toBe(1);
    expect(result.interrupted).toBe(false);
    // 8 Adam steps on 512 MNIST samples lift the MLP well above chance (measured: 75%).
    expect(result.testAccuracy).toBeGreaterThan(0.4);
    expect(run.stderr).toContain('batch 8/8');
  });

  it('train --checkpoint then --resume continues to the same figures as one uninterrupted run', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'emergence-cli-')), 'mlp.ckpt');
    const common = ['--limit', '512', '--batch', '64', '--backend', 'wasm', '--json'];
    const straight = JSON.parse(cli('train', '--epochs', '2', ...common).stdout);
    const first = cli('train', '--epochs', '1', '--checkpoint', file, ...common);
    expect(first.status, first.stderr).toBe(0);
    const resumed = cli('train', '--epochs', '2', '--checkpoint', file, '--resume', ...common);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming from');
    const figures = (result: { epochs: { epoch: number; loss: number; validation: unknown }[] }) =>
      result.epochs.map(({ epoch, loss, validation }) => ({ epoch, loss, validation }));
    expect(figures(JSON.parse(resumed.stdout))).toEqual(figures(straight));
    const other = cli('train', '--epochs', '2', '--lr', '0.01', '--checkpoint', file, '--resume', ...common);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('written with other settings: lr 0.001 (now 0.01)');
  });

  it('measure --json gives E and per-layer n and a', () => {
    const run = cli('measure', '--probe', '100', '--backend', 'wasm', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.layers.map((layer: { n: number }) => layer.n)).toEqual([512, 512, 512]);
    expect(result.layers.every((layer: { a: number; n: number }) => layer.a > 0 && layer.a <= layer.n)).toBe(true);
    // E is exact: a decimal string of a positive integer.
    expect(BigInt(result.E) > 0n).toBe(true);
  });

  it('Ctrl-C during train stops after the current step, writes the finished epochs and exits 130', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'emergence-cli-')), 'run.json');
    const child = spawn(
      process.execPath,
      [join(root, 'bin/emergence.mjs'), 'train', '--limit', '2048', '--epochs', '50', '--batch', '64', '--backend', 'wasm', '--out', out],
      { cwd: root },
    );
    let stderr = '';
    const firstEpoch = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('train: epoch 1:')) resolve();
      }),
    );
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await firstEpoch;
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.interrupted).toBe(true);
    expect(result.epochsCompleted).toBeGreaterThanOrEqual(1);
    expect(result.epochsCompleted).toBeLessThan(50);
    expect(result.epochs).toHaveLength(result.epochsCompleted);
  }, 30_000);

  it('Ctrl-C in the middle of an epoch stops there: no epoch finished, exit 130 (fit lets the event loop run)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'emergence-cli-')), 'run.json');
    // 30,000 samples take seconds per epoch on WebAssembly; Ctrl-C comes 0.5 s after training starts.
    const child = spawn(
      process.execPath,
      [join(root, 'bin/emergence.mjs'), 'train', '--limit', '30000', '--epochs', '1', '--backend', 'wasm', '--out', out],
      { cwd: root },
    );
    let stderr = '';
    const started = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('(0): Flatten')) resolve();
      }),
    );
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await started;
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGINT');
    expect(await exit, stderr).toBe(130);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.interrupted).toBe(true);
    expect(result.epochsCompleted).toBe(0);
  }, 30_000);
});
