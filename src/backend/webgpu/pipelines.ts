// Shader modules and compute pipelines, created once per key; compile errors name the shader, line:column and source.
import { ShaderCompileError } from '../../errors.js';

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Validation errors from pipeline creation surface asynchronously; the next sync() or read() throws the first. */
  private pendingError: Error | undefined;

  constructor(private readonly device: GPUDevice) {}

  /** Compiles a shader module and throws ShaderCompileError if the WGSL compiler reports an error. */
  async compile(name: string, source: string): Promise<GPUShaderModule> {
    const cached = this.modules.get(name);
    if (cached) return cached;
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ label: name, code: source });
    const info = await module.getCompilationInfo();
    const scopeError = await this.device.popErrorScope();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0 || scopeError) {
      const first = errors[0];
      const diagnostics = errors.length > 0 ? errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n') : scopeError!.message;
      throw new ShaderCompileError(name, first?.lineNum ?? lineOf(scopeError!.message), first?.linePos ?? 0, diagnostics, source);
    }
    this.modules.set(name, module);
    return module;
  }

  /** The pipeline for a shader's entry point and override constants; its module must have been compiled. */
  pipeline(name: string, source: string, entryPoint: string, constants: Record<string, number>): GPUComputePipeline {
    const key = `${name}:${entryPoint}:${JSON.stringify(constants)}`;
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    let module = this.modules.get(name);
    if (!module) {
      module = this.device.createShaderModule({ label: name, code: source });
      this.modules.set(name, module);
    }
    this.device.pushErrorScope('validation');
    const pipeline = this.device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint, constants } });
    void this.device.popErrorScope().then((error) => {
      if (error && !this.pendingError) {
        this.pipelines.delete(key);
        this.pendingError = new ShaderCompileError(name, lineOf(error.message), 0, `pipeline '${key}': ${error.message}`, source);
      }
    });
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  /** Throws (once) the first asynchronous pipeline error. */
  rethrow(): void {
    const error = this.pendingError;
    if (error) {
      this.pendingError = undefined;
      throw error;
    }
  }
}

function lineOf(message: string): number {
  const match = /:(\d+):(\d+)/.exec(message);
  return match ? Number(match[1]) : 0;
}
