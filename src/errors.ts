// Error types the engine throws: each names the operation, the tensors involved and what was expected.
import { formatShape, type Shape } from './tensor-meta.js';

/** Base class of the engine's errors. */
export class EngineError extends Error {
  override name = 'EngineError';
}

/** A tensor's shape, length or type does not fit the operation. */
export class ShapeError extends EngineError {
  override name = 'ShapeError';
  constructor(
    readonly op: string,
    message: string,
    readonly tensors: Record<string, Shape> = {},
  ) {
    const described = Object.entries(tensors)
      .map(([name, shape]) => `${name} ${formatShape(shape)}`)
      .join(', ');
    super(`${op}: ${message}${described ? ` (got ${described})` : ''}`);
  }
}

/** A tensor was used after dispose(). */
export class DisposedTensorError extends EngineError {
  override name = 'DisposedTensorError';
  constructor(op: string, tensorName: string, shape: Shape) {
    super(`${op}: input '${tensorName}' ${formatShape(shape)} was disposed; it can no longer be read or used`);
  }
}

/** A WGSL shader failed to compile; carries the shader name, the first error's line:column and the source. */
export class ShaderCompileError extends EngineError {
  override name = 'ShaderCompileError';
  constructor(
    readonly shader: string,
    readonly line: number,
    readonly column: number,
    readonly diagnostics: string,
    readonly source: string,
  ) {
    super(`shader '${shader}' failed to compile at ${line}:${column}: ${diagnostics}\n${excerpt(source, line)}`);
  }
}

/** The requested backend cannot run here. */
export class BackendUnavailableError extends EngineError {
  override name = 'BackendUnavailableError';
}

function excerpt(source: string, line: number): string {
  const lines = source.split('\n');
  const from = Math.max(0, line - 3);
  const to = Math.min(lines.length, line + 2);
  return lines
    .slice(from, to)
    .map((text, i) => `${String(from + i + 1).padStart(4)}${from + i + 1 === line ? ' >' : '  '} ${text}`)
    .join('\n');
}
