// Runs the runtime-neutral test groups in Node with vitest, on WebAssembly and on WebGPU (Dawn).
import { createEngine, type BackendKind, type Engine } from 'emergence-engine';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { groups } from '../cases/index.js';

const requireWebGpu = process.env.EMERGENCE_REQUIRE_WEBGPU === '1';
// Created once here (compiling every shader) and reused by the WebGPU suite below.
const webgpuEngine = await createEngine({ backend: 'webgpu' }).catch((error: Error) => {
  if (requireWebGpu) throw error;
  console.warn(`WebGPU tests skipped: ${error.message}`);
  return undefined;
});

for (const backend of ['wasm', 'webgpu'] as BackendKind[]) {
  // WebGPU is optional outside CI (EMERGENCE_REQUIRE_WEBGPU=1 makes a missing adapter an error above).
  describe.skipIf(backend === 'webgpu' && !webgpuEngine)(backend, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = backend === 'webgpu' && webgpuEngine ? webgpuEngine : await createEngine({ backend });
    });
    afterAll(async () => {
      await engine.dispose();
    });
    for (const group of groups) {
      const cases = group.cases.filter((testCase) => !testCase.backends || testCase.backends.includes(backend));
      if (cases.length === 0) continue;
      describe(group.name, () => {
        for (const testCase of cases) it(testCase.name, () => engine.scope(() => testCase.run(engine)));
      });
    }
  });
}
