// `npm run test:browser`: serves the package's pages with `emergence serve`'s server (cross-origin isolation headers,
// 127.0.0.1) and runs them in headless Chromium (WebAssembly on worker threads, WebGPU on SwiftShader): every test group
// on both backends (/tests/), the playground page (playground-suite.mjs) and the browser guide's example
// (example-suite.mjs). Prints each result, saves screenshots to test-artifacts/ and exits non-zero on any failure or any
// console error on a page.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer';
import { buildTests } from '../../build/build-tests.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = join(root, 'test-artifacts');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The test-group page; software WebGPU is slow, but the suite takes well under this. */
const CASES_TIMEOUT_MS = 15 * 60_000;
/** Node's own WebGPU (Dawn) runs on SwiftShader too, for the playground's comparison run. */
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

for (const [file, hint] of [
  ['build/dist/index.js', 'run `npm run build` first'],
  ['build/playground/index.html', 'run `npm run build` first'],
]) {
  if (!existsSync(join(root, file))) {
    console.error(`browser: ${file} is missing; ${hint}`);
    process.exit(1);
  }
}
if (!existsSync(chromium)) {
  console.error(`browser: ${chromium} is missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  process.exit(1);
}
await buildTests();
mkdirSync(artifacts, { recursive: true });

const { playground } = await import('../../build/dist/index.js');
const server = await playground.serve({
  port: 0,
  mounts: {
    '/tests/': join(root, 'test/browser'),
    '/test/': join(root, 'build/test'),
    '/examples/': join(root, 'examples'),
    '/build/': join(root, 'build'),
  },
  log: (line) => console.log(`  [server] ${line}`),
});
const origin = server.url.replace(/\/$/, '');
const userDataDir = mkdtempSync(join(tmpdir(), 'emergence-chromium-'));
const browser = await puppeteer
  .launch({
    executablePath: chromium,
    headless: true, // --headless=new
    userDataDir,
    protocolTimeout: 20 * 60_000,
    args: [
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      '--use-webgpu-adapter=swiftshader',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
  .catch(async (error) => {
    await server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    console.error(`browser: could not start ${chromium}: ${error.message}`);
    process.exit(1);
  });

let passed = 0;
let failed = 0;
const start = performance.now();

function report(result) {
  if (result.ok) passed++;
  else failed++;
  console.log(`${result.ok ? '✓' : '✗'} ${result.name} (${result.ms.toFixed(0)} ms)`);
  if (!result.ok) console.log(`    ${String(result.error).replaceAll('\n', '\n    ')}`);
}

/** The test groups on WebAssembly and WebGPU in one page (/tests/), reported case by case as they finish. */
async function runCasesPage() {
  const consoleErrors = [];
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error') consoleErrors.push(text);
    console.log(`  [page ${message.type()}] ${text}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => consoleErrors.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) consoleErrors.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  await page.exposeFunction('emergenceReport', (result) => {
    if (result.environment) {
      const env = result.environment;
      console.log(`browser: ${env.userAgent}`);
      console.log(`browser: crossOriginIsolated ${env.crossOriginIsolated}, hardwareConcurrency ${env.hardwareConcurrency}`);
      console.log(`browser: WebGPU adapter ${env.webgpu ?? 'none'}`);
    } else if (result.engine) {
      console.log(`browser: ${result.engine.backend} engine: ${result.engine.description}`);
    } else {
      report(result);
    }
  });
  const done = new Promise((resolve) => page.exposeFunction('emergenceDone', resolve));
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(`the page did not finish within ${CASES_TIMEOUT_MS / 60_000} minutes`), CASES_TIMEOUT_MS);
  });
  const pageStart = performance.now();
  await page.goto(`${origin}/tests/`, { waitUntil: 'load' });
  const pageFailure = await Promise.race([done, timeout]);
  clearTimeout(timer);
  if (pageFailure) report({ name: 'page › runs to the end', ok: false, ms: performance.now() - pageStart, error: pageFailure });
  // The page itself counts as one more check: no console errors, uncaught exceptions or failed requests.
  report({ name: 'page › no console errors', ok: consoleErrors.length === 0, ms: 0, error: consoleErrors.join('\n') });
  await page.screenshot({ path: join(artifacts, 'browser.png'), fullPage: true });
  await page.close();
}

/** A suite module's results, or one failure when the suite itself threw. */
async function runSuite(name, file, exportName, options) {
  const suiteStart = performance.now();
  try {
    const suite = await import(pathToFileURL(join(root, 'test/browser', file)).href);
    for (const result of await suite[exportName](options)) report(result);
  } catch (error) {
    report({ name: `${name} › runs`, ok: false, ms: performance.now() - suiteStart, error: error?.stack ?? String(error) });
  }
}

let exitCode = 1;
try {
  const only = process.env.EMERGENCE_BROWSER_SUITES?.split(',');
  const wanted = (name) => !only || only.includes(name);
  if (wanted('cases')) await runCasesPage();
  if (wanted('playground')) await runSuite('playground', 'playground-suite.mjs', 'runPlaygroundSuite', { browser, origin, artifacts });
  if (wanted('example') && existsSync(join(root, 'test/browser/example-suite.mjs'))) {
    await runSuite('browser example', 'example-suite.mjs', 'runBrowserExample', { browser, origin, artifacts });
  }
  exitCode = failed > 0 ? 1 : 0;
} finally {
  await browser.close();
  await server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`browser: screenshots in test-artifacts/ (${((performance.now() - start) / 1000).toFixed(1)} s)`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(exitCode);
