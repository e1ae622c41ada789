// 'auto' on a machine whose only WebGPU adapter is a software renderer (SwiftShader here): WebAssembly wins, and says why.
import { createEngine } from 'emergence-engine';
import { describe, expect, it } from 'vitest';

const haveSoftwareAdapter = process.env.EMERGENCE_REQUIRE_WEBGPU === '1';

// Needs the SwiftShader ICD that `npm test` points VK_ICD_FILENAMES at; without it there is no adapter to refuse.
describe.skipIf(!haveSoftwareAdapter)("'auto' with only a software WebGPU adapter", () => {
  it('picks WebAssembly and says the adapter is a software renderer, once', async () => {
    const log: string[] = [];
    for (let i = 0; i < 2; i++) {
      const engine = await createEngine({ backend: 'auto', log: (message) => log.push(message) });
      expect(engine.backend).toBe('wasm');
      await engine.dispose();
    }
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/software renderer/);
    expect(log[0]).toMatch(/SwiftShader/i);
  });

  it("takes the software adapter when asked (allowSoftwareGpu, or backend 'webgpu')", async () => {
    for (const options of [{ backend: 'auto' as const, allowSoftwareGpu: true }, { backend: 'webgpu' as const }]) {
      const engine = await createEngine(options);
      expect(engine.backend).toBe('webgpu');
      await engine.dispose();
    }
  });
});
