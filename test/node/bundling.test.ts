// A downstream browser build of the package needs no configuration: esbuild bundles an app importing build/dist/index.js
// for the browser with no externals, and nothing that exists only in Node or Deno (node:*, webgpu, vega) is pulled in.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const bundlePath = join(root, 'build/dist/index.js');

/** A small browser app as a user writes it: every public namespace it is likely to touch. */
const browserApp = `
import { createEngine, data, emergence, nn, playground } from ${JSON.stringify(bundlePath)};
const engine = await createEngine({ backend: 'auto', threads: 2 });
const net = nn.sequential(nn.linear(4, 3), nn.relu());
console.log(engine.description, net, data.load, emergence.value, playground.run);
`;

/** `import(` followed (after any comments) by a string literal: a specifier a bundler resolves at build time. */
const LITERAL_DYNAMIC_IMPORT = /\bimport\(\s*(?:\/\*[\s\S]*?\*\/\s*)*["'`][^"'`]*/g;
/** `new URL('literal', import.meta.url)`: Vite and webpack emit the file it names as an asset of the app. */
const LITERAL_ASSET_URL = /new URL\(\s*["'`][^"'`]*["'`]\s*,\s*import\.meta\.url\s*\)/g;

const messages = (list: esbuild.Message[]): string[] =>
  list.map((message) => `${message.text} (${message.location?.file}:${message.location?.line})`);

describe('bundling the package for the browser', () => {
  let result: Pick<esbuild.BuildResult, 'errors' | 'warnings'> & { outputFiles: esbuild.OutputFile[] };
  let output: string;

  beforeAll(async () => {
    if (!existsSync(bundlePath)) throw new Error(`${bundlePath} is missing: run \`npm run build\` first`);
    result = await esbuild
      .build({
        stdin: { contents: browserApp, resolveDir: root, sourcefile: 'browser-app.js' },
        bundle: true,
        format: 'esm',
        platform: 'browser',
        write: false,
        logLevel: 'silent',
      })
      // A failed build is this suite's finding, not a crash: keep its messages for the assertions.
      .catch((failure: esbuild.BuildFailure) => ({ errors: failure.errors, warnings: failure.warnings, outputFiles: [] }));
    output = result.outputFiles[0]?.text ?? '';
  });

  it('esbuild --platform=browser, no externals: no errors and no warnings', () => {
    expect(messages(result.errors)).toEqual([]);
    expect(messages(result.warnings)).toEqual([]);
    expect(output).toContain('createEngine');
  });

  it("the app's bundle loads no runtime-only module by a literal specifier", () => {
    expect(output).toContain('createEngine');
    for (const specifier of ['import("node:', 'import("webgpu")', 'import("vega")', 'import("vega-lite")']) {
      expect(output, specifier).not.toContain(specifier);
    }
    expect(output.match(LITERAL_DYNAMIC_IMPORT) ?? []).toEqual([]);
  });

  it("the package's own bundle keeps runtime imports dynamic, hidden from bundlers, and names no asset URL", async () => {
    const built = await readFile(bundlePath, 'utf8');
    expect(built.match(LITERAL_DYNAMIC_IMPORT) ?? []).toEqual([]);
    expect(built.match(LITERAL_ASSET_URL) ?? []).toEqual([]);
    // The one dynamic import left takes its specifier from a variable, with the comments Vite and webpack look for.
    expect(built).toMatch(/import\(\s*\/\* @vite-ignore \*\/\s*\/\* webpackIgnore: true \*\/\s*specifier\s*\)/);
    expect(built).toContain('importRuntimeModule("node:fs/promises")');
  });
});
