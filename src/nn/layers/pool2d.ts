// nn.maxPool2d and nn.avgPool2d: PyTorch's MaxPool2d and AvgPool2d (floor mode; average counts the padding), as pool2d.
import type { GraphBuilder, ValueId } from '../../autodiff/types.js';
import { EngineError, ShapeError } from '../../errors.js';
import type { PoolMode } from '../../ops/defs.js';
import type { Shape } from '../../tensor-meta.js';
import type { Layer, LayerForward, ParameterSpec } from '../types.js';
import { pythonPair, requireOptions, requirePair, requireRank, windowOutput, type Pair } from './common.js';

export interface Pool2dOptions {
  /** Padding on each side (-inf for max, zeros counted in the average); at most half the window. Default 0. */
  padding?: Pair;
}

export class Pool2d implements Layer {
  readonly type: 'maxPool2d' | 'avgPool2d';
  readonly hasNodes = false;
  /** The builder call, which names the layer in errors. */
  readonly label: string;
  readonly size: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  /** The arguments in the form given, for describe(): PyTorch prints 2 for 2 and (2, 2) for a pair. */
  private readonly given: { size: Pair; stride: Pair; padding: Pair };

  constructor(
    readonly mode: PoolMode,
    given: { size: Pair; stride: Pair; padding: Pair },
  ) {
    this.type = mode === 'max' ? 'maxPool2d' : 'avgPool2d';
    const builder = `nn.${this.type}`;
    this.size = requirePair(builder, 'size', given.size, 1);
    this.stride = requirePair(builder, 'stride', given.stride, 1);
    this.padding = requirePair(builder, 'padding', given.padding, 0);
    const asGiven = (p: Pair, pair: readonly [number, number]): Pair => (typeof p === 'number' ? p : pair);
    this.given = {
      size: asGiven(given.size, this.size),
      stride: asGiven(given.stride, this.stride),
      padding: asGiven(given.padding, this.padding),
    };
    if (this.padding[0] * 2 > this.size[0] || this.padding[1] * 2 > this.size[1]) {
      throw new EngineError(`${builder}: padding ${pythonPair(given.padding)} must be at most half the window ${pythonPair(given.size)}`);
    }
    const text = (p: Pair): string => (typeof p === 'number' ? String(p) : `[${p.join(', ')}]`);
    const padding = this.padding[0] || this.padding[1] ? `, { padding: ${text(given.padding)} }` : '';
    this.label = `${builder}(${text(given.size)}, ${text(given.stride)}${padding})`;
  }

  describe(): string {
    const { size, stride, padding } = this.given;
    const common = `kernel_size=${pythonPair(size)}, stride=${pythonPair(stride)}, padding=${pythonPair(padding)}`;
    return this.mode === 'max' ? `MaxPool2d(${common}, dilation=1, ceil_mode=False)` : `AvgPool2d(${common})`;
  }

  outputShape(input: Shape): Shape {
    requireRank(this.label, input, [3], '[channels, height, width]');
    const [C, H, W] = input;
    const OH = windowOutput(H, this.size[0], this.stride[0], this.padding[0]);
    const OW = windowOutput(W, this.size[1], this.stride[1], this.padding[1]);
    if (OH < 1 || OW < 1) {
      throw new ShapeError(this.label, `a ${this.size[0]}x${this.size[1]} window does not fit the ${H}x${W} input`, { input });
    }
    return [C, OH, OW];
  }

  parameters(input: Shape): ParameterSpec[] {
    this.outputShape(input);
    return [];
  }

  forward(g: GraphBuilder, x: ValueId): LayerForward {
    const pair = (p: readonly [number, number]): [number, number] => [p[0], p[1]];
    const attrs = { mode: this.mode, size: pair(this.size), stride: pair(this.stride), padding: pair(this.padding) };
    return { output: g.op('pool2d', { x }, attrs).out };
  }
}

/** nn.maxPool2d(size, stride = size, { padding = 0 }): the maximum of each window; no parameters. */
export function maxPool2d(size: Pair, stride?: Pair, options?: Pool2dOptions): Pool2d {
  const { padding = 0 } = requireOptions('nn.maxPool2d', options, ['padding']);
  return new Pool2d('max', { size, stride: stride ?? size, padding: padding as Pair });
}

/** nn.avgPool2d(size, stride = size, { padding = 0 }): the mean of each window (padding counted); no parameters. */
export function avgPool2d(size: Pair, stride?: Pair, options?: Pool2dOptions): Pool2d {
  const { padding = 0 } = requireOptions('nn.avgPool2d', options, ['padding']);
  return new Pool2d('avg', { size, stride: stride ?? size, padding: padding as Pair });
}
