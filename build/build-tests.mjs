// Bundles the runtime-neutral test groups (test/cases) into build/test/cases.js for Deno and the browser page, and the
// shader validation helpers into build/test/shader-validation.js for Deno. 'emergence-engine' stays an import of
// ../dist/index.js, so those runtimes test the package bundle itself.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Resolves the package name to the built bundle, relative to build/test/, and leaves it out of the test bundle. */
const packageAsBuiltBundle = {
  name: 'emergence-engine-as-bundle',
  setup(build) {
    build.onResolve({ filter: /^emergence-engine$/ }, () => ({ path: '../dist/index.js', external: true }));
  },
};

export async function buildTests() {
  if (!existsSync(join(root, 'build/dist/index.js'))) {
    throw new Error('build/dist/index.js is missing: run `npm run build` first');
  }
  const start = performance.now();
  await esbuild.build({
    entryPoints: [
      { in: join(root, 'test/cases/index.ts'), out: 'cases' },
      { in: join(root, 'test/shaders/validate.ts'), out: 'shader-validation' },
    ],
    outdir: join(root, 'build/test'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    sourcemap: 'inline',
    plugins: [packageAsBuiltBundle],
    logLevel: 'warning',
  });
  console.error(`build: test cases -> build/test/cases.js, shader-validation.js (${((performance.now() - start) / 1000).toFixed(1)} s)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await buildTests();
