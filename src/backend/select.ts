// Chooses and creates the backend createEngine asked for: WebGPU on a hardware GPU when allowed, else WebAssembly.
import { BackendUnavailableError, EngineError } from '../errors.js';
import type { EngineOptions } from '../engine-options.js';
import type { Backend } from './backend.js';
import { WasmBackend } from './wasm/backend.js';

/** Set once the fallback notice has been printed, so 'auto' says it once per process. */
let fallbackAnnounced = false;

/**
 * 'webgpu' fails when WebGPU cannot run; 'auto' falls back to WebAssembly when WebGPU is unavailable or only a software
 * renderer is there (unless allowSoftwareGpu), saying why once per process; 'wasm' skips WebGPU.
 */
export async function createBackend(options: EngineOptions): Promise<Backend> {
  const wanted = options.backend ?? 'auto';
  if (!['auto', 'webgpu', 'wasm'].includes(wanted)) {
    throw new EngineError(`createEngine: unknown backend '${String(wanted)}', expected 'auto', 'webgpu' or 'wasm'`);
  }
  if (wanted !== 'wasm') {
    try {
      const { WebGpuBackend } = await import('./webgpu/backend.js');
      return await WebGpuBackend.create({ allowSoftware: wanted === 'webgpu' || options.allowSoftwareGpu === true });
    } catch (error) {
      if (wanted === 'webgpu') throw error;
      if (!(error instanceof BackendUnavailableError)) throw error;
      if (!fallbackAnnounced) {
        fallbackAnnounced = true;
        (options.log ?? console.warn)(`emergence-engine: using WebAssembly. ${error.message}`);
      }
    }
  }
  return WasmBackend.create({ threads: options.threads });
}
