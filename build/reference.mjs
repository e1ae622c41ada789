// Shared by the scripts in build/: the reference models of issue 3 and a small seeded generator for synthetic data.

/**
 * The reference models for MNIST-shaped input ([1, 28, 28]): 'mlp' is the 784-512-512-512-10 ReLU MLP (a flatten first),
 * 'cnn' the small CNN (conv 32 3x3, ReLU, max-pool 2, conv 64 3x3, ReLU, max-pool 2, flatten, 128, ReLU, 10).
 * `nn` is the package's nn namespace (scripts import the built bundle themselves).
 */
export function referenceModel(nn, name) {
  if (name === 'mlp') {
    const hidden = [nn.linear(784, 512), nn.relu(), nn.linear(512, 512), nn.relu(), nn.linear(512, 512), nn.relu()];
    return nn.sequential(nn.flatten(), ...hidden, nn.linear(512, 10));
  }
  if (name === 'cnn') {
    const features = [nn.conv2d(1, 32, 3), nn.relu(), nn.maxPool2d(2), nn.conv2d(32, 64, 3), nn.relu(), nn.maxPool2d(2)];
    return nn.sequential(...features, nn.flatten(), nn.linear(64 * 5 * 5, 128), nn.relu(), nn.linear(128, 10));
  }
  throw new Error(`unknown reference model '${name}' (mlp or cnn)`);
}

/** The per-sample input shape of the reference models. */
export const REFERENCE_INPUT_SHAPE = [1, 28, 28];

/** mulberry32: seeded uniform numbers in [0, 1), so runs see the same data without loading the engine bundle. */
export function seededUniform(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
