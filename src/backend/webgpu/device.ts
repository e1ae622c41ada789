// Finds a WebGPU adapter in each runtime: the npm package `webgpu` (Dawn) in Node, navigator.gpu in Deno and browsers.
import { BackendUnavailableError } from '../../errors.js';
import { detectRuntime, type RuntimeName } from '../../platform/runtime.js';
import { importRuntimeModule } from '../../platform/runtime-import.js';

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  runtime: RuntimeName;
  description: string;
  /** A CPU renderer (SwiftShader, lavapipe/llvmpipe, WARP): correct, but far slower than the WebAssembly backend. */
  software: boolean;
}

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|lavapipe|software|warp|basic render/i;

/** Keeps Node's Dawn instance alive as long as its devices are. */
let nodeGpu: GPU | undefined;

async function gpuEntryPoint(runtime: RuntimeName): Promise<GPU | undefined> {
  if (runtime !== 'node') return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (nodeGpu) return nodeGpu;
  let dawn: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    dawn = (await importRuntimeModule('webgpu')) as unknown as typeof dawn;
  } catch (error) {
    throw new BackendUnavailableError(
      `webgpu: Node has no built-in WebGPU and the npm package 'webgpu' could not be loaded (${(error as Error).message}); install it with 'npm install webgpu'`,
    );
  }
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  nodeGpu = dawn.create([]);
  return nodeGpu;
}

function installHint(runtime: RuntimeName): string {
  switch (runtime) {
    case 'node':
      return "Node uses the npm package 'webgpu' (Dawn), which needs a Vulkan driver: a GPU's, or SwiftShader on a CPU (Debian: apt-get install chromium, then VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)";
    case 'deno':
      return "Deno uses wgpu, which needs a Vulkan driver: a GPU's, or lavapipe on a CPU (Debian: apt-get install mesa-vulkan-drivers)";
    case 'browser':
      return 'use a browser with WebGPU enabled (Chrome 113+, Edge, Safari 18+, or Chromium with --enable-unsafe-webgpu) on a page served over https or from localhost';
  }
}

export async function acquireDevice(powerPreference: GPUPowerPreference = 'high-performance'): Promise<AcquiredDevice> {
  const runtime = detectRuntime();
  const gpu = await gpuEntryPoint(runtime);
  if (!gpu) throw new BackendUnavailableError(`webgpu: ${runtime} offers no navigator.gpu; ${installHint(runtime)}`);
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) throw new BackendUnavailableError(`webgpu: no WebGPU adapter found in ${runtime}; ${installHint(runtime)}`);
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
    },
  });
  const info = adapter.info;
  // Some adapters (wgpu) report the vendor as a PCI id number; keep only words that name something.
  const name = [info.vendor, info.architecture, info.description || info.device].filter((part) => part && !/^\d+$/.test(part)).join(' ');
  const software = info.isFallbackAdapter === true || SOFTWARE_RENDERERS.test(`${info.vendor} ${info.description} ${info.device}`);
  return { device, adapter, runtime, software, description: `${name || 'unknown adapter'} (${runtime})` };
}
