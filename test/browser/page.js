// The browser side of the Chromium suite: runs every test group on WebAssembly and WebGPU, shows the results on the page
// and reports each one to run.mjs through the functions it exposes (emergenceReport, emergenceDone). Served at /tests/.
import { createEngine } from '/dist/index.js';
import { groups } from '/test/cases.js';

/** Threads the WebAssembly engine is asked for; the page checks it really got them (needs cross-origin isolation). */
const WASM_THREADS = 2;

const report = (result) => (window.emergenceReport ? window.emergenceReport(result) : Promise.resolve());
const table = document.getElementById('results');
let passed = 0;
let failed = 0;

function show(result) {
  const row = table.insertRow();
  row.className = result.ok ? 'pass' : 'fail';
  row.insertCell().textContent = result.ok ? '✓' : '✗';
  row.insertCell().textContent = result.name;
  const ms = row.insertCell();
  ms.className = 'ms';
  ms.textContent = `${result.ms.toFixed(0)} ms`;
  if (!result.ok) {
    const pre = document.createElement('pre');
    pre.textContent = result.error;
    row.insertCell().append(pre);
  }
}

/** Runs one named check, records it on the page and reports it. */
async function check(name, fn) {
  const start = performance.now();
  let error;
  try {
    await fn();
  } catch (caught) {
    error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
  }
  const result = { name, ok: error === undefined, ms: performance.now() - start, error };
  if (result.ok) passed++;
  else failed++;
  show(result);
  await report(result);
}

async function describeEnvironment() {
  const adapter = await navigator.gpu?.requestAdapter();
  const info = adapter?.info;
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    webgpu: info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter' : null,
  };
}

async function main() {
  const environment = await describeEnvironment();
  document.getElementById('environment').textContent =
    `cross-origin isolated: ${environment.crossOriginIsolated}; WebGPU adapter: ${environment.webgpu ?? 'none'}`;
  await report({ environment });

  for (const backend of ['wasm', 'webgpu']) {
    let engine;
    await check(`${backend} › engine starts`, async () => {
      if (backend === 'wasm' && !environment.crossOriginIsolated) {
        throw new Error('the page is not cross-origin isolated, so WebAssembly threads are unavailable');
      }
      engine = await createEngine({ backend, threads: WASM_THREADS });
      if (engine.backend !== backend) throw new Error(`asked for ${backend}, got ${engine.backend}`);
      if (backend === 'wasm' && !engine.description.includes(`${WASM_THREADS} threads`)) {
        throw new Error(`expected ${WASM_THREADS} WebAssembly threads, got: ${engine.description}`);
      }
      await report({ engine: { backend, description: engine.description } });
    });
    for (const group of groups) {
      for (const testCase of group.cases) {
        if (testCase.backends && !testCase.backends.includes(backend)) continue;
        await check(`${backend} › ${group.name} › ${testCase.name}`, async () => {
          if (!engine) throw new Error(`the ${backend} engine did not start`);
          await engine.scope(() => testCase.run(engine));
        });
      }
    }
    await check(`${backend} › engine disposes`, async () => {
      await engine?.dispose();
    });
  }
  document.getElementById('summary').textContent = `${passed} passed, ${failed} failed`;
}

main().then(
  () => window.emergenceDone?.(null),
  (error) => window.emergenceDone?.(String(error?.stack ?? error)),
);
