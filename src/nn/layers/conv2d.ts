// nn.conv2d: PyTorch's nn.Conv2d (NCHW input, OIHW weight, zero padding), emitted as the conv2d op and biasAdd.
import type { GraphBuilder, ValueId } from '../../autodiff/types.js';
import { ShapeError } from '../../errors.js';
import type { Shape } from '../../tensor-meta.js';
import type { Layer, LayerForward, ParameterSpec } from '../types.js';
import {
  pythonTuple,
  requireBoolean,
  requireInteger,
  requireOptions,
  requirePair,
  requireRank,
  requireValue,
  windowOutput,
  type Pair,
  weightAndBias,
} from './common.js';

export interface Conv2dOptions {
  /** Default 1. */
  stride?: Pair;
  /** Zeros added on each side; default 0. */
  padding?: Pair;
  /** Default true. */
  bias?: boolean;
}

export class Conv2d implements Layer {
  readonly type = 'conv2d';
  readonly hasNodes = true;
  /** The builder call, which names the layer in errors. */
  readonly label: string;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: readonly [number, number],
    readonly stride: readonly [number, number],
    readonly padding: readonly [number, number],
    readonly bias: boolean,
  ) {
    const pair = ([a, b]: readonly [number, number]): string => (a === b ? String(a) : `[${a}, ${b}]`);
    const options = [
      stride[0] !== 1 || stride[1] !== 1 ? `stride: ${pair(stride)}` : '',
      padding[0] !== 0 || padding[1] !== 0 ? `padding: ${pair(padding)}` : '',
      bias ? '' : 'bias: false',
    ].filter(Boolean);
    this.label = `nn.conv2d(${inChannels}, ${outChannels}, ${pair(kernelSize)}${options.length ? `, { ${options.join(', ')} }` : ''})`;
  }

  describe(): string {
    let text = `Conv2d(${this.inChannels}, ${this.outChannels}, kernel_size=${pythonTuple(this.kernelSize)}, stride=${pythonTuple(this.stride)}`;
    if (this.padding[0] !== 0 || this.padding[1] !== 0) text += `, padding=${pythonTuple(this.padding)}`;
    if (!this.bias) text += ', bias=False';
    return `${text})`;
  }

  outputShape(input: Shape): Shape {
    requireRank(this.label, input, [3], '[channels, height, width]');
    const [C, H, W] = input;
    if (C !== this.inChannels) {
      throw new ShapeError(this.label, `expects ${this.inChannels} input channels (per-sample [${this.inChannels}, H, W])`, { input });
    }
    const [KH, KW] = this.kernelSize;
    const OH = windowOutput(H, KH, this.stride[0], this.padding[0]);
    const OW = windowOutput(W, KW, this.stride[1], this.padding[1]);
    if (OH < 1 || OW < 1) {
      throw new ShapeError(this.label, `a ${KH}x${KW} kernel with padding [${this.padding.join(', ')}] does not fit the ${H}x${W} input`, {
        input,
      });
    }
    return [this.outChannels, OH, OW];
  }

  parameters(input: Shape): ParameterSpec[] {
    this.outputShape(input);
    const weightShape = [this.outChannels, this.inChannels, ...this.kernelSize];
    return weightAndBias(weightShape, this.bias);
  }

  forward(g: GraphBuilder, x: ValueId, params: Readonly<Record<string, ValueId>>): LayerForward {
    const w = requireValue(this.label, params, 'weight');
    const stride: [number, number] = [this.stride[0], this.stride[1]];
    const padding: [number, number] = [this.padding[0], this.padding[1]];
    const { out } = g.op('conv2d', { x, w }, { stride, padding });
    if (!this.bias) return { output: out };
    return { output: g.op('biasAdd', { x: out, bias: requireValue(this.label, params, 'bias') }, {}).out };
  }
}

/**
 * nn.conv2d(inChannels, outChannels, kernelSize, { stride = 1, padding = 0, bias = true }): weight [O, C, KH, KW] and
 * bias [O], PyTorch's default init. kernelSize, stride and padding are a number or [height, width].
 */
export function conv2d(inChannels: number, outChannels: number, kernelSize: Pair, options?: Conv2dOptions): Conv2d {
  const builder = 'nn.conv2d';
  const { stride = 1, padding = 0, bias = true } = requireOptions(builder, options, ['stride', 'padding', 'bias']);
  return new Conv2d(
    requireInteger(builder, 'inChannels', inChannels, 1),
    requireInteger(builder, 'outChannels', outChannels, 1),
    requirePair(builder, 'kernelSize', kernelSize, 1),
    requirePair(builder, 'stride', stride, 1),
    requirePair(builder, 'padding', padding, 0),
    requireBoolean(builder, 'bias', bias),
  );
}
