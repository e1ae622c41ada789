// Chooses the page's engine: WebGPU when the browser gives an adapter (software ones too), else WebAssembly, with the reason.
import { createEngine, type Engine } from '../../index.js';

/** Adapter names of CPU renderers (as the engine's own WebGPU device check knows them). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|software|warp|basic render/i;

export type BackendPreference = 'auto' | 'webgpu' | 'wasm';

/** What the page learned about WebGPU in this browser. */
export interface WebGpuSupport {
  available: boolean;
  /** Why WebGPU is not used, when it is not. */
  reason?: string;
}

/** The preferred backend could not start; says what was learned about WebGPU on the way. */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly webgpu: WebGpuSupport,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

export interface ChosenBackend {
  engine: Engine;
  webgpu: WebGpuSupport;
  /** The sentence the banner shows: which backend runs the training and why. */
  notice: string;
  /** True when the page should draw attention to the notice (WebGPU missing or failing). */
  fallback: boolean;
}

/** Whether this browser offers a WebGPU adapter; never throws. */
export async function detectWebGpu(): Promise<WebGpuSupport> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    return {
      available: false,
      reason: window.isSecureContext
        ? 'this browser has no navigator.gpu (WebGPU is not supported or is turned off)'
        : 'navigator.gpu is missing because the page is not a secure context (serve it over https or from localhost)',
    };
  }
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter)
      return { available: false, reason: 'navigator.gpu returned no adapter (the GPU or its driver is blocked or unsupported)' };
    return { available: true };
  } catch (error) {
    return { available: false, reason: `navigator.gpu.requestAdapter failed: ${(error as Error).message}` };
  }
}

/** How the WebAssembly engine runs: its threads, and why only one when the page is not cross-origin isolated. */
function wasmNotice(engine: Engine): string {
  const threads = Number(/(\d+) threads?/.exec(engine.description)?.[1] ?? '1');
  if (threads === 1 && !window.crossOriginIsolated) {
    return (
      'Training runs on WebAssembly on one thread: this page is not cross-origin isolated (its server must send the ' +
      'Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers), so SharedArrayBuffer and worker threads are unavailable.'
    );
  }
  return `Training runs on WebAssembly with ${threads} thread${threads === 1 ? '' : 's'}.`;
}

/**
 * The engine for `preference`: 'auto' takes WebGPU when an adapter exists, else WebAssembly; 'webgpu' insists (an
 * error when there is none); 'wasm' takes WebAssembly.
 */
export async function chooseBackend(preference: BackendPreference): Promise<ChosenBackend> {
  const webgpu = await detectWebGpu();
  if (preference === 'wasm') {
    const engine = await createEngine({ backend: 'wasm' });
    return { engine, webgpu, fallback: false, notice: `WebAssembly was chosen (backend=wasm). ${wasmNotice(engine)}` };
  }
  if (!webgpu.available) {
    if (preference === 'webgpu') throw new BackendError(`WebGPU was asked for (backend=webgpu), but ${webgpu.reason}`, webgpu);
    const engine = await createEngine({ backend: 'wasm' });
    return { engine, webgpu, fallback: true, notice: `No WebGPU in this browser: ${webgpu.reason}. ${wasmNotice(engine)}` };
  }
  try {
    const engine = await createEngine({ backend: 'webgpu' });
    const software = SOFTWARE_RENDERER.test(engine.description)
      ? ' The adapter is a software renderer: correct, but usually slower than WebAssembly on the same CPU (pick WebAssembly under Backend to compare).'
      : '';
    return { engine, webgpu, fallback: false, notice: `Training runs on WebGPU.${software}` };
  } catch (error) {
    const reason = `the WebGPU engine could not start (${(error as Error).message})`;
    if (preference === 'webgpu')
      throw new BackendError(`WebGPU was asked for (backend=webgpu), but ${reason}`, { available: false, reason });
    const engine = await createEngine({ backend: 'wasm' });
    return {
      engine,
      webgpu: { available: false, reason },
      fallback: true,
      notice: `WebGPU is present but unusable: ${reason}. ${wasmNotice(engine)}`,
    };
  }
}
