// Shader validation shared by the Tint (Node, Dawn) and Naga (Deno, wgpu) tests: compile each WGSL file, then build a
// compute pipeline for each entry point with the shader's default override values.

/** WGSL without comments, so commented-out code declares no entry points or overrides. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

/** Names of the `@compute` entry points, in source order. */
export function computeEntryPoints(source: string): string[] {
  return [...stripComments(source).matchAll(/@compute\b[^{;]*?\bfn\s+([A-Za-z_]\w*)/g)].map((match) => match[1]);
}

/** Pipeline-overridable constants declared without a default (they could not be validated standalone). */
export function overridesWithoutDefault(source: string): string[] {
  return [...stripComments(source).matchAll(/\boverride\s+([A-Za-z_]\w*)\s*(?::\s*[\w<>]+\s*)?;/g)].map((match) => match[1]);
}

/** Compiles `source` in a validation error scope; returns one line per error ('line:column message'), none when it compiles. */
export async function compileErrors(device: GPUDevice, name: string, source: string): Promise<string[]> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: name, code: source });
  const info = await module.getCompilationInfo();
  const scopeError = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${name}.wgsl:${m.lineNum}:${m.linePos} ${m.message}`);
  if (scopeError && errors.length === 0) errors.push(`${name}.wgsl: ${scopeError.message}`);
  return errors;
}

/** Creates the compute pipeline for one entry point with default overrides; returns the error message, if any. */
export async function pipelineError(device: GPUDevice, name: string, source: string, entryPoint: string): Promise<string | undefined> {
  const missing = overridesWithoutDefault(source);
  if (missing.length > 0) return `${name}.wgsl: override ${missing.join(', ')} has no default value; give every override one`;
  const module = device.createShaderModule({ label: name, code: source });
  device.pushErrorScope('validation');
  device.createComputePipeline({ label: `${name}:${entryPoint}`, layout: 'auto', compute: { module, entryPoint } });
  const scopeError = await device.popErrorScope();
  return scopeError ? `${name}.wgsl, entry point ${entryPoint}: ${scopeError.message}` : undefined;
}
