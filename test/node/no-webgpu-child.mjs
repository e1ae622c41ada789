// Child process of backend-unavailable.test.ts: reports as one JSON line what createEngine does for 'webgpu' and, twice,
// for 'auto' when no WebGPU adapter can be found (the parent points VK_ICD_FILENAMES at a missing file).
import { BackendUnavailableError, createEngine } from '../../build/dist/index.js';

const result = { webgpu: null, auto: [], log: [] };
try {
  const engine = await createEngine({ backend: 'webgpu' });
  result.webgpu = { created: engine.backend };
  await engine.dispose();
} catch (error) {
  result.webgpu = { name: error.name, isBackendUnavailable: error instanceof BackendUnavailableError, message: error.message };
}
for (let i = 0; i < 2; i++) {
  const engine = await createEngine({ backend: 'auto', log: (message) => result.log.push(message) });
  result.auto.push(engine.backend);
  await engine.dispose();
}
console.log(JSON.stringify(result));
