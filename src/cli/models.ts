// The reference models of issue 3 (MNIST-shaped input), shared by the CLI and the scripts in build/.
import { nn } from '../nn/index.js';
import type { Sequential } from '../nn/types.js';

export const REFERENCE_MODELS = ['mlp', 'cnn'] as const;
export type ReferenceModelName = (typeof REFERENCE_MODELS)[number];

/** The per-sample input shape of the reference models. */
export const REFERENCE_INPUT_SHAPE = [1, 28, 28];

/**
 * The reference models for [1, 28, 28] input: 'mlp' is the 784-512-512-512-10 ReLU MLP (a flatten first), 'cnn' the
 * small CNN (conv 32 3x3, ReLU, max-pool 2, conv 64 3x3, ReLU, max-pool 2, flatten, 128, ReLU, 10).
 */
export function referenceModel(name: ReferenceModelName): Sequential {
  if (name === 'mlp') {
    const hidden = [nn.linear(784, 512), nn.relu(), nn.linear(512, 512), nn.relu(), nn.linear(512, 512), nn.relu()];
    return nn.sequential(nn.flatten(), ...hidden, nn.linear(512, 10));
  }
  if (name === 'cnn') {
    const features = [nn.conv2d(1, 32, 3), nn.relu(), nn.maxPool2d(2), nn.conv2d(32, 64, 3), nn.relu(), nn.maxPool2d(2)];
    return nn.sequential(...features, nn.flatten(), nn.linear(64 * 5 * 5, 128), nn.relu(), nn.linear(128, 10));
  }
  throw new Error(`unknown reference model '${String(name)}' (${REFERENCE_MODELS.join(' or ')})`);
}
