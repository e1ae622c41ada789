// The browser example's checks (docs/guide-browser.md): opens examples/browser/index.html in pages of a launched
// puppeteer browser, waits for window.exampleResult and returns one { name, ok, ms, error? } per check.
import { join } from 'node:path';
import { emergence } from '../../build/dist/index.js';

/** 'auto' run: enough training images for a clear accuracy, few enough for seconds on WebAssembly. */
const AUTO_SAMPLES = 8000;
/** One epoch on 8,000 MNIST images (125 Adam steps of 64) reached 91.7% test accuracy in headless Chromium (WebAssembly). */
const AUTO_MIN_ACCURACY = 0.85;
/** WebGPU run: software WebGPU (SwiftShader) is slow, so 32 steps; they reached 81.5% (8-16 s with the evaluation). */
const WEBGPU_SAMPLES = 2048;
const WEBGPU_MIN_ACCURACY = 0.7;

const expect = (condition, message) => {
  if (!condition) throw new Error(message);
};

/** Opens the page with a query, waits for its result and collects what went wrong on the way. */
async function openExample(browser, origin, query, timeoutMs, screenshot) {
  const problems = [];
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  const started = performance.now();
  try {
    await page.goto(`${origin}/examples/browser/index.html?${query}`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.exampleResult !== undefined, { timeout: timeoutMs, polling: 200 });
    const { result, text, cores } = await page.evaluate(() => ({
      result: window.exampleResult,
      text: document.body.innerText,
      cores: navigator.hardwareConcurrency,
    }));
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { result, text, cores, problems, ms: performance.now() - started };
  } catch (error) {
    const result = { ok: false, error: `the page (?${query}) did not finish: ${error.message}` };
    return { result, text: '', cores: 1, problems, ms: performance.now() - started };
  } finally {
    await page.close();
  }
}

/** The page's accuracy and E, checked against its own per-layer counts and what it shows. */
function checkFigures({ result, text }, samples, minAccuracy) {
  expect(result.ok, `the page failed: ${result.error}`);
  expect(result.samples === samples && result.testSamples === 10000, `trained on ${result.samples}, tested on ${result.testSamples}`);
  expect(result.accuracy >= minAccuracy && result.accuracy <= 1, `test accuracy ${result.accuracy}, expected >= ${minAccuracy}`);
  const shownAccuracy = `${(100 * result.accuracy).toFixed(2)}%`;
  expect(text.includes(shownAccuracy), `the page does not show the accuracy ${shownAccuracy}:\n${text}`);
  const widths = result.layers.map((layer) => layer.n);
  expect(JSON.stringify(widths) === '[128,64]', `layer widths ${JSON.stringify(widths)}, expected [128,64]`);
  for (const layer of result.layers) expect(layer.a >= 0 && layer.a <= layer.n, `layer ${layer.name}: a = ${layer.a} of n = ${layer.n}`);
  const exact = emergence
    .value(
      widths,
      result.layers.map((layer) => layer.a),
    )
    .toString();
  expect(result.E === exact, `E = ${result.E}, but the page's counts give ${exact}`);
  expect(text.includes(`E = ${result.E}`), `the page does not show E = ${result.E}:\n${text}`);
}

/**
 * Runs the example page twice, with backend 'auto' and with 'webgpu', and checks what it reports. `origin` serves the
 * repository's examples/ at /examples/, build/ at /build/ and MNIST's raw IDX files at /data/mnist/, with cross-origin
 * isolation headers. With `artifacts` (a folder), the finished 'auto' page is saved there as browser-example.png.
 */
export async function runBrowserExample({ browser, origin, artifacts, timeoutMs = 5 * 60_000 }) {
  const results = [];
  const check = (name, ms, fn) => {
    let error;
    try {
      fn();
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    results.push({ name: `browser example › ${name}`, ok: error === undefined, ms, ...(error ? { error } : {}) });
  };

  origin = origin.replace(/\/$/, '');
  const screenshot = artifacts ? join(artifacts, 'browser-example.png') : undefined;
  const auto = await openExample(browser, origin, `samples=${AUTO_SAMPLES}`, timeoutMs, screenshot);
  check('trains on the backend auto picks and shows test accuracy, E and active nodes', auto.ms, () =>
    checkFigures(auto, AUTO_SAMPLES, AUTO_MIN_ACCURACY),
  );
  check('names its backend, and says why when auto fell back to WebAssembly', 0, () => {
    const { result, text } = auto;
    expect(result.ok, 'no result');
    expect(result.backend === 'webgpu' || result.backend === 'wasm', `backend ${result.backend}`);
    expect(text.includes(result.description), `the page does not name the backend (${result.description})`);
    if (result.backend === 'wasm') {
      expect(result.fallback, 'fell back to WebAssembly without a reason');
      expect(text.includes('runs on WebAssembly, not WebGPU'), `the page does not say it fell back to WebAssembly:\n${text}`);
    }
  });
  check('runs WebAssembly on threads (cross-origin isolated)', 0, () => {
    const { result, cores } = auto;
    expect(result.ok, 'no result');
    expect(result.crossOriginIsolated, 'the page is not cross-origin isolated (COOP/COEP headers missing?)');
    const threads = Number(/(\d+) threads?/.exec(result.description)?.[1] ?? 0);
    if (result.backend === 'wasm' && cores > 1) expect(threads > 1, `${cores} cores, but: ${result.description}`);
  });

  const webgpu = await openExample(browser, origin, `backend=webgpu&samples=${WEBGPU_SAMPLES}`, timeoutMs);
  check('trains on WebGPU when asked (?backend=webgpu)', webgpu.ms, () => {
    checkFigures(webgpu, WEBGPU_SAMPLES, WEBGPU_MIN_ACCURACY);
    expect(webgpu.result.backend === 'webgpu', `backend ${webgpu.result.backend}`);
    expect(webgpu.result.fallback === null, `fell back: ${webgpu.result.fallback}`);
  });

  check('no console errors, uncaught exceptions or failed requests', 0, () => {
    const problems = [...auto.problems.map((p) => `auto: ${p}`), ...webgpu.problems.map((p) => `webgpu: ${p}`)];
    expect(problems.length === 0, problems.join('\n'));
  });
  return results;
}
