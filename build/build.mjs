// Builds the package: AssemblyScript to .wasm (single-threaded and shared-memory), esbuild bundle, .d.ts types.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Buffer } from 'node:buffer';
import * as esbuild from 'esbuild';
import { buildPlayground } from './build-playground.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'build/dist');
const bin = (name) => join(root, 'node_modules/.bin', name);
const step = (label, fn) => {
  const start = performance.now();
  fn();
  console.error(`build: ${label} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
};

export const esbuildAssets = { '.wgsl': 'text', '.wasm': 'binary' };

/** The core's op table, generated from src/ops: bundled in memory and run, so the build needs no TypeScript loader. */
export async function generatedCoreOps() {
  const result = await esbuild.build({
    entryPoints: [join(root, 'src/autodiff/generate.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    loader: esbuildAssets,
    logLevel: 'warning',
  });
  const url = `data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString('base64')}`;
  const { generateCoreOps } = await import(url);
  return generateCoreOps();
}

export const generatedCorePath = join(root, 'assembly/autodiff/ops.generated.ts');

export async function buildWasm() {
  const generated = await generatedCoreOps();
  let current = '';
  try {
    current = readFileSync(generatedCorePath, 'utf8');
  } catch {
    // first build
  }
  if (current !== generated) writeFileSync(generatedCorePath, generated);
  for (const target of ['release', 'release-shared']) {
    step(`assembly -> ${target}`, () =>
      execFileSync(bin('asc'), ['assembly/index.ts', '--target', target], { cwd: root, stdio: 'inherit' }),
    );
  }
  step('autodiff core -> release', () =>
    execFileSync(bin('asc'), ['assembly/autodiff/index.ts', '--config', 'assembly/autodiff/asconfig.json', '--target', 'release'], {
      cwd: root,
      stdio: 'inherit',
    }),
  );
}

export async function bundle() {
  const start = performance.now();
  await esbuild.build({
    entryPoints: [join(root, 'src/index.ts')],
    outfile: join(dist, 'index.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    sourcemap: true,
    loader: esbuildAssets,
    external: ['webgpu', 'node:*', 'vega', 'vega-lite'],
    logLevel: 'warning',
  });
  console.error(`build: esbuild bundle (${((performance.now() - start) / 1000).toFixed(1)} s)`);
}

export function types() {
  step('declarations', () => {
    rmSync(join(dist, 'types'), { recursive: true, force: true });
    execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    writeFileSync(join(dist, 'index.d.ts'), "export * from './types/index.js';\n");
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(dist, { recursive: true });
  await buildWasm();
  await bundle();
  await buildPlayground();
  types();
}
