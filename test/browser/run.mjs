// `npm run test:browser`: serves build/ and the test page with cross-origin isolation headers on 127.0.0.1, runs every
// test group in headless Chromium (WebAssembly on worker threads, WebGPU on SwiftShader), prints each result and exits
// non-zero on any failure or any console error on the page. Saves a screenshot to test-artifacts/browser.png.
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';
import { buildTests } from '../../build/build-tests.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = join(root, 'build');
const pageDir = join(root, 'test/browser');
const artifacts = join(root, 'test-artifacts');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The whole page run; software WebGPU is slow, but the suite takes well under this. */
const TIMEOUT_MS = 15 * 60_000;

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
};

/** The page and its script from test/browser, everything else from build/ (dist/index.js, test/cases.js). */
function resolveRequest(urlPath) {
  const path = decodeURIComponent(urlPath.split('?')[0]);
  if (path === '/' || path === '/index.html') return join(pageDir, 'index.html');
  if (path === '/page.js') return join(pageDir, 'page.js');
  const file = normalize(join(buildDir, path));
  return file.startsWith(buildDir + sep) ? file : undefined;
}

function startServer() {
  const server = createServer((request, response) => {
    // Cross-origin isolation gives the page SharedArrayBuffer, which the WebAssembly threads need.
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    response.setHeader('Cache-Control', 'no-store');
    if (request.url === '/favicon.ico') return void response.writeHead(204).end();
    const file = resolveRequest(request.url ?? '/');
    if (!file || !existsSync(file) || !statSync(file).isFile()) return void response.writeHead(404).end('not found');
    response.writeHead(200, { 'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

if (!existsSync(join(buildDir, 'dist/index.js'))) {
  console.error('browser: build/dist/index.js is missing; run `npm run build` first');
  process.exit(1);
}
if (!existsSync(chromium)) {
  console.error(`browser: ${chromium} is missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  process.exit(1);
}
await buildTests();

const server = await startServer();
const origin = `http://127.0.0.1:${server.address().port}`;
const userDataDir = mkdtempSync(join(tmpdir(), 'emergence-chromium-'));
const browser = await puppeteer
  .launch({
    executablePath: chromium,
    headless: true, // --headless=new
    userDataDir,
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
  .catch((error) => {
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    console.error(`browser: could not start ${chromium}: ${error.message}`);
    process.exit(1);
  });

let passed = 0;
let failed = 0;
const consoleErrors = [];
const start = performance.now();
let exitCode = 1;
try {
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
      if (result.ok) passed++;
      else failed++;
      console.log(`${result.ok ? '✓' : '✗'} ${result.name} (${result.ms.toFixed(0)} ms)`);
      if (!result.ok) console.log(`    ${result.error.replaceAll('\n', '\n    ')}`);
    }
  });
  const done = new Promise((resolve) => page.exposeFunction('emergenceDone', resolve));
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(`the page did not finish within ${TIMEOUT_MS / 60_000} minutes`), TIMEOUT_MS);
  });

  await page.goto(`${origin}/`, { waitUntil: 'load' });
  const pageFailure = await Promise.race([done, timeout]);
  clearTimeout(timer);
  if (pageFailure) {
    failed++;
    console.log(`✗ page › runs to the end\n    ${pageFailure}`);
  }

  // The page itself counts as one more check: no console errors, uncaught exceptions or failed requests.
  if (consoleErrors.length === 0) {
    passed++;
    console.log('✓ page › no console errors');
  } else {
    failed++;
    console.log(`✗ page › no console errors\n    ${consoleErrors.join('\n    ')}`);
  }

  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'browser.png'), fullPage: true });
  exitCode = failed > 0 ? 1 : 0;
} finally {
  await browser.close();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`browser: screenshot in test-artifacts/browser.png (${((performance.now() - start) / 1000).toFixed(1)} s)`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(exitCode);
