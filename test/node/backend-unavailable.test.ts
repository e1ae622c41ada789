// Without a Vulkan driver: 'webgpu' throws BackendUnavailableError saying what to install; 'auto' falls back to
// WebAssembly and says so once. Runs in a child process whose VK_ICD_FILENAMES points at a file that does not exist.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

/** Reports what createEngine did for 'webgpu' and twice for 'auto', as one JSON line. */
const childScript = fileURLToPath(new URL('./no-webgpu-child.mjs', import.meta.url));

interface ChildResult {
  webgpu: { created?: string; name?: string; isBackendUnavailable?: boolean; message?: string };
  auto: string[];
  log: string[];
}

function runWithoutVulkanDriver(): ChildResult {
  const child = spawnSync(process.execPath, [childScript], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/vulkan_icd.json', VK_DRIVER_FILES: '/nonexistent/vulkan_icd.json' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.status !== 0) throw new Error(`child exited with ${child.status}: ${child.stderr}`);
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ChildResult;
}

describe('without a WebGPU adapter (Node)', () => {
  let result: ChildResult;
  beforeAll(() => {
    result = runWithoutVulkanDriver();
  });

  it("createEngine({ backend: 'webgpu' }) throws BackendUnavailableError naming the runtime and what to install", () => {
    expect(result.webgpu.created).toBeUndefined();
    expect(result.webgpu.name).toBe('BackendUnavailableError');
    expect(result.webgpu.isBackendUnavailable).toBe(true);
    expect(result.webgpu.message).toMatch(/\bnode\b/i);
    expect(result.webgpu.message).toContain('Vulkan');
    expect(result.webgpu.message).toContain('VK_ICD_FILENAMES');
    expect(result.webgpu.message).toMatch(/apt-get install \w+/);
  });

  it("'auto' falls back to WebAssembly and says so once", () => {
    expect(result.auto).toEqual(['wasm', 'wasm']);
    expect(result.log).toHaveLength(1);
    expect(result.log[0]).toMatch(/using WebAssembly/);
    expect(result.log[0]).toContain(result.webgpu.message ?? 'the reason');
  });
});
