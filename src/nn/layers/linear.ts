// nn.linear: PyTorch's nn.Linear, y = x Wᵀ + b on [N, in] inputs, emitted as matmul (transposeB) and biasAdd.
import type { GraphBuilder, ValueId } from '../../autodiff/types.js';
import { ShapeError } from '../../errors.js';
import { sizeOf, type Shape } from '../../tensor-meta.js';
import type { Layer, LayerForward, ParameterSpec } from '../types.js';
import { pythonBool, requireBoolean, requireInteger, requireOptions, requireShape, requireValue, weightAndBias } from './common.js';

export interface LinearOptions {
  /** Default true. */
  bias?: boolean;
}

export class Linear implements Layer {
  readonly type = 'linear';
  readonly hasNodes = true;
  /** The builder call, which names the layer in errors. */
  readonly label: string;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly bias: boolean,
  ) {
    this.label = `nn.linear(${inFeatures}, ${outFeatures}${bias ? '' : ', { bias: false }'})`;
  }

  describe(): string {
    return `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pythonBool(this.bias)})`;
  }

  outputShape(input: Shape): Shape {
    requireShape(this.label, input);
    if (input.length > 1) {
      const features = sizeOf(input);
      const note = features === this.inFeatures ? '' : `, which gives ${features} features, not ${this.inFeatures}`;
      throw new ShapeError(this.label, `expects per-sample input [${this.inFeatures}]; add nn.flatten() before it${note}`, { input });
    }
    if (input.length !== 1 || input[0] !== this.inFeatures) {
      throw new ShapeError(this.label, `expects per-sample input [${this.inFeatures}] (in_features=${this.inFeatures})`, { input });
    }
    return [this.outFeatures];
  }

  parameters(input: Shape): ParameterSpec[] {
    this.outputShape(input);
    const weightShape = [this.outFeatures, this.inFeatures];
    return weightAndBias(weightShape, this.bias);
  }

  forward(g: GraphBuilder, x: ValueId, params: Readonly<Record<string, ValueId>>): LayerForward {
    const weight = requireValue(this.label, params, 'weight');
    const { out } = g.op('matmul', { a: x, b: weight }, { transposeA: false, transposeB: true });
    if (!this.bias) return { output: out };
    return { output: g.op('biasAdd', { x: out, bias: requireValue(this.label, params, 'bias') }, {}).out };
  }
}

/** nn.linear(inFeatures, outFeatures, { bias = true }): weight [out, in] and bias [out], PyTorch's default init. */
export function linear(inFeatures: number, outFeatures: number, options?: LinearOptions): Linear {
  const builder = 'nn.linear';
  const { bias = true } = requireOptions(builder, options, ['bias']);
  return new Linear(
    requireInteger(builder, 'inFeatures', inFeatures, 1),
    requireInteger(builder, 'outFeatures', outFeatures, 1),
    requireBoolean(builder, 'bias', bias),
  );
}
