// Central finite differences through the compiled net, for every layer type: net.lossAndGradients against the change of
// the net's own train-mode loss (float32 forward, loss summed in float64 on the host) when one parameter moves by ±h.
import { Random, nn, type Engine, type LossName, type Net, type Sequential, type Shape } from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';

/**
 * Steps of the central differences, tried in order. The loss comes from float32 outputs, whose rounding (about 2e-8 of
 * the loss) becomes about 2e-8 / h of noise in the difference quotient, while the truncation error is h² f'''/6. With
 * h = 3e-3 the two balance: measured errors stay under 7.2e-6 on both backends (1e-2 gave 7e-5, 1e-3 gave 2.5e-5). Where
 * ±3e-3 would carry a ReLU input or a max-pool winner across its kink (a weight shared by a whole feature map moves
 * hundreds of values), the step shrinks to 3e-4, where noise alone gives up to 2.6e-5.
 */
const STEPS = [3e-3, 3e-4];
/**
 * |finite difference - gradient| <= atol + rtol * |gradient|: the worst measured error (2.6e-5, conv2d weight at
 * h = 3e-4) uses about a quarter of it. The gradients checked are 9e-4 to 0.5 (a conv bias followed by batch norm:
 * exactly 0, which is checked too); a wrong rule (a flipped sign, a missing term, a wrong index) misses by about the
 * gradient's own size and fails here.
 */
const TOLERANCE = { atol: 1e-4, rtol: 1e-3 };
/** At most this many elements of one parameter are checked (a seeded choice); smaller tensors are checked whole. */
const MAX_ELEMENTS = 24;

interface GradientNet {
  name: string;
  build(): Sequential;
  inputShape: Shape;
  batch: number;
  loss: LossName;
  seed: number;
}

const nets: GradientNet[] = [
  {
    name: 'linear, relu, linear; cross-entropy',
    build: () => nn.sequential(nn.linear(6, 5), nn.relu(), nn.linear(5, 4)),
    inputShape: [6],
    batch: 6,
    loss: 'cross-entropy',
    seed: 1,
  },
  {
    name: 'linear (no bias), batchNorm1d in train mode, relu, linear; mse',
    build: () => nn.sequential(nn.linear(5, 6, { bias: false }), nn.batchNorm1d(6), nn.relu(), nn.linear(6, 3)),
    inputShape: [5],
    batch: 6,
    loss: 'mse',
    seed: 2,
  },
  {
    name: 'conv2d (stride 2, padding 1), relu, maxPool2d, flatten, linear; cross-entropy',
    build: () => nn.sequential(nn.conv2d(2, 3, 3, { stride: 2, padding: 1 }), nn.relu(), nn.maxPool2d(2), nn.flatten(), nn.linear(12, 4)),
    inputShape: [2, 7, 7],
    batch: 4,
    loss: 'cross-entropy',
    seed: 3,
  },
  {
    name: 'conv2d (padding 1), batchNorm2d in train mode, relu, avgPool2d, flatten, linear; cross-entropy',
    build: () =>
      nn.sequential(nn.conv2d(2, 3, 3, { padding: 1 }), nn.batchNorm2d(3), nn.relu(), nn.avgPool2d(2), nn.flatten(), nn.linear(12, 4)),
    inputShape: [2, 4, 4],
    batch: 4,
    loss: 'cross-entropy',
    seed: 4,
  },
];

/** The batch's mean loss in float64 from the model's float32 outputs, as the net defines it (see src/nn/losses.ts). */
function hostLoss(loss: LossName, outputs: Float32Array, targets: Int32Array | Float32Array, batch: number): number {
  const width = outputs.length / batch;
  let sum = 0;
  if (loss === 'mse') {
    for (let i = 0; i < outputs.length; i++) sum += (outputs[i] - targets[i]) ** 2;
    return sum / outputs.length;
  }
  for (let n = 0; n < batch; n++) {
    let max = -Infinity;
    for (let c = 0; c < width; c++) max = Math.max(max, outputs[n * width + c]);
    let total = 0;
    for (let c = 0; c < width; c++) total += Math.exp(outputs[n * width + c] - max);
    sum += max + Math.log(total) - outputs[n * width + targets[n]];
  }
  return sum / batch;
}

/** A forward pass in train mode: the loss, and which side of every kink (ReLU sign, max-pool winner) each value is on. */
interface Evaluation {
  loss: number;
  pattern: string;
}

async function evaluate(
  net: Net,
  spec: GradientNet,
  model: Sequential,
  x: Float32Array,
  targets: Int32Array | Float32Array,
): Promise<Evaluation> {
  const { layers } = await net.activations(x, { mode: 'train' });
  // Every layer's output at once: one round trip to the device instead of one per layer.
  const outputs = (await Promise.all(layers.map((layer) => layer.output.read()))) as Float32Array[];
  const pattern: string[] = [];
  for (const [i, layer] of model.layers.entries()) {
    if (layer.type === 'relu') {
      pattern.push(Array.from(outputs[i], (v) => (v > 0 ? '1' : '0')).join(''));
    } else if (layer.type === 'maxPool2d') {
      const input = i === 0 ? x : outputs[i - 1];
      const inputShape = i === 0 ? [spec.batch, ...spec.inputShape] : layers[i - 1].output.shape;
      pattern.push(maxPoolWinners(input, inputShape, layers[i].output.shape, layer as unknown as PoolWindow));
    }
  }
  return { loss: hostLoss(spec.loss, outputs[outputs.length - 1], targets, spec.batch), pattern: pattern.join('|') };
}

/** The window of an nn.maxPool2d layer (the fields of its Pool2d object). */
interface PoolWindow {
  size: readonly [number, number];
  stride: readonly [number, number];
  padding: readonly [number, number];
}

/** The input index each max-pool output takes its value from (first maximum), as a string. */
function maxPoolWinners(input: Float32Array, inShape: Shape, outShape: Shape, pool: PoolWindow): string {
  const [N, C, H, W] = inShape;
  const [, , OH, OW] = outShape;
  const winners: number[] = [];
  for (let nc = 0; nc < N * C; nc++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let best = -1;
        for (let ky = 0; ky < pool.size[0]; ky++) {
          for (let kx = 0; kx < pool.size[1]; kx++) {
            const y = oy * pool.stride[0] - pool.padding[0] + ky;
            const xx = ox * pool.stride[1] - pool.padding[1] + kx;
            if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
            const index = (nc * H + y) * W + xx;
            if (best < 0 || input[index] > input[best]) best = index;
          }
        }
        winners.push(best);
      }
    }
  }
  return winners.join(',');
}

function gradientCase(spec: GradientNet): TestCase {
  return {
    name: `${spec.name}: every parameter's gradient matches central differences of the net's loss`,
    async run(engine: Engine) {
      const random = new Random(spec.seed);
      const model = spec.build();
      const net = await engine.compile(model, { inputShape: spec.inputShape, batchSize: spec.batch, loss: spec.loss, seed: spec.seed });
      try {
        const features = spec.inputShape.reduce((a, b) => a * b, 1);
        const x = random.uniformArray(spec.batch * features, -1.5, 1.5);
        const outputs = net.outputShape.reduce((a, b) => a * b, 1);
        const targets =
          spec.loss === 'mse'
            ? random.uniformArray(spec.batch * outputs, -1, 1)
            : Int32Array.from({ length: spec.batch }, () => random.int(outputs));
        // Batch norm: a scale and shift other than 1 and 0, and running statistics far from the batch statistics that
        // train mode must use instead.
        const state = await net.stateDict();
        const edits: Record<string, Float32Array> = {};
        for (const p of net.parameters()) {
          if (!model.layers[p.layer].type.startsWith('batchNorm')) continue;
          const size = state[p.name].length;
          if (p.name.endsWith('.weight')) edits[p.name] = random.uniformArray(size, 0.5, 1.5);
          if (p.name.endsWith('.bias')) edits[p.name] = random.uniformArray(size, -0.5, 0.5);
          if (p.name.endsWith('.running_mean')) edits[p.name] = random.uniformArray(size, -3, 3);
          if (p.name.endsWith('.running_var')) edits[p.name] = random.uniformArray(size, 5, 9);
        }
        await net.loadStateDict(edits);
        const initial = await net.stateDict();

        const { loss, grads } = await net.lossAndGradients(x, targets);
        const trainable = net.parameters().filter((p) => p.trainable);
        const names = trainable.map((p) => p.name);
        if (Object.keys(grads).sort().join() !== [...names].sort().join()) {
          throw new Error(`gradients for ${Object.keys(grads).join(', ')}, expected ${names.join(', ')}`);
        }
        const base = await evaluate(net, spec, model, x, targets);
        if (!(Math.abs(base.loss - loss) <= 1e-6 * (1 + Math.abs(loss)))) {
          throw new Error(`lossAndGradients' loss ${loss} differs from the train-mode forward pass's ${base.loss}`);
        }

        for (const { name } of trainable) {
          const values = initial[name];
          const gradient = grads[name];
          const indices = chooseElements(values.length, random);
          let checked = 0;
          for (const i of indices) {
            const at = (delta: number): Promise<Evaluation> => {
              const moved = values.slice();
              moved[i] = values[i] + delta;
              return net.loadStateDict({ [name]: moved }).then(() => evaluate(net, spec, model, x, targets));
            };
            // The largest step whose ±h keeps every ReLU and max-pool on the same side of its kink.
            let numeric: number | undefined;
            let step = 0;
            for (step of STEPS) {
              const [plus, minus] = [await at(step), await at(-step)];
              if (plus.pattern === base.pattern && minus.pattern === base.pattern) {
                numeric = (plus.loss - minus.loss) / (2 * step);
                break;
              }
            }
            if (numeric === undefined) continue;
            checked++;
            const error = Math.abs(numeric - gradient[i]);
            const allowed = TOLERANCE.atol + TOLERANCE.rtol * Math.abs(gradient[i]);
            if (!(error <= allowed)) {
              throw new Error(
                `${engine.backend} ${spec.name}: d loss / d ${name}[${i}] = ${gradient[i]} from lossAndGradients, ` +
                  `${numeric} from central differences (h ${step}; atol ${TOLERANCE.atol}, rtol ${TOLERANCE.rtol})`,
              );
            }
          }
          await net.loadStateDict({ [name]: values });
          // Kinks at both steps may excuse up to a quarter of the elements checked.
          if (checked < Math.ceil(indices.length * 0.75)) {
            throw new Error(`${name}: only ${checked} of ${indices.length} elements were away from ReLU and max-pool kinks`);
          }
        }
        // lossAndGradients and train-mode forward passes leave batch norm's running statistics alone.
        const after = await net.stateDict();
        for (const [name, values] of Object.entries(initial)) {
          if (after[name].some((v, i) => v !== values[i])) throw new Error(`'${name}' changed during the gradient checks`);
        }
      } finally {
        await net.dispose();
      }
    },
  };
}

/** Every index of a small tensor, or MAX_ELEMENTS distinct seeded ones of a larger tensor (first and last included). */
function chooseElements(length: number, random: Random): number[] {
  if (length <= MAX_ELEMENTS) return Array.from({ length }, (_, i) => i);
  const chosen = new Set<number>([0, length - 1]);
  while (chosen.size < MAX_ELEMENTS) chosen.add(random.int(length));
  return [...chosen].sort((a, b) => a - b);
}

export const layerGradientsGroup: TestGroup = {
  name: 'layer gradients (finite differences through the net)',
  cases: nets.map(gradientCase),
};
