// Bad input: each error names the op, the tensors and their shapes, leaks no buffers, and leaves the engine working.
import { DisposedTensorError, EngineError, ShaderCompileError, ShapeError, assertClose, type Engine } from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs `fn`, which must throw `type` with every fragment in its message and without leaving buffers allocated. */
async function expectError(engine: Engine, fn: () => unknown, type: ErrorClass, fragments: string[]): Promise<Error> {
  const before = engine.memory().allocated;
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error(`expected ${type.name} with ${JSON.stringify(fragments)}, but nothing was thrown`);
  if (!(caught instanceof type)) throw new Error(`expected ${type.name}, got ${String(caught)}`);
  for (const fragment of fragments) {
    if (!caught.message.includes(fragment)) throw new Error(`${type.name} message lacks '${fragment}': ${caught.message}`);
  }
  const after = engine.memory().allocated;
  if (after !== before) throw new Error(`the failed call left ${after - before} buffer(s) allocated: ${caught.message}`);
  return caught;
}

/** After an error the engine must still compute: relu of a small tensor, read back. */
async function expectEngineWorks(engine: Engine): Promise<void> {
  const x = engine.tensor([-1.5, 0, 2.25, -0], [2, 2]);
  const y = engine.relu(x);
  assertClose(await y.read(), [0, 0, 2.25, 0], { atol: 0, rtol: 0 }, 'relu after an error');
  x.dispose();
  y.dispose();
}

function errorCase(name: string, body: (engine: Engine) => Promise<void>, backends?: TestCase['backends']): TestCase {
  return {
    name,
    backends,
    async run(engine) {
      await body(engine);
      await expectEngineWorks(engine);
    },
  };
}

/** Broken WGSL: line 5 refers to an undeclared name. */
const brokenShader = [
  '// A deliberately broken shader for the error tests.',
  '@group(0) @binding(0) var<storage, read_write> out: array<f32>;',
  '@compute @workgroup_size(1)',
  'fn main() {',
  '  out[0] = undeclared_value;',
  '}',
].join('\n');

export const errorsGroup: TestGroup = {
  name: 'errors',
  cases: [
    errorCase('matmul with mismatched inner dimensions names matmul, a and b with their shapes', async (engine) => {
      const a = engine.zeros([2, 3]);
      const b = engine.zeros([4, 5]);
      const error = await expectError(engine, () => engine.matmul(a, b), ShapeError, ['matmul', 'a [2, 3]', 'b [4, 5]']);
      if ((error as ShapeError).op !== 'matmul') throw new Error(`ShapeError.op is '${(error as ShapeError).op}', expected 'matmul'`);
      await expectError(engine, () => engine.matmul(a, b, { transposeB: true }), ShapeError, ['matmul', 'a [2, 3]', 'b [4, 5]']);
    }),
    errorCase('tensor() with the wrong number of values names tensor, the count and the shape', async (engine) => {
      await expectError(engine, () => engine.tensor([1, 2, 3, 4, 5], [2, 3]), ShapeError, ['tensor', '5 values', '[2, 3]', '6 elements']);
      await expectError(engine, () => engine.tensor(new Float32Array(4), [2, 0]), ShapeError, ['tensor', 'positive integers']);
    }),
    errorCase('a disposed tensor used in an op names the op and the input', async (engine) => {
      const x = engine.tensor([1, -2, 3], [3]);
      const y = engine.tensor([1, 1, 1], [3]);
      x.dispose();
      await expectError(engine, () => engine.relu(x), DisposedTensorError, ['relu', "'x'", '[3]', 'disposed']);
      await expectError(engine, () => engine.add(y, x), DisposedTensorError, ['add', "'b'", 'disposed']);
      await expectError(engine, () => x.read(), DisposedTensorError, ['read', 'disposed']);
    }),
    errorCase('conv2d with a channel mismatch names conv2d, x and w with their shapes', async (engine) => {
      const x = engine.zeros([1, 3, 8, 8]);
      const w = engine.zeros([4, 2, 3, 3]);
      await expectError(engine, () => engine.conv2d(x, w, { padding: 1 }), ShapeError, ['conv2d', 'x [1, 3, 8, 8]', 'w [4, 2, 3, 3]']);
    }),
    errorCase('biasAdd with a bias of the wrong length names biasAdd, x and bias with their shapes', async (engine) => {
      const x = engine.zeros([2, 5]);
      const bias = engine.zeros([4]);
      await expectError(engine, () => engine.biasAdd(x, bias), ShapeError, ['biasAdd', 'x [2, 5]', 'bias [4]']);
    }),
    errorCase('labels of the wrong length or out of range name softmaxCrossEntropy and the shapes', async (engine) => {
      const logits = engine.zeros([4, 3]);
      const short = new Int32Array([0, 1, 2]);
      await expectError(engine, () => engine.softmaxCrossEntropy(logits, short), ShapeError, [
        'softmaxCrossEntropy',
        'logits [4, 3]',
        'labels [3]',
      ]);
      const outOfRange = new Int32Array([0, 1, 5, 2]);
      await expectError(engine, () => engine.softmaxCrossEntropy(logits, outOfRange), ShapeError, [
        'softmaxCrossEntropy',
        'label 5 at index 2',
        'logits [4, 3]',
      ]);
    }),
    errorCase(
      'a shader that fails to compile throws ShaderCompileError with its name and line:column',
      async (engine) => {
        const error = (await expectError(engine, () => engine.compileShader('broken_for_test', brokenShader), ShaderCompileError, [
          "'broken_for_test'",
          'at 5:',
        ])) as ShaderCompileError;
        if (error.shader !== 'broken_for_test' || error.line !== 5 || !(error.column > 0)) {
          throw new Error(`expected shader 'broken_for_test' at line 5 with a column, got '${error.shader}' ${error.line}:${error.column}`);
        }
        // The same name compiles once the source is fixed: failures are not cached.
        await engine.compileShader('broken_for_test', brokenShader.replace('undeclared_value', '1.0'));
      },
      ['webgpu'],
    ),
    errorCase(
      'compileShader on WebAssembly is an EngineError',
      async (engine) => {
        await expectError(engine, () => engine.compileShader('any', brokenShader), EngineError, ['compileShader', 'wasm']);
      },
      ['wasm'],
    ),
  ],
};
