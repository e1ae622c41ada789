// The playground's data: finds each data set's files on this machine (as data.load does) and lists them as data/index.json.
import { datasetNames, datasetSpec, type DatasetName } from '../data/catalog.js';
import type { DownloadOptions } from '../data/download.js';
import { findSplitFiles } from '../data/load.js';
import type { PlaygroundDataFile, PlaygroundDataIndex } from './types.js';

export const datasetTitles: Record<DatasetName, string> = {
  mnist: 'MNIST',
  'fashion-mnist': 'Fashion-MNIST',
  cifar10: 'CIFAR-10',
};

export interface DataIndexOptions extends DownloadOptions {
  /** Folder searched first (as data.load's dir). */
  dataDir?: string;
  /** Also search the known local places (installed packages, system data sets); default true. */
  knownPlaces?: boolean;
  /** Data sets to offer (default all that are found). */
  datasets?: readonly DatasetName[];
}

/** The index the page reads, and where each of its URLs (relative to data/) lives on this machine. */
export interface DataIndex {
  index: PlaygroundDataIndex;
  /** URL path relative to data/ ('mnist/train-images-idx3-ubyte') -> file path. */
  files: Map<string, string>;
}

/**
 * Looks for every data set's train and test files (options.dataDir, EMERGENCE_DATA_DIR, the known local places, the
 * download cache; downloads only when options.download is true). A data set with a split missing is listed under
 * `missing` with data.load's explanation of where it looked.
 */
export async function buildDataIndex(options: DataIndexOptions = {}): Promise<DataIndex> {
  const index: PlaygroundDataIndex = { datasets: [], missing: [] };
  const files = new Map<string, string>();
  const names = options.datasets ?? datasetNames;
  for (const name of names) {
    const spec = datasetSpec(name);
    const title = datasetTitles[name];
    try {
      const splits = { train: [] as PlaygroundDataFile[], test: [] as PlaygroundDataFile[] };
      for (const split of ['train', 'test'] as const) {
        const found = await findSplitFiles(name, {
          split,
          dir: options.dataDir,
          knownPlaces: options.knownPlaces,
          download: options.download ?? false,
          cacheDir: options.cacheDir,
          mirror: options.mirror,
          progress: options.progress,
        });
        for (const file of found) {
          const fileName = file.path.replace(/^.*[\\/]/, '');
          const url = `${name}/${fileName}`;
          files.set(url, file.path);
          splits[split].push({ name: fileName, url, bytes: file.bytes.byteLength });
        }
      }
      index.datasets.push({ name, title, shape: [...spec.shape], classes: [...spec.classes], splits });
    } catch (error) {
      index.missing.push({ name, title, reason: (error as Error).message });
    }
  }
  return { index, files };
}
