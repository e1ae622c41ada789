import { readdirSync, readFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeSync } from 'node:fs';
afterEach((ctx) => { writeSync(2, `done ${ctx.task.name}\n`); });
process.on('exit', () => writeSync(2, 'EXITING\n'));
import { compileErrors, computeEntryPoints, pipelineError } from '../shaders/validate.js';

const shaderDir = new URL('../../shaders/', import.meta.url);
const shaders = readdirSync(shaderDir)
  .filter((file) => file.endsWith('.wgsl'))
  .sort()
  .map((file) => ({ name: file.slice(0, -'.wgsl'.length), source: readFileSync(new URL(file, shaderDir), 'utf8') }));

Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();

describe('probe', () => {
  let device: GPUDevice;
  beforeAll(async () => {
    device = await adapter!.requestDevice();
  });
  afterAll(async () => {
    await device.queue.onSubmittedWorkDone();

    device.destroy();
    writeSync(2, 'destroyed\n');
  });
  it('finds the shaders', () => {
    expect(shaders.length).toBeGreaterThan(0);
  });
  for (const { name, source } of shaders) {
    it(`${name}.wgsl compiles`, async () => {
      expect(await compileErrors(device, name, source)).toEqual([]);
    });
    for (const entryPoint of computeEntryPoints(source)) {
      it(`${name}.wgsl: pipeline for ${entryPoint}`, async () => {
        expect(await pipelineError(device, name, source, entryPoint)).toBeUndefined();
      });
    }
  }
});
