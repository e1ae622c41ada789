// Every shaders/*.wgsl must compile in Tint (Dawn, the npm package `webgpu`) and give a pipeline for each entry point.
import { readdirSync, readFileSync } from 'node:fs';
import { create } from 'webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileErrors, computeEntryPoints, pipelineError } from '../shaders/validate.js';

const shaderDir = new URL('../../shaders/', import.meta.url);
const shaders = readdirSync(shaderDir)
  .filter((file) => file.endsWith('.wgsl'))
  .sort()
  .map((file) => ({ name: file.slice(0, -'.wgsl'.length), source: readFileSync(new URL(file, shaderDir), 'utf8') }));

const requireWebGpu = process.env.EMERGENCE_REQUIRE_WEBGPU === '1';
// Dawn's instance must outlive its adapter and device: once collected, its pending event processing runs on freed
// memory and aborts the process. The afterAll hook refers to it, which keeps it reachable until the tests are done.
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter && !requireWebGpu) console.warn('Tint shader validation skipped: Dawn found no WebGPU adapter');

describe.skipIf(!adapter && !requireWebGpu)('WGSL in Tint (Dawn)', () => {
  let device: GPUDevice;
  beforeAll(async () => {
    if (!adapter) throw new Error('Dawn found no WebGPU adapter (set VK_ICD_FILENAMES to a Vulkan driver, e.g. SwiftShader)');
    device = await adapter.requestDevice();
  });
  afterAll(() => {
    device?.destroy();
    void gpu;
  });

  it('finds the shaders', () => {
    expect(shaders.length).toBeGreaterThan(0);
  });
  for (const { name, source } of shaders) {
    it(`${name}.wgsl compiles`, async () => {
      expect(await compileErrors(device, name, source)).toEqual([]);
    });
    const entryPoints = computeEntryPoints(source);
    it(`${name}.wgsl declares a @compute entry point`, () => {
      expect(entryPoints.length).toBeGreaterThan(0);
    });
    for (const entryPoint of entryPoints) {
      it(`${name}.wgsl: pipeline for ${entryPoint}`, async () => {
        expect(await pipelineError(device, name, source, entryPoint)).toBeUndefined();
      });
    }
  }
});
