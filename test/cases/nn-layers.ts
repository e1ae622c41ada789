// nn layers, losses and optimizers on the host: PyTorch's state_dict names and reprs, shape errors, initial values,
// optimizer groups, and the nodes each layer, loss and optimizer emits into the autodiff core's graph.
import {
  EngineError,
  Random,
  ShapeError,
  counterNames,
  createGraph,
  defaultBiasInit,
  defaultWeightInit,
  emitLoss,
  emitOptimizer,
  initialStateDict,
  layerShapes,
  namedParameters,
  nn,
  resolveGroups,
  type GraphBuilder,
  type Layer,
  type NodeInfo,
  type OptimizerOptions,
  type Sequential,
  type Shape,
  type ValueId,
} from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';
import { expectThrows } from './expect.js';

/** test/fixtures/mlp.json and cnn.json: the models PyTorch 1.13 made the fixtures with, and its repr and state_dict names. */
function fixtureMlp(): Sequential {
  return nn.sequential(nn.linear(20, 16), nn.relu(), nn.linear(16, 12), nn.relu(), nn.linear(12, 5));
}
const fixtureMlpRepr =
  'Sequential( (0): Linear(in_features=20, out_features=16, bias=True) (1): ReLU() (2): Linear(in_features=16, out_features=12, bias=True) (3): ReLU() (4): Linear(in_features=12, out_features=5, bias=True) )';
const fixtureMlpStateDict = ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias'];

function fixtureCnn(): Sequential {
  return nn.sequential(
    nn.conv2d(2, 4, 3, { padding: 1 }),
    nn.batchNorm2d(4),
    nn.relu(),
    nn.maxPool2d(2),
    nn.conv2d(4, 6, 3, { stride: 2, padding: 1 }),
    nn.relu(),
    nn.avgPool2d(2),
    nn.flatten(),
    nn.linear(6, 3),
  );
}
const fixtureCnnRepr =
  'Sequential( (0): Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)) (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True) (2): ReLU() (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False) (4): Conv2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)) (5): ReLU() (6): AvgPool2d(kernel_size=2, stride=2, padding=0) (7): Flatten(start_dim=1, end_dim=-1) (8): Linear(in_features=6, out_features=3, bias=True) )';
const fixtureCnnStateDict = [
  '0.weight',
  '0.bias',
  '1.weight',
  '1.bias',
  '1.running_mean',
  '1.running_var',
  '4.weight',
  '4.bias',
  '8.weight',
  '8.bias',
];

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function same(actual: unknown, expected: unknown, label: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${label}: got ${a}, expected ${e}`);
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Five standard errors of the mean square of U(-b, b) or N(0, s^2) samples; a correct draw fails below 1e-6. */
function checkSpread(label: string, values: Float32Array, kind: 'uniform' | 'normal', scale: number): void {
  const n = values.length;
  let sum = 0;
  let sumSquares = 0;
  let largest = 0;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
    largest = Math.max(largest, Math.abs(v));
  }
  // Uniform: E[x^2] = b^2/3, sd(x^2) = sqrt(4/45) b^2. Normal: E[x^2] = s^2, sd(x^2) = sqrt(2) s^2.
  const [meanSquare, squareSd, sd] =
    kind === 'uniform'
      ? [scale ** 2 / 3, Math.sqrt(4 / 45) * scale ** 2, scale / Math.sqrt(3)]
      : [scale ** 2, Math.SQRT2 * scale ** 2, scale];
  const z = 5;
  check(Math.abs(sum / n) <= (z * sd) / Math.sqrt(n), `${label}: mean ${sum / n} is not 0 within 5 standard errors`);
  check(
    Math.abs(sumSquares / n - meanSquare) <= (z * squareSd) / Math.sqrt(n),
    `${label}: mean square ${sumSquares / n}, expected ${meanSquare}`,
  );
  if (kind === 'uniform')
    check(largest <= Math.fround(scale) && largest > scale * (1 - 40 / n), `${label}: largest |value| ${largest} vs bound ${scale}`);
}

/** Emits the model's forward pass into g (inputs, parameters and state declared from namedParameters), as the compiled net will. */
function emitModel(g: GraphBuilder, model: Sequential, inputShape: Shape, batch: number, mode: 'train' | 'eval') {
  const values = new Map<string, ValueId>();
  for (const { name, spec } of namedParameters(model, inputShape)) {
    values.set(name, spec.trainable ? g.parameter(name, spec.shape) : g.state(name, spec.shape));
  }
  const x = g.input('x', [batch, ...inputShape]);
  const outputs: ValueId[] = [];
  const stateUpdates = new Map<string, ValueId>();
  let current = x;
  model.layers.forEach((layer, i) => {
    const params: Record<string, ValueId> = {};
    for (const spec of layer.parameters(layerShapes(model, inputShape)[i])) params[spec.name] = values.get(`${i}.${spec.name}`)!;
    const result = g.withLabel(`${i} (${layer.type})`, () => layer.forward(g, current, params, mode));
    for (const [name, value] of Object.entries(result.stateUpdates ?? {})) stateUpdates.set(`${i}.${name}`, value);
    current = result.output;
    outputs.push(current);
  });
  return { x, values, outputs, stateUpdates };
}

function producer(g: GraphBuilder, value: ValueId): NodeInfo {
  const id = g.value(value).producer;
  if (id === undefined) throw new Error(`value ${value} (${g.value(value).kind}) has no producing node`);
  return g.node(id);
}

async function withGraph<T>(fn: (g: GraphBuilder) => T): Promise<T> {
  const g = await createGraph();
  try {
    return fn(g);
  } finally {
    g.dispose();
  }
}

const hostCases: TestCase[] = [
  {
    name: 'state_dict names, shapes and order match PyTorch for the fixture MLP and CNN',
    async run() {
      same(
        namedParameters(fixtureMlp(), [20]).map((p) => p.name),
        fixtureMlpStateDict,
        'MLP state_dict',
      );
      same(
        namedParameters(fixtureCnn(), [2, 8, 8]).map((p) => p.name),
        fixtureCnnStateDict,
        'CNN state_dict',
      );
      const shapes = Object.fromEntries(namedParameters(fixtureCnn(), [2, 8, 8]).map((p) => [p.name, p.spec.shape]));
      same(
        shapes,
        {
          '0.weight': [4, 2, 3, 3],
          '0.bias': [4],
          '1.weight': [4],
          '1.bias': [4],
          '1.running_mean': [4],
          '1.running_var': [4],
          '4.weight': [6, 4, 3, 3],
          '4.bias': [6],
          '8.weight': [3, 6],
          '8.bias': [3],
        },
        'CNN shapes',
      );
      const trainable = namedParameters(fixtureCnn(), [2, 8, 8])
        .filter((p) => !p.spec.trainable)
        .map((p) => p.name);
      same(trainable, ['1.running_mean', '1.running_var'], 'buffers (not trainable)');
      same(counterNames(fixtureCnn()), ['1.num_batches_tracked'], 'int64 counters');
      same(counterNames(fixtureMlp()), [], 'MLP counters');
      same(
        layerShapes(fixtureCnn(), [2, 8, 8]),
        [[2, 8, 8], [4, 8, 8], [4, 8, 8], [4, 8, 8], [4, 4, 4], [6, 2, 2], [6, 2, 2], [6, 1, 1], [6], [3]],
        'CNN shapes',
      );
      const noBias = namedParameters(
        nn.sequential(nn.conv2d(1, 2, [3, 2], { bias: false }), nn.flatten(), nn.linear(2 * 4 * 5, 3, { bias: false })),
        [1, 6, 6],
      );
      same(
        noBias.map((p) => [p.name, p.spec.shape]),
        [
          ['0.weight', [2, 1, 3, 2]],
          ['2.weight', [3, 40]],
        ],
        'layers without bias',
      );
      same(
        namedParameters(nn.sequential(nn.linear(8, 6), nn.batchNorm1d(6)), [8]).map((p) => [p.name, p.spec.shape]),
        [
          ['0.weight', [6, 8]],
          ['0.bias', [6]],
          ['1.weight', [6]],
          ['1.bias', [6]],
          ['1.running_mean', [6]],
          ['1.running_var', [6]],
        ],
        'batchNorm1d',
      );
    },
  },
  {
    name: "describe() prints PyTorch's repr",
    async run() {
      same(fixtureMlp().describe().replace(/\s+/g, ' '), fixtureMlpRepr, 'MLP repr');
      same(fixtureCnn().describe().replace(/\s+/g, ' '), fixtureCnnRepr, 'CNN repr');
      same(
        nn.sequential(nn.linear(784, 10), nn.relu()).describe(),
        'Sequential(\n  (0): Linear(in_features=784, out_features=10, bias=True)\n  (1): ReLU()\n)',
        'line layout',
      );
      same(nn.sequential().describe(), 'Sequential()', 'empty Sequential');
      const reprs: Array<[Layer, string]> = [
        [nn.linear(3, 4, { bias: false }), 'Linear(in_features=3, out_features=4, bias=False)'],
        [nn.conv2d(3, 8, [3, 5], { stride: [1, 2], bias: false }), 'Conv2d(3, 8, kernel_size=(3, 5), stride=(1, 2), bias=False)'],
        [nn.maxPool2d(3, 2, { padding: 1 }), 'MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)'],
        [nn.avgPool2d([2, 3]), 'AvgPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0)'],
        [
          nn.batchNorm1d(7, { eps: 1e-3, momentum: 0.01 }),
          'BatchNorm1d(7, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)',
        ],
        [
          nn.batchNorm2d(5, { eps: 2.5e-7, momentum: 1 }),
          'BatchNorm2d(5, eps=2.5e-07, momentum=1.0, affine=True, track_running_stats=True)',
        ],
      ];
      for (const [layer, expected] of reprs) same(layer.describe(), expected, layer.type);
    },
  },
  {
    name: 'a layer that does not fit its input is a ShapeError naming the layer, its index and the shapes',
    async run() {
      expectThrows(() => layerShapes(nn.sequential(nn.linear(784, 512)), [3, 32, 32]), ShapeError, [
        'layer 0',
        'nn.linear(784, 512)',
        'expects per-sample input [784]',
        'add nn.flatten() before it',
        '3072 features',
        'input [3, 32, 32]',
      ]);
      const missingFlatten = nn.sequential(nn.conv2d(1, 8, 3), nn.relu(), nn.linear(8 * 26 * 26, 10));
      expectThrows(() => layerShapes(missingFlatten, [1, 28, 28]), ShapeError, [
        'layer 2',
        'nn.linear(5408, 10)',
        'nn.flatten()',
        'input [8, 26, 26]',
      ]);
      expectThrows(() => namedParameters(missingFlatten, [1, 28, 28]), ShapeError, ['layer 2']);
      expectThrows(() => layerShapes(nn.sequential(nn.linear(784, 512), nn.linear(256, 10)), [784]), ShapeError, [
        'layer 1',
        'nn.linear(256, 10)',
        'input [512]',
      ]);
      expectThrows(() => layerShapes(nn.sequential(nn.conv2d(3, 8, 3)), [1, 28, 28]), ShapeError, [
        'layer 0',
        'nn.conv2d(3, 8, 3)',
        '3 input channels',
        'input [1, 28, 28]',
      ]);
      expectThrows(() => layerShapes(nn.sequential(nn.conv2d(1, 8, 5, { stride: 2 })), [1, 4, 4]), ShapeError, [
        'nn.conv2d(1, 8, 5, { stride: 2 })',
        '5x5 kernel',
        '4x4 input',
      ]);
      expectThrows(() => layerShapes(nn.sequential(nn.conv2d(1, 8, 3)), [784]), ShapeError, [
        'nn.conv2d(1, 8, 3)',
        'rank 3',
        'input [784]',
      ]);
      expectThrows(() => layerShapes(nn.sequential(nn.maxPool2d(4)), [2, 3, 3]), ShapeError, [
        'nn.maxPool2d(4, 4)',
        '4x4 window',
        '3x3 input',
      ]);
      expectThrows(() => layerShapes(nn.sequential(nn.relu(), nn.batchNorm2d(16)), [8, 4, 4]), ShapeError, [
        'layer 1',
        'nn.batchNorm2d(16)',
        '16 channels',
      ]);
      expectThrows(() => layerShapes(nn.sequential(nn.batchNorm1d(4)), [4, 3, 3]), ShapeError, ['nn.batchNorm1d(4)', 'rank 1 or 2']);
    },
  },
  {
    name: 'builders reject bad arguments with the builder and value named',
    async run() {
      expectThrows(() => nn.linear(0, 3), EngineError, ['nn.linear', 'inFeatures', 'positive integer', 'got 0']);
      expectThrows(() => nn.linear(784.5, 3), EngineError, ['nn.linear', 'inFeatures', '784.5']);
      expectThrows(() => nn.conv2d(1, 8, 3, { strid: 2 } as never), EngineError, ['nn.conv2d', "unknown option 'strid'"]);
      expectThrows(() => nn.conv2d(1, 8, [3, 3, 3] as never), EngineError, ['nn.conv2d', 'kernelSize', '[3,3,3]']);
      expectThrows(() => nn.conv2d(1, 8, 3, { padding: -1 }), EngineError, ['nn.conv2d', 'padding', 'non-negative']);
      expectThrows(() => nn.maxPool2d(2, 2, { padding: 2 }), EngineError, ['nn.maxPool2d', 'at most half the window']);
      expectThrows(() => nn.batchNorm2d(4, { momentum: 1.5 }), EngineError, ['nn.batchNorm2d', 'momentum', '1.5']);
      expectThrows(() => nn.batchNorm2d(4, { eps: 0 }), EngineError, ['nn.batchNorm2d', 'eps', '> 0']);
      expectThrows(() => nn.sequential(nn.linear(2, 2), nn.relu as never), EngineError, ['nn.sequential', 'argument 1', 'nn.relu()']);
      expectThrows(() => layerShapes(fixtureMlp(), [0]), EngineError, ['input shape', 'positive integers']);
    },
  },
  {
    name: "resolveGroups fills in PyTorch's defaults and splits parameters into groups, first claim wins",
    async run() {
      const names = fixtureMlpStateDict;
      const [sgd] = resolveGroups({ name: 'sgd', lr: 0.1 }, names);
      same(
        sgd,
        { momentum: 0, dampening: 0, nesterov: false, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, lr: 0.1, params: names },
        'sgd',
      );
      const [adam] = resolveGroups({ name: 'adam', lr: 1e-3 }, names);
      same([adam.beta1, adam.beta2, adam.eps, adam.weightDecay], [0.9, 0.999, 1e-8, 0], 'adam defaults');
      const [adamw] = resolveGroups({ name: 'adamw', lr: 1e-3 }, names);
      same(adamw.weightDecay, 0.01, 'adamw weight decay default');
      const groups = resolveGroups(
        {
          name: 'adamw',
          lr: 1e-3,
          beta2: 0.99,
          groups: [
            { params: /bias$/, weightDecay: 0 },
            { params: (name) => name.startsWith('4.'), lr: 1e-4 },
          ],
        },
        names,
      );
      same(
        groups.map((g) => [g.params, g.lr, g.weightDecay, g.beta2]),
        [
          [['0.bias', '2.bias', '4.bias'], 1e-3, 0, 0.99],
          [['4.weight'], 1e-4, 0.01, 0.99],
          [['0.weight', '2.weight'], 1e-3, 0.01, 0.99],
        ],
        'groups',
      );
      same(resolveGroups({ name: 'sgd', lr: 0.1, groups: [{ params: names }] }, names)[1].params, [], 'empty default group');
      const sgdNesterov = resolveGroups({ name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, names)[0];
      same([sgdNesterov.momentum, sgdNesterov.nesterov, sgdNesterov.weightDecay], [0.9, true, 5e-4], 'sgd settings');
    },
  },
  {
    name: 'resolveGroups rejects bad options, naming the option and the value',
    async run() {
      const names = fixtureMlpStateDict;
      const bad = (options: unknown, fragments: string[]) =>
        expectThrows(() => resolveGroups(options as OptimizerOptions, names), EngineError, fragments);
      bad({ name: 'rmsprop', lr: 0.1 }, ['optimizer.name', "'sgd', 'adam', 'adamw'", 'rmsprop']);
      bad({ name: 'sgd' }, ['optimizer.lr', 'required']);
      bad({ name: 'sgd', lr: 0 }, ['optimizer.lr', 'positive finite', 'got 0']);
      bad({ name: 'adam', lr: -1e-3 }, ['optimizer.lr', '-0.001']);
      bad({ name: 'adam', lr: NaN }, ['optimizer.lr', 'NaN']);
      bad({ name: 'adam', lr: '0.1' }, ['optimizer.lr', '"0.1"']);
      bad({ name: 'sgd', lr: 0.1, groups: [{ params: ['5.weight'] }] }, [
        'optimizer.groups[0].params',
        '"5.weight"',
        'not a parameter',
        '0.weight',
      ]);
      bad({ name: 'sgd', lr: 0.1, groups: [{ params: /^9\./ }] }, ['optimizer.groups[0].params', '/^9\\./', 'matches no parameter']);
      bad({ name: 'sgd', lr: 0.1, groups: [{ params: ['0.bias'] }, { params: ['0.bias', '2.bias'] }] }, [
        'optimizer.groups[1]',
        "'0.bias'",
        'groups[0]',
      ]);
      bad({ name: 'sgd', lr: 0.1, nesterov: true }, ['nesterov', 'momentum > 0', 'momentum 0']);
      bad({ name: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, ['nesterov', 'dampening 0.1']);
      bad({ name: 'sgd', lr: 0.1, groups: [{ params: /bias/, momentum: 0, nesterov: true }], momentum: 0.9 }, [
        'optimizer.groups[0]',
        'nesterov',
      ]);
      bad({ name: 'adam', lr: 0.1, beta1: 1 }, ['optimizer.beta1', '[0, 1)', 'got 1']);
      bad({ name: 'adam', lr: 0.1, groups: [{ params: /bias/, beta2: -0.1 }] }, ['optimizer.groups[0].beta2', '-0.1']);
      bad({ name: 'adam', lr: 0.1, momentum: 0.9 }, ['optimizer.momentum', "not an option of 'adam'", "belongs to 'sgd'"]);
      bad({ name: 'sgd', lr: 0.1, weight_decay: 0.1 }, ['optimizer.weight_decay', "not an option of 'sgd'"]);
      bad({ name: 'sgd', lr: 0.1, weightDecay: -1 }, ['optimizer.weightDecay', '>= 0', '-1']);
    },
  },
  {
    name: 'initialStateDict draws PyTorch default init in state_dict order from one seeded Random',
    async run() {
      const model = fixtureCnn();
      const a = initialStateDict(model, [2, 8, 8], undefined, 7);
      const b = initialStateDict(model, [2, 8, 8], undefined, 7);
      const c = initialStateDict(model, [2, 8, 8], undefined, 8);
      same([...a.keys()], fixtureCnnStateDict, 'names');
      for (const [name, tensor] of a) {
        check(bitsEqual(tensor.values, b.get(name)!.values), `${name}: same seed gave different bits`);
        same(
          tensor.values.length,
          tensor.shape.reduce((x, y) => x * y, 1),
          `${name} size`,
        );
      }
      for (const name of ['0.weight', '0.bias', '4.weight', '8.weight']) {
        check(!bitsEqual(a.get(name)!.values, c.get(name)!.values), `${name}: seeds 7 and 8 gave the same values`);
      }
      // The draw order: weight then bias of each layer, from the one generator.
      const rng = new Random(7);
      const expected = [
        defaultWeightInit([4, 2, 3, 3], rng),
        defaultBiasInit([4, 2, 3, 3], rng),
        defaultWeightInit([6, 4, 3, 3], rng),
        defaultBiasInit([6, 4, 3, 3], rng),
        defaultWeightInit([3, 6], rng),
        defaultBiasInit([3, 6], rng),
      ];
      ['0.weight', '0.bias', '4.weight', '4.bias', '8.weight', '8.bias'].forEach((name, i) =>
        check(bitsEqual(a.get(name)!.values, expected[i]), `${name}: not the ${i + 1}th draw of Random(7)`),
      );
      same(Array.from(a.get('1.weight')!.values), [1, 1, 1, 1], 'batch norm gamma');
      same(Array.from(a.get('1.bias')!.values), [0, 0, 0, 0], 'batch norm beta');
      same(Array.from(a.get('1.running_mean')!.values), [0, 0, 0, 0], 'running_mean');
      same(Array.from(a.get('1.running_var')!.values), [1, 1, 1, 1], 'running_var');
      same(a.get('1.running_var')!.trainable, false, 'running_var trainable');
      same(a.get('0.weight')!.trainable, true, 'weight trainable');
    },
  },
  {
    name: 'default init statistics: linear and conv weights and biases are U(±1/√fan_in)',
    async run() {
      const model = nn.sequential(nn.conv2d(16, 32, 3), nn.flatten(), nn.linear(32 * 30 * 30, 100), nn.relu(), nn.linear(100, 1000));
      const state = initialStateDict(model, [16, 32, 32], undefined, 3);
      checkSpread('conv weight', state.get('0.weight')!.values, 'uniform', 1 / Math.sqrt(16 * 9));
      checkSpread('linear weight', state.get('2.weight')!.values, 'uniform', 1 / Math.sqrt(28800));
      checkSpread('linear bias', state.get('4.bias')!.values, 'uniform', 1 / Math.sqrt(100));
    },
  },
  {
    name: 'the init option replaces linear/conv weights (kaiming, xavier) and zeroes biases, keeping batch norm',
    async run() {
      const model = nn.sequential(nn.conv2d(8, 64, 3), nn.batchNorm2d(64), nn.flatten(), nn.linear(64 * 6 * 6, 200));
      const input = [8, 8, 8];
      const conv = { fanIn: 8 * 9, fanOut: 64 * 9 };
      const linear = { fanIn: 64 * 36, fanOut: 200 };
      const kaimingNormal = initialStateDict(model, input, { name: 'kaiming-normal' }, 1);
      checkSpread('kaiming-normal conv', kaimingNormal.get('0.weight')!.values, 'normal', Math.sqrt(2 / conv.fanIn));
      checkSpread('kaiming-normal linear', kaimingNormal.get('3.weight')!.values, 'normal', Math.sqrt(2 / linear.fanIn));
      check(
        kaimingNormal.get('0.bias')!.values.every((v) => v === 0),
        'kaiming-normal: conv bias not zeros',
      );
      check(
        kaimingNormal.get('3.bias')!.values.every((v) => v === 0),
        'kaiming-normal: linear bias not zeros',
      );
      check(
        kaimingNormal.get('1.weight')!.values.every((v) => v === 1),
        'kaiming-normal replaced batch norm gamma',
      );
      const fanOut = initialStateDict(model, input, { name: 'kaiming-uniform', mode: 'fan_out', nonlinearity: 'linear' }, 1);
      checkSpread('kaiming-uniform fan_out linear gain', fanOut.get('0.weight')!.values, 'uniform', Math.sqrt(3 / conv.fanOut));
      const leaky = initialStateDict(model, input, { name: 'kaiming-uniform', nonlinearity: 'leaky_relu', negativeSlope: 0.2 }, 1);
      checkSpread('kaiming-uniform leaky', leaky.get('3.weight')!.values, 'uniform', Math.sqrt(2 / 1.04) * Math.sqrt(3 / linear.fanIn));
      const xavier = initialStateDict(model, input, { name: 'xavier-uniform', gain: 2, bias: 'pytorch' }, 1);
      checkSpread('xavier-uniform', xavier.get('3.weight')!.values, 'uniform', 2 * Math.sqrt(6 / (linear.fanIn + linear.fanOut)));
      checkSpread('pytorch bias under xavier', xavier.get('3.bias')!.values, 'uniform', 1 / Math.sqrt(linear.fanIn));
      const xavierNormal = initialStateDict(model, input, { name: 'xavier-normal' }, 1);
      checkSpread('xavier-normal', xavierNormal.get('3.weight')!.values, 'normal', Math.sqrt(2 / (linear.fanIn + linear.fanOut)));
      const pytorch = initialStateDict(model, input, { name: 'pytorch' }, 1);
      const none = initialStateDict(model, input, undefined, 1);
      for (const [name, tensor] of none)
        check(bitsEqual(tensor.values, pytorch.get(name)!.values), `${name}: 'pytorch' differs from no init option`);
      const zeroBias = initialStateDict(model, input, { name: 'pytorch', bias: 'zeros' }, 1);
      check(
        zeroBias.get('3.bias')!.values.every((v) => v === 0),
        "'pytorch' with bias 'zeros'",
      );
      expectThrows(() => initialStateDict(model, input, { name: 'kaiming' as never }, 1), EngineError, ['init.name', '"kaiming"']);
      expectThrows(() => initialStateDict(model, input, { name: 'xavier-normal', mode: 'fan_out' }, 1), EngineError, [
        "'mode'",
        "'xavier-normal'",
      ]);
      expectThrows(() => initialStateDict(model, input, { name: 'kaiming-normal', negativeSlope: 0.1 }, 1), EngineError, [
        'negativeSlope',
        'leaky_relu',
      ]);
    },
  },
];

const graphCases: TestCase[] = [
  {
    name: 'each layer emits its primitives into the core, with the shapes outputShape promised',
    async run() {
      await withGraph((g) => {
        const batch = 3;
        const model = fixtureCnn();
        const { outputs, values, x } = emitModel(g, model, [2, 8, 8], batch, 'eval');
        const shapes = layerShapes(model, [2, 8, 8]);
        outputs.forEach((value, i) => same(g.value(value).shape, [batch, ...shapes[i + 1]], `layer ${i} (${model.layers[i].type}) output`));
        const conv = producer(g, outputs[0]);
        same([conv.op, conv.label, conv.inputs[1]], ['biasAdd', '0 (conv2d)', values.get('0.bias')], 'conv2d bias');
        const convCore = producer(g, conv.inputs[0]);
        same(
          [convCore.op, convCore.attrs, convCore.inputs],
          ['conv2d', { stride: [1, 1], padding: [1, 1] }, [x, values.get('0.weight')]],
          'conv2d op',
        );
        const norm = producer(g, outputs[1]);
        same(
          [norm.op, norm.inputs],
          [
            'batchNormApply',
            [outputs[0], values.get('1.running_mean'), values.get('1.running_var'), values.get('1.weight'), values.get('1.bias')],
          ],
          'eval batch norm uses the running statistics',
        );
        same(producer(g, outputs[2]).op, 'relu', 'relu');
        same(
          [producer(g, outputs[3]).op, producer(g, outputs[3]).attrs],
          ['pool2d', { mode: 'max', size: [2, 2], stride: [2, 2], padding: [0, 0] }],
          'max pool',
        );
        same(producer(g, outputs[6]).attrs, { mode: 'avg', size: [2, 2], stride: [2, 2], padding: [0, 0] }, 'avg pool');
        same([g.value(outputs[7]).kind, g.value(outputs[7]).viewOf], ['view', outputs[6]], 'flatten is a view');
        const linear = producer(g, producer(g, outputs[8]).inputs[0]);
        same(
          [linear.op, linear.attrs, linear.inputs],
          ['matmul', { transposeA: false, transposeB: true }, [outputs[7], values.get('8.weight')]],
          'linear',
        );
      });
    },
  },
  {
    name: 'batch norm in train mode emits moments and the running-statistic updates with the unbiased variance',
    async run() {
      await withGraph((g) => {
        const batch = 5;
        const model = nn.sequential(nn.conv2d(2, 4, 3), nn.batchNorm2d(4, { momentum: 0.25 }));
        const { outputs, values, stateUpdates } = emitModel(g, model, [2, 6, 6], batch, 'train');
        const apply = producer(g, outputs[1]);
        const moments = producer(g, apply.inputs[1]);
        same(
          [apply.op, moments.op, moments.inputs, apply.inputs[2]],
          ['batchNormApply', 'moments', [outputs[0]], moments.outputs[1]],
          'batch statistics',
        );
        same([...stateUpdates.keys()], ['1.running_mean', '1.running_var'], 'state updates');
        const M = batch * 4 * 4;
        const blend = (value: ValueId) => {
          const add = producer(g, value);
          const [kept, taken] = add.inputs.map((input) => producer(g, input));
          return { op: add.attrs, kept: [kept.inputs[0], kept.attrs], taken: [taken.inputs[0], taken.attrs] };
        };
        same(
          blend(stateUpdates.get('1.running_mean')!),
          {
            op: { op: 'add' },
            kept: [values.get('1.running_mean'), { alpha: 0.75, beta: 0 }],
            taken: [moments.outputs[0], { alpha: 0.25, beta: 0 }],
          },
          'running_mean update',
        );
        same(
          blend(stateUpdates.get('1.running_var')!),
          {
            op: { op: 'add' },
            kept: [values.get('1.running_var'), { alpha: 0.75, beta: 0 }],
            taken: [moments.outputs[1], { alpha: (0.25 * M) / (M - 1), beta: 0 }],
          },
          'running_var update',
        );
      });
      await withGraph((g) => {
        const model = nn.sequential(nn.linear(3, 2), nn.batchNorm1d(2));
        expectThrows(() => emitModel(g, model, [3], 1, 'train'), ShapeError, [
          'nn.batchNorm1d(2)',
          'more than one value per channel',
          'x [1, 2]',
        ]);
      });
    },
  },
  {
    name: 'losses: cross-entropy and MSE give per-sample losses, their mean as [1] and the gradient seed',
    async run() {
      await withGraph((g) => {
        const logits = g.input('logits', [6, 4]);
        const labels = g.input('labels', [6], 'int32');
        const loss = emitLoss(g, 'cross-entropy', logits, labels);
        const sce = producer(g, loss.losses);
        same([sce.op, sce.inputs, loss.seed], ['softmaxCrossEntropy', [logits, labels], [logits, sce.outputs[1]]], 'cross-entropy');
        same([g.value(loss.losses).shape, g.value(loss.loss).shape], [[6], [1]], 'loss shapes');
        const mean = producer(g, g.value(loss.loss).viewOf ?? loss.loss);
        same([mean.op, mean.attrs], ['reduce', { op: 'mean', outer: 1, R: 6, inner: 1 }], 'batch mean');
        const pred = g.input('pred', [6, 3]);
        const target = g.input('target', [6, 3]);
        const mse = emitLoss(g, 'mse', pred, target);
        const squared = producer(g, mse.losses);
        same(
          [squared.op, squared.inputs, mse.seed, g.value(mse.loss).shape],
          ['meanSquaredError', [pred, target], [pred, squared.outputs[1]], [1]],
          'mse',
        );
        expectThrows(() => emitLoss(g, 'cross-entropy', g.input('image', [6, 2, 2, 2]), labels), ShapeError, [
          "loss 'cross-entropy'",
          'logits [batch, classes]',
          'output [6, 2, 2, 2]',
        ]);
        expectThrows(() => emitLoss(g, 'cross-entropy', logits, g.input('floats', [6])), ShapeError, [
          'int32 class indices [6]',
          'float32 [6]',
        ]);
        expectThrows(() => emitLoss(g, 'mse', pred, g.input('short', [6, 2])), ShapeError, [
          "loss 'mse'",
          'output [6, 3]',
          'target [6, 2]',
        ]);
        expectThrows(() => emitLoss(g, 'hinge' as never, pred, target), EngineError, ['loss must be one of', 'hinge']);
      });
    },
  },
  {
    name: "optimizers declare PyTorch's state names and give each step's attributes from the live groups",
    async run() {
      await withGraph((g) => {
        const names = ['0.weight', '0.bias'];
        const params = names.map((name, i) => {
          const shape = i === 0 ? [3, 2] : [3];
          return { name, value: g.parameter(name, shape), grad: g.input(`grad ${name}`, shape), mask: g.constant(shape, 1) };
        });
        const sgdOptions: OptimizerOptions = {
          name: 'sgd',
          lr: 0.1,
          momentum: 0.9,
          weightDecay: 1e-4,
          groups: [{ params: ['0.bias'], weightDecay: 0 }],
        };
        const groups = resolveGroups(sgdOptions, names);
        const updates = emitOptimizer(g, sgdOptions, groups, params);
        same(
          updates.map((u) => [u.param, u.group, Object.keys(u.state)]),
          [
            ['0.weight', 1, ['momentum_buffer']],
            ['0.bias', 0, ['momentum_buffer']],
          ],
          'sgd updates',
        );
        const velocity = updates[0].state.momentum_buffer;
        same(
          [g.value(velocity.read).kind, g.value(velocity.read).name, g.value(velocity.read).shape],
          ['state', 'optimizer.0.weight.momentum_buffer', [3, 2]],
          'velocity',
        );
        const node = g.node(updates[0].node);
        same(
          [node.op, node.inputs, node.outputs],
          ['sgdUpdate', [params[0].value, params[0].grad, velocity.read, params[0].mask], [updates[0].newParam, velocity.written]],
          'sgd node',
        );
        same(
          updates[0].attrsAt(1),
          { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, dampening: 0, nesterov: false, firstStep: true },
          'sgd step 1',
        );
        groups[1].lr = 0.05;
        same(
          updates[0].attrsAt(2),
          { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, dampening: 0, nesterov: false, firstStep: false },
          'sgd step 2, changed lr',
        );
        same(updates[1].attrsAt(2).lr, 0.1, 'other group unchanged');
        expectThrows(() => updates[0].attrsAt(0), EngineError, ['step', 'integer >= 1']);

        const plainOptions: OptimizerOptions = { name: 'sgd', lr: 0.1 };
        const plainGroups = resolveGroups(plainOptions, names);
        const [plain] = emitOptimizer(g, plainOptions, plainGroups, params);
        same(plain.state, {}, 'plain SGD keeps no state');
        same(g.value(g.node(plain.node).inputs[2]).kind, 'constant', 'plain SGD reads a constant velocity');
        plainGroups[0].momentum = 0.9;
        expectThrows(() => plain.attrsAt(2), EngineError, ['momentum was 0 when the net was compiled', '0.weight']);

        for (const name of ['adam', 'adamw'] as const) {
          const options: OptimizerOptions = { name, lr: 1e-3 };
          const adamGroups = resolveGroups(options, names);
          const [weight] = emitOptimizer(g, options, adamGroups, params);
          same(
            Object.entries(weight.state).map(([key, { read }]) => [key, g.value(read).name]),
            [
              ['exp_avg', 'optimizer.0.weight.exp_avg'],
              ['exp_avg_sq', 'optimizer.0.weight.exp_avg_sq'],
            ],
            `${name} state`,
          );
          const adamNode = g.node(weight.node);
          same(
            [adamNode.op, adamNode.outputs],
            ['adamUpdate', [weight.newParam, weight.state.exp_avg.written, weight.state.exp_avg_sq.written]],
            `${name} node`,
          );
          same(
            weight.attrsAt(7),
            {
              lr: 1e-3,
              beta1: 0.9,
              beta2: 0.999,
              eps: 1e-8,
              weightDecay: name === 'adamw' ? 0.01 : 0,
              decoupled: name === 'adamw',
              step: 7,
            },
            `${name} step 7`,
          );
        }
      });
    },
  },
  {
    name: 'the reverse pass of the fixture CNN in train mode reaches every trainable parameter with its shape',
    async run() {
      await withGraph((g) => {
        const model = fixtureCnn();
        const { outputs, values } = emitModel(g, model, [2, 8, 8], 4, 'train');
        const labels = g.input('labels', [4], 'int32');
        const loss = emitLoss(g, 'cross-entropy', outputs[outputs.length - 1], labels);
        const trainable = namedParameters(model, [2, 8, 8]).filter((p) => p.spec.trainable);
        const grads = g.backward(
          [loss.seed],
          trainable.map((p) => values.get(p.name)!),
        );
        for (const { name, spec } of trainable) {
          const grad = grads.get(values.get(name)!);
          check(grad !== undefined, `${name}: no gradient`);
          same(g.value(grad!).shape, spec.shape, `${name} gradient shape`);
        }
      });
    },
  },
];

export const nnLayersGroup: TestGroup = {
  name: 'nn layers',
  // Host-side model definitions: the backend does not matter, so they run once, on WebAssembly.
  cases: [...hostCases, ...graphCases].map((c) => ({ ...c, backends: ['wasm'] })),
};
