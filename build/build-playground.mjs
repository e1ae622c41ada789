// Builds the playground page: esbuild bundles src/playground/page/main.ts with the engine into build/playground/, plus its HTML and CSS.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { esbuildAssets } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pageSource = join(root, 'src/playground/page');
export const playgroundDir = join(root, 'build/playground');

/** Writes build/playground/{index.html, style.css, playground.js(.map)}: a self-contained page (no external resources). */
export async function buildPlayground() {
  const start = performance.now();
  mkdirSync(playgroundDir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(pageSource, 'main.ts')],
    outfile: join(playgroundDir, 'playground.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    loader: esbuildAssets,
    // Reached only by dynamic imports on Node (Dawn, node: modules, the report plots); never loaded by the page.
    external: ['webgpu', 'node:*', 'vega', 'vega-lite'],
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(pageSource, file), join(playgroundDir, file));
  console.error(`build: playground page (${((performance.now() - start) / 1000).toFixed(1)} s)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await buildPlayground();
