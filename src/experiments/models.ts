// Model builders the experiments share: ReLU MLPs of any widths and the small CNNs, for MNIST-shaped or CIFAR-shaped input.
import { nn } from '../nn/index.js';
import type { Sequential } from '../nn/types.js';

/** flatten, then Linear + ReLU for every hidden width, then a Linear to `classes` logits. */
export function mlp(inputFeatures: number, hidden: readonly number[], classes = 10): Sequential {
  const layers = [];
  let width = inputFeatures;
  for (const next of hidden) {
    layers.push(nn.linear(width, next), nn.relu());
    width = next;
  }
  return nn.sequential(nn.flatten(), ...layers, nn.linear(width, classes));
}

/**
 * The small CNN for [channels, size, size] input: conv 32 3x3, ReLU, max-pool 2, conv 64 3x3, ReLU, max-pool 2,
 * flatten, 128, ReLU, `classes`. With [1, 28, 28] it is the issue-3 reference CNN.
 */
export function smallCnn(channels: number, size: number, classes = 10): Sequential {
  const after = Math.floor((Math.floor((size - 2) / 2) - 2) / 2);
  const features = [nn.conv2d(channels, 32, 3), nn.relu(), nn.maxPool2d(2), nn.conv2d(32, 64, 3), nn.relu(), nn.maxPool2d(2)];
  return nn.sequential(...features, nn.flatten(), nn.linear(64 * after * after, 128), nn.relu(), nn.linear(128, classes));
}

/** Comma-separated widths ("512,512,512") as numbers, checked. */
export function parseWidths(option: string, text: string): number[] {
  const widths = text.split(',').map((part) => Number(part.trim()));
  if (widths.length === 0 || widths.some((width) => !Number.isSafeInteger(width) || width < 1)) {
    throw new Error(`--${option} takes comma-separated positive integers (e.g. 512,512,512), got '${text}'`);
  }
  return widths;
}
