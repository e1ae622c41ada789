// Fetches data/index.json and a data set's files (with byte progress), builds train/test Datasets, caches them per data set.
import { data, type Dataset, type DatasetName, type PlaygroundDataFile, type PlaygroundDataIndex } from '../../index.js';

export type DataIndex = PlaygroundDataIndex;
export type DataIndexEntry = PlaygroundDataIndex['datasets'][number];
type DataFile = PlaygroundDataFile;

export interface DownloadProgress {
  /** The file being fetched now. */
  file: string;
  loaded: number;
  total: number;
}

/** The index is read relative to the page, so the page works under any path prefix and as static files. */
const DATA_BASE = new URL('data/', document.baseURI);

export async function fetchIndex(): Promise<DataIndex> {
  const url = new URL('index.json', DATA_BASE);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`could not fetch the data index ${url.pathname}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`could not fetch the data index ${url.pathname}: HTTP ${response.status} ${response.statusText}`);
  let index: unknown;
  try {
    index = await response.json();
  } catch (error) {
    throw new Error(`the data index ${url.pathname} is not valid JSON: ${(error as Error).message}`);
  }
  return checkIndex(index, url.pathname);
}

function checkIndex(value: unknown, where: string): DataIndex {
  const index = value as Partial<DataIndex> | null;
  if (!index || !Array.isArray(index.datasets)) throw new Error(`the data index ${where} has no "datasets" list`);
  for (const entry of index.datasets) {
    const splits = entry?.splits;
    if (typeof entry?.name !== 'string' || !splits || !Array.isArray(splits.train) || !Array.isArray(splits.test)) {
      throw new Error(`the data index ${where}: every data set needs a name and splits.train / splits.test file lists`);
    }
    for (const file of [...splits.train, ...splits.test]) {
      if (typeof file?.name !== 'string' || typeof file.url !== 'string') {
        throw new Error(`the data index ${where}: a file of '${entry.name}' lacks its name or url`);
      }
    }
  }
  return { datasets: index.datasets, missing: Array.isArray(index.missing) ? index.missing : [] };
}

const cache = new Map<DatasetName, Promise<{ train: Dataset; test: Dataset }>>();

/**
 * The train and test splits of a data set, fetched once per page (later calls reuse them). `onProgress` hears the
 * bytes fetched over all of the data set's files. A failed load is not cached, so a retry fetches again.
 */
export function loadDataset(
  entry: DataIndexEntry,
  onProgress: (progress: DownloadProgress) => void,
): Promise<{ train: Dataset; test: Dataset }> {
  let loading = cache.get(entry.name);
  if (!loading) {
    loading = fetchSplits(entry, onProgress);
    cache.set(entry.name, loading);
    loading.catch(() => cache.delete(entry.name));
  }
  return loading;
}

export function isCached(name: DatasetName): boolean {
  return cache.has(name);
}

async function fetchSplits(
  entry: DataIndexEntry,
  onProgress: (progress: DownloadProgress) => void,
): Promise<{ train: Dataset; test: Dataset }> {
  const files = [...entry.splits.train, ...entry.splits.test];
  const total = files.reduce((sum, file) => sum + (file.bytes || 0), 0);
  let done = 0;
  const contents = new Map<DataFile, Uint8Array>();
  for (const file of files) {
    const bytes = await fetchFile(file, (loaded) => onProgress({ file: file.name, loaded: done + loaded, total }));
    done += bytes.length;
    contents.set(file, bytes);
  }
  onProgress({ file: '', loaded: done, total: Math.max(total, done) });
  const build = async (split: 'train' | 'test'): Promise<Dataset> => {
    const named: Record<string, Uint8Array> = {};
    for (const file of entry.splits[split]) named[file.name] = contents.get(file) as Uint8Array;
    try {
      return await data.fromFiles(entry.name, named, { split, normalize: 'unit' });
    } catch (error) {
      const names = entry.splits[split].map((file) => file.name).join(', ');
      throw new Error(`could not read the ${entry.title ?? entry.name} ${split} files (${names}): ${(error as Error).message}`);
    }
  };
  return { train: await build('train'), test: await build('test') };
}

/** A file's bytes, reporting the bytes received so far as they arrive. */
async function fetchFile(file: DataFile, onBytes: (loaded: number) => void): Promise<Uint8Array> {
  const url = new URL(file.url, DATA_BASE);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`could not fetch ${file.name} from ${url.pathname}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`could not fetch ${file.name} from ${url.pathname}: HTTP ${response.status} ${response.statusText}`);
  // Checked against the index's size, not Content-Length, which counts compressed bytes when the server compresses.
  const expected = file.bytes || 0;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onBytes(bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onBytes(loaded);
  }
  if (expected > 0 && loaded !== expected) {
    throw new Error(`${file.name} from ${url.pathname}: received ${loaded} bytes, the data index says ${expected}`);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
