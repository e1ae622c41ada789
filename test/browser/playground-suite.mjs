// The playground page in headless Chromium: trains the default MLP on MNIST on WebGPU to over 95% test accuracy, its
// charts and node view hold data, its numbers match the same seeded run in Node, and without WebGPU it says so and
// trains on WebAssembly. Screenshots go to test-artifacts/. Called by run.mjs with the launched browser and server.
import { join } from 'node:path';
import { createEngine, data, playground } from '../../build/dist/index.js';

/** The bar: over 95% MNIST test accuracy after training in the page. */
const MIN_TEST_ACCURACY = 0.95;
/** Steps of the page's run repeated in Node for the comparison (E is measured every 100 steps by default). */
const COMPARED_STEPS = 300;
/** The default run takes about 2 minutes on SwiftShader here; allow for a slower machine. */
const TRAINING_TIMEOUT_MS = 10 * 60_000;
/**
 * Page vs Node, both on WebGPU through SwiftShader (Chromium's Dawn vs the `webgpu` package's Dawn) or both on
 * WebAssembly: the same WGSL or the same .wasm on the same inputs. Per-step losses within atol + rtol * |loss|, E and
 * every layer's active count exactly equal.
 */
const LOSS_TOLERANCE = { atol: 1e-5, rtol: 1e-4 };
const CHARTS = ['loss', 'accuracy', 'emergence', 'relative', 'active'];

/** Runs `fn` as one named check; returns its result line. */
async function check(name, fn) {
  const start = performance.now();
  try {
    await fn();
    return { name, ok: true, ms: performance.now() - start };
  } catch (error) {
    return { name, ok: false, ms: performance.now() - start, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Opens the page with `query`, collecting console errors, uncaught exceptions and failed requests. */
async function openPage(browser, url, { withoutWebGpu = false } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  if (withoutWebGpu) {
    await page.evaluateOnNewDocument(() => {
      delete globalThis.Navigator.prototype.gpu;
    });
  }
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems };
}

/** Waits until the page's run ends; returns window.playground's state, settings, backend and history. */
async function waitForRun(page, timeoutMs) {
  await page.waitForFunction(() => ['done', 'error'].includes(window.playground?.state), { timeout: timeoutMs, polling: 1000 });
  return page.evaluate(() => {
    const { state, settings, backend, description, webgpu, history, error } = window.playground;
    return JSON.parse(JSON.stringify({ state, settings, backend, description, webgpu, history, error: error ? String(error) : null }));
  });
}

/** The same settings run in Node on `backend` for the first `steps` steps. */
async function nodeRun(backend, settings, steps) {
  const engine = await createEngine({ backend });
  try {
    const train = await data.load(settings.dataset, { split: 'train' });
    const test = await data.load(settings.dataset, { split: 'test' });
    return await playground.run(engine, { ...settings, maxSteps: steps }, { train, test });
  } finally {
    await engine.dispose();
  }
}

/** Losses within tolerance and, at every step both measured, E and the active counts equal; throws naming the first miss. */
function compareRuns(label, page, node, steps) {
  const losses = page.losses.slice(0, steps);
  if (losses.length !== steps || node.losses.length !== steps) {
    throw new Error(`${label}: ${losses.length} page losses and ${node.losses.length} Node losses, expected ${steps}`);
  }
  let worst = { excess: -Infinity };
  losses.forEach((loss, i) => {
    const allowed = LOSS_TOLERANCE.atol + LOSS_TOLERANCE.rtol * Math.abs(node.losses[i]);
    const excess = Math.abs(loss - node.losses[i]) - allowed;
    if (excess > worst.excess) worst = { excess, i, loss, reference: node.losses[i] };
  });
  if (worst.excess > 0) {
    throw new Error(
      `${label}: step ${worst.i + 1} loss ${worst.loss} in the page, ${worst.reference} in Node (tolerance ${JSON.stringify(LOSS_TOLERANCE)})`,
    );
  }
  const nodeMeasures = new Map(node.measures.map((measure) => [measure.step, measure]));
  let compared = 0;
  for (const measure of page.measures) {
    const reference = nodeMeasures.get(measure.step);
    if (!reference || measure.step > steps || page.prunes.some((prune) => prune.step <= measure.step)) continue;
    const counts = (m) => m.layers.map((layer) => `${layer.a}/${layer.n}`).join(' ');
    if (measure.E !== reference.E || counts(measure) !== counts(reference)) {
      throw new Error(
        `${label}: at step ${measure.step} the page has E ${measure.E} (${counts(measure)}), Node E ${reference.E} (${counts(reference)})`,
      );
    }
    compared++;
  }
  if (compared < 2) throw new Error(`${label}: only ${compared} measurements of E to compare`);
  return { steps, measurements: compared, largestLossDifference: Math.max(...losses.map((loss, i) => Math.abs(loss - node.losses[i]))) };
}

/** Each chart's data-points and the node view's layer count, as the page shows them. */
function chartCounts(page) {
  return page.evaluate(() => {
    const charts = {};
    for (const canvas of document.querySelectorAll('[data-chart]')) charts[canvas.dataset.chart] = Number(canvas.dataset.points);
    const view = document.querySelector('[data-layers]');
    return { charts, layers: view ? Number(view.dataset.layers) : undefined, banner: document.body.innerText };
  });
}

export async function runPlaygroundSuite({ browser, origin, artifacts, log = console.log }) {
  const results = [];
  // ---- WebGPU: the default run, to the end --------------------------------------------------------------------------
  const { page, problems } = await openPage(browser, `${origin}/?autostart=1`);
  let run;
  results.push(
    await check('playground › trains the default MLP on WebGPU to over 95% MNIST test accuracy', async () => {
      run = await waitForRun(page, TRAINING_TIMEOUT_MS);
      if (run.state !== 'done') throw new Error(`the page ended in state '${run.state}': ${run.error}`);
      if (run.backend !== 'webgpu') throw new Error(`trained on ${run.backend} (${run.description}), not WebGPU`);
      const { done, start, epochs } = run.history;
      log(
        `playground: ${start.settings.model} ${start.settings.hidden.join('-')} on ${run.description}: ${done.step} steps, ` +
          `test accuracy ${(100 * done.testAccuracy).toFixed(2)}%, ${done.seconds.toFixed(1)} s` +
          (epochs[0] ? `, ${epochs[0].samplesPerSecond.toFixed(0)} samples/s` : ''),
      );
      if (done.reason !== 'finished') throw new Error(`the run ended with '${done.reason}'`);
      if (!(done.testAccuracy > MIN_TEST_ACCURACY))
        throw new Error(`test accuracy ${done.testAccuracy}, expected over ${MIN_TEST_ACCURACY}`);
    }),
  );
  results.push(
    await check('playground › the charts and the node view hold the run’s data', async () => {
      if (!run?.history?.done) throw new Error('no finished run');
      const { charts, layers } = await chartCounts(page);
      for (const chart of CHARTS) {
        if (!(charts[chart] > 1)) throw new Error(`chart '${chart}' draws ${charts[chart]} points (charts: ${JSON.stringify(charts)})`);
      }
      if (charts.loss < run.history.losses.length / 10)
        throw new Error(`the loss chart draws ${charts.loss} points for ${run.history.losses.length} steps`);
      if (layers !== run.history.start.layers.length)
        throw new Error(`the node view shows ${layers} layers, the net has ${run.history.start.layers.length}`);
    }),
  );
  await page.screenshot({ path: join(artifacts, 'playground.png'), fullPage: true });
  results.push(
    await check(`playground › the first ${COMPARED_STEPS} steps match the same seeded run in Node (WebGPU)`, async () => {
      if (!run?.history?.start) throw new Error('no run to compare');
      const node = await nodeRun('webgpu', run.history.start.settings, COMPARED_STEPS);
      const summary = compareRuns('WebGPU', run.history, node, COMPARED_STEPS);
      log(
        `playground: page vs Node on WebGPU: ${summary.steps} losses (largest difference ${summary.largestLossDifference.toExponential(2)}), E at ${summary.measurements} steps equal`,
      );
    }),
  );
  results.push(
    await check('playground › no console errors or warnings (WebGPU page)', async () => {
      if (problems.length) throw new Error(problems.join('\n'));
    }),
  );
  await page.close();

  // ---- no WebGPU: the banner and the WebAssembly fallback -----------------------------------------------------------
  const fallback = await openPage(browser, `${origin}/?autostart=1&maxSteps=${COMPARED_STEPS}`, { withoutWebGpu: true });
  let wasmRun;
  results.push(
    await check('playground › without WebGPU it says so and trains on WebAssembly', async () => {
      wasmRun = await waitForRun(fallback.page, TRAINING_TIMEOUT_MS);
      if (wasmRun.state !== 'done') throw new Error(`the page ended in state '${wasmRun.state}': ${wasmRun.error}`);
      if (wasmRun.backend !== 'wasm') throw new Error(`expected the WebAssembly backend, got ${wasmRun.backend}`);
      if (wasmRun.webgpu?.available !== false || !wasmRun.webgpu.reason)
        throw new Error(`window.playground.webgpu is ${JSON.stringify(wasmRun.webgpu)}`);
      const { banner } = await chartCounts(fallback.page);
      if (!/no WebGPU/i.test(banner) || !/WebAssembly/.test(banner))
        throw new Error(`the page does not say that it has no WebGPU and uses WebAssembly:\n${banner.slice(0, 600)}`);
    }),
  );
  await fallback.page.screenshot({ path: join(artifacts, 'playground-wasm.png'), fullPage: true });
  results.push(
    await check(`playground › on WebAssembly the page matches the same seeded run in Node`, async () => {
      if (!wasmRun?.history?.start) throw new Error('no run to compare');
      const node = await nodeRun('wasm', wasmRun.history.start.settings, COMPARED_STEPS);
      const summary = compareRuns('WebAssembly', wasmRun.history, node, COMPARED_STEPS);
      log(
        `playground: page vs Node on WebAssembly: largest loss difference ${summary.largestLossDifference.toExponential(2)}, E at ${summary.measurements} steps equal`,
      );
    }),
  );
  results.push(
    await check('playground › no console errors or warnings (WebAssembly page)', async () => {
      if (fallback.problems.length) throw new Error(fallback.problems.join('\n'));
    }),
  );
  await fallback.page.close();
  return results;
}
