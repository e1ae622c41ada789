// nn.flatten: PyTorch's nn.Flatten (start_dim=1), [N, ...rest] to [N, prod(rest)] as a view that costs nothing at run time.
import type { GraphBuilder, ValueId } from '../../autodiff/types.js';
import { ShapeError } from '../../errors.js';
import { sizeOf, type Shape } from '../../tensor-meta.js';
import type { Layer, LayerForward, ParameterSpec } from '../types.js';
import { requireShape } from './common.js';

export class Flatten implements Layer {
  readonly type = 'flatten';
  readonly hasNodes = false;
  readonly label = 'nn.flatten()';

  describe(): string {
    return 'Flatten(start_dim=1, end_dim=-1)';
  }

  outputShape(input: Shape): Shape {
    requireShape(this.label, input);
    if (input.length === 0) throw new ShapeError(this.label, 'needs a per-sample input of rank 1 or more', { input });
    return [sizeOf(input)];
  }

  parameters(input: Shape): ParameterSpec[] {
    this.outputShape(input);
    return [];
  }

  forward(g: GraphBuilder, x: ValueId): LayerForward {
    const shape = g.value(x).shape;
    if (shape.length < 2) throw new ShapeError(this.label, 'needs an input of rank 2 or more (batch first)', { x: shape });
    return { output: g.reshape(x, [shape[0], sizeOf(shape.slice(1))]) };
  }
}

/** nn.flatten(): no parameters. */
export function flatten(): Flatten {
  return new Flatten();
}
