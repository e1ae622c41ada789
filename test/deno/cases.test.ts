// Runs the runtime-neutral test groups in Deno (WebGPU through wgpu, WebAssembly on Blob-URL workers) on the built bundle.
import type { BackendKind, Engine } from 'emergence-engine';
import type { TestCase } from '../cases/index.js';

type EngineModule = typeof import('emergence-engine');
type CasesModule = typeof import('../cases/index.js');

// The package bundle and the bundled cases (build/build-tests.mjs), loaded by URL so Deno runs exactly what ships.
const { createEngine }: EngineModule = await import(new URL('../../build/dist/index.js', import.meta.url).href);
const { groups }: CasesModule = await import(new URL('../../build/test/cases.js', import.meta.url).href);

/** Threads the WebAssembly engine is asked for; the runner checks it really got them. */
const WASM_THREADS = 2;
const requireWebGpu = Deno.env.get('EMERGENCE_REQUIRE_WEBGPU') === '1';

const probe = await createEngine({ backend: 'webgpu' }).catch((error: Error) => {
  if (requireWebGpu) throw error;
  console.warn(`WebGPU tests skipped: ${error.message}`);
  return undefined;
});
await probe?.dispose();

// Engine lifecycle and cases run in registration order; sanitizers are off because the engine (its worker threads and
// GPU device) deliberately outlives each case.
const lifecycle = { sanitizeOps: false, sanitizeResources: false };

for (const backend of ['wasm', 'webgpu'] as BackendKind[]) {
  const ignore = backend === 'webgpu' && !probe;
  // Started by whichever test runs first, so a --filter that skips 'engine starts' still gets an engine.
  let started: Promise<Engine> | undefined;
  const startEngine = (): Promise<Engine> => (started ??= createEngine({ backend, threads: WASM_THREADS }));

  Deno.test({
    name: `${backend} › engine starts`,
    ignore,
    ...lifecycle,
    async fn() {
      const engine = await startEngine();
      if (engine.backend !== backend) throw new Error(`asked for ${backend}, got ${engine.backend}`);
      if (backend === 'wasm' && !engine.description.includes(`${WASM_THREADS} threads`)) {
        throw new Error(`expected ${WASM_THREADS} WebAssembly threads, got: ${engine.description}`);
      }
      console.log(`${backend}: ${engine.description}`);
    },
  });

  for (const group of groups) {
    for (const testCase of group.cases as TestCase[]) {
      if (testCase.backends && !testCase.backends.includes(backend)) continue;
      Deno.test({
        name: `${backend} › ${group.name} › ${testCase.name}`,
        ignore,
        ...lifecycle,
        async fn() {
          const engine = await startEngine();
          await engine.scope(() => testCase.run(engine));
        },
      });
    }
  }

  Deno.test({
    name: `${backend} › engine disposes`,
    ignore,
    ...lifecycle,
    async fn() {
      const engine = await started;
      started = undefined;
      await engine?.dispose();
    },
  });
}
