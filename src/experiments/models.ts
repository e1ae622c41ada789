// Model builders the experiments share: ReLU MLPs of any widths, the small CNNs, and VGG-19 for CIFAR-10 at any width.
import { nn } from '../nn/index.js';
import type { Layer, Sequential } from '../nn/types.js';

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

/** VGG-19's feature stack for CIFAR-10 (32x32 input): channel counts, 'M' a 2x2 max-pool. */
export const VGG19_CONFIG: readonly (number | 'M')[] = [
  64,
  64,
  'M',
  128,
  128,
  'M',
  256,
  256,
  256,
  256,
  'M',
  512,
  512,
  512,
  512,
  'M',
  512,
  512,
  512,
  512,
  'M',
];

/** Conv layers of VGG-19: the layers of nodes E counts (plus the classifier's hidden layers, if any). */
export const VGG19_CONV_LAYERS = VGG19_CONFIG.filter((entry) => entry !== 'M').length;

/** A channel count of VGG-19 scaled by `width` (at least 1). */
export function vggChannels(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

/**
 * VGG-19 for [3, 32, 32] input: conv 3x3 (padding 1, with bias as in torchvision), then batchNorm2d when `batchNorm`,
 * then ReLU, for every entry of VGG19_CONFIG, 2x2 max-pools at 'M'; flatten (the 1x1 map of the last stage) and a
 * classifier: Linear(512·width, classes) (the common CIFAR variant), or hidden Linear + ReLU layers before it.
 */
export function vgg19(options: { width: number; batchNorm: boolean; classifierHidden?: readonly number[]; classes?: number }): Sequential {
  const { width, batchNorm, classifierHidden = [], classes = 10 } = options;
  const layers: Layer[] = [];
  let channels = 3;
  for (const entry of VGG19_CONFIG) {
    if (entry === 'M') {
      layers.push(nn.maxPool2d(2));
      continue;
    }
    const out = vggChannels(entry, width);
    layers.push(nn.conv2d(channels, out, 3, { padding: 1 }));
    if (batchNorm) layers.push(nn.batchNorm2d(out));
    layers.push(nn.relu());
    channels = out;
  }
  layers.push(nn.flatten());
  let features = channels;
  for (const hidden of classifierHidden) {
    layers.push(nn.linear(features, hidden), nn.relu());
    features = hidden;
  }
  layers.push(nn.linear(features, classes));
  return nn.sequential(...layers);
}
