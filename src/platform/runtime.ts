// Which JavaScript runtime the engine is running in, and what it offers for threads and GPUs.
import { importRuntimeModule } from './runtime-import.js';

export type RuntimeName = 'node' | 'deno' | 'browser';

interface NodeLikeProcess {
  versions?: { node?: string };
}

export function detectRuntime(): RuntimeName {
  const g = globalThis as { Deno?: unknown; process?: NodeLikeProcess };
  if (g.Deno !== undefined) return 'deno';
  if (g.process?.versions?.node) return 'node';
  return 'browser';
}

/** Logical cores the runtime reports, or 1 when it does not say. */
export async function hardwareThreads(runtime: RuntimeName): Promise<number> {
  if (runtime === 'node') {
    const os = await importRuntimeModule('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/** Shared WebAssembly memory needs SharedArrayBuffer; browsers give it only to cross-origin isolated pages. */
export function sharedMemoryAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer === 'undefined') return false;
  return g.crossOriginIsolated !== false;
}
