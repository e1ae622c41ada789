// data.load: finds a data set's files (options.dir, EMERGENCE_DATA_DIR, known local places, else the download cache), parses them and builds a Dataset.
import { datasetSpec, type DatasetName, type DatasetSpec, type FileRole, type Split } from './catalog.js';
import { parseCifar10Batch, CIFAR10_PIXELS } from './cifar.js';
import { Dataset, pixelsToInputs, type Normalization } from './dataset.js';
import { cachedSplitFolder, type DownloadOptions } from './download.js';
import { DataError, FilesNotFoundError } from './errors.js';
import { fileReader, type FileReader } from './files.js';
import { parseIdxImages, parseIdxLabels } from './idx.js';

/** Environment variable naming a folder to search after options.dir (Node and Deno). */
export const DATA_DIR_ENV = 'EMERGENCE_DATA_DIR';

/** Download options (cacheDir, download, mirror, progress) apply in Node and Deno when no local copy is found. */
export interface LoadOptions extends DownloadOptions {
  /** Default 'train'. */
  split?: Split;
  /** Folder (a path; in browsers a URL, relative to the page) searched first, with its data-set sub-folders. */
  dir?: string;
  /** Default 'unit' (pixels / 255). */
  normalize?: Normalization;
  /** Keep only the first `limit` samples of the split. */
  limit?: number;
  /** Also search the known local places (installed packages, system data sets); default true. */
  knownPlaces?: boolean;
}

/** A file found for one role of a split. */
export interface FoundFile {
  role: string;
  path: string;
  bytes: Uint8Array;
}

const splits: Split[] = ['train', 'test'];
const normalizations: Normalization[] = ['none', 'unit', 'standard'];

/** Loads a split of 'mnist', 'fashion-mnist' or 'cifar10' from local files into memory. */
export async function load(name: DatasetName, options: LoadOptions = {}): Promise<Dataset> {
  const spec = datasetSpec(name);
  const { split, normalize, limit } = checkOptions(name, options);
  const reader = fileReader();
  const files = await locateOrDownload(spec, split, options, reader);
  return decode(spec, split, files, normalize, limit);
}

/** Options of data.fromFiles: the split the files hold, and how to normalize and cut it (as in data.load). */
export interface FromFilesOptions {
  /** Default 'train'. */
  split?: Split;
  /** Default 'unit' (pixels / 255). */
  normalize?: Normalization;
  limit?: number;
}

/**
 * Builds a split of 'mnist', 'fashion-mnist' or 'cifar10' from file contents the caller already has (fetched with its
 * own progress display, unpacked from an archive, ...), keyed by file name: the names data.load looks for
 * (data.splitFiles lists them; for MNIST-style sets either the raw or the .gz name). Extra files are ignored; a missing
 * one throws naming what was expected.
 */
export async function fromFiles(name: DatasetName, files: Record<string, Uint8Array>, options: FromFilesOptions = {}): Promise<Dataset> {
  const spec = datasetSpec(name);
  const { split, normalize, limit } = checkOptions(name, options);
  const found: FoundFile[] = [];
  for (const role of spec.files(split)) {
    const fileName = role.names.find((candidate) => Object.hasOwn(files, candidate));
    if (fileName === undefined) {
      const given = Object.keys(files);
      throw new DataError(
        '',
        `data.fromFiles('${name}', { split: '${split}' }): no file for ${role.role}: expected ${role.names.map((n) => `'${n}'`).join(' or ')}, ` +
          `given ${given.length ? given.map((n) => `'${n}'`).join(', ') : 'no files'}`,
      );
    }
    const bytes = files[fileName];
    if (!(bytes instanceof Uint8Array))
      throw new DataError(fileName, `data.fromFiles: the contents must be a Uint8Array, got ${typeof bytes}`);
    found.push({ role: role.role, path: fileName, bytes });
  }
  return decode(spec, split, found, normalize, limit);
}

/** The files a split of a data set is read from, in order: each role with the file names accepted for it. */
export function splitFiles(name: DatasetName, split: Split = 'train'): { role: string; names: string[] }[] {
  return datasetSpec(name)
    .files(split)
    .map((role) => ({ role: role.role, names: [...role.names] }));
}

function checkOptions(name: string, options: FromFilesOptions): { split: Split; normalize: Normalization; limit: number } {
  const split = options.split ?? 'train';
  const normalize = options.normalize ?? 'unit';
  const limit = options.limit ?? Infinity;
  if (!splits.includes(split)) throw new DataError('', `data.load('${name}'): split must be 'train' or 'test', got '${split}'`);
  if (!normalizations.includes(normalize)) {
    throw new DataError('', `data.load('${name}'): normalize must be 'none', 'unit' or 'standard', got '${normalize}'`);
  }
  if (limit !== Infinity && (!Number.isInteger(limit) || limit < 1)) {
    throw new DataError('', `data.load('${name}'): limit must be a positive integer, got ${limit}`);
  }
  return { split, normalize, limit };
}

async function decode(spec: DatasetSpec, split: Split, files: FoundFile[], normalize: Normalization, limit: number): Promise<Dataset> {
  const decoded = spec.format === 'idx' ? await decodeIdx(spec, files, limit) : decodeCifar10(files, limit);
  const [channels, height, width] = spec.shape;
  const inputs = pixelsToInputs(decoded.pixels, channels, height * width, normalize, spec.statistics);
  return new Dataset(
    spec.name,
    split,
    inputs,
    decoded.labels,
    [...spec.shape],
    [...spec.classes],
    files.map((file) => file.path),
    normalize,
    spec.statistics,
  );
}

/** The folders searched for a data set, in order: dir (and its sub-folders), EMERGENCE_DATA_DIR (same), known places. */
export async function searchFolders(
  spec: DatasetSpec,
  { dir, knownPlaces = true }: Pick<LoadOptions, 'dir' | 'knownPlaces'>,
  reader: FileReader = fileReader(),
): Promise<string[]> {
  const folders: string[] = [];
  const withSubfolders = (base: string): void => {
    folders.push(base, ...spec.subfolders.map((sub) => reader.join(base, sub)));
  };
  if (dir !== undefined && dir !== '') withSubfolders(dir);
  const envDir = reader.env(DATA_DIR_ENV);
  if (envDir) withSubfolders(envDir);
  if (knownPlaces) folders.push(...(await spec.knownPlaces(reader)));
  return [...new Set(folders)];
}

/** Reads every file of the split from the first folder that holds all of them; otherwise lists every place searched. */
export async function locate(
  spec: DatasetSpec,
  split: Split,
  options: Pick<LoadOptions, 'dir' | 'knownPlaces'>,
  reader: FileReader = fileReader(),
): Promise<FoundFile[]> {
  const roles = spec.files(split);
  const folders = await searchFolders(spec, options, reader);
  const misses: string[] = [];
  for (const folder of folders) {
    const found: FoundFile[] = [];
    let missing: FileRole | undefined;
    for (const role of roles) {
      const file = await readFirst(reader, folder, role);
      if (!file) {
        missing = role;
        break;
      }
      found.push(file);
    }
    if (!missing) return found;
    const has = found.length === 0 ? '' : ` has ${found.map((file) => file.path).join(', ')} but`;
    misses.push(`  ${folder}:${has} no ${missing.names.join(' / ')}`);
  }
  const places = misses.length ? misses.join('\n') : '  (no places: pass options.dir)';
  throw new FilesNotFoundError(
    '',
    `data.load('${spec.name}', { split: '${split}' }): files not found; searched, in order:\n${places}\n` +
      `Pass { dir } or set ${DATA_DIR_ENV} to a folder holding ${roles.map((r) => r.names[0]).join(', ')}.`,
  );
}

/**
 * The files data.load would read for a split, with their contents, without decoding them: local copies first, else the
 * download cache (downloading only when options.download allows). For tools that pass the files on (a data server).
 */
export async function findSplitFiles(name: DatasetName, options: LoadOptions = {}): Promise<FoundFile[]> {
  const spec = datasetSpec(name);
  const { split } = checkOptions(name, options);
  return locateOrDownload(spec, split, options, fileReader());
}

/** Local files first; else (Node, Deno) the cache folder, downloading and verifying the canonical files into it. */
async function locateOrDownload(spec: DatasetSpec, split: Split, options: LoadOptions, reader: FileReader): Promise<FoundFile[]> {
  try {
    return await locate(spec, split, options, reader);
  } catch (error) {
    // Only a clean "not found" falls through to the cache: a file that exists but cannot be read is reported as such.
    if (!(error instanceof FilesNotFoundError) || reader.runtime === 'browser') throw error;
    const folder = await cachedSplitFolder(spec, split, options, reader, error.message);
    const found: FoundFile[] = [];
    for (const role of spec.files(split)) {
      const file = await readFirst(reader, folder, role);
      if (!file) throw new DataError(reader.join(folder, role.names[0]), 'missing from the cache after download');
      found.push(file);
    }
    return found;
  }
}

async function readFirst(reader: FileReader, folder: string, role: FileRole): Promise<FoundFile | undefined> {
  for (const name of role.names) {
    const path = reader.join(folder, name);
    const bytes = await reader.tryRead(path);
    if (bytes) return { role: role.role, path, bytes };
  }
  return undefined;
}

interface DecodedSplit {
  pixels: Uint8Array;
  labels: Int32Array;
}

async function decodeIdx(spec: DatasetSpec, files: FoundFile[], limit: number): Promise<DecodedSplit> {
  const [imageFile, labelFile] = files;
  const images = await parseIdxImages(imageFile.bytes, imageFile.path);
  const labelBytes = await parseIdxLabels(labelFile.bytes, labelFile.path);
  const [, height, width] = spec.shape;
  if (images.rows !== height || images.cols !== width) {
    throw new DataError(imageFile.path, `${spec.name} images must be ${height}x${width}, found ${images.rows}x${images.cols}`);
  }
  if (images.count !== labelBytes.length) {
    throw new DataError(
      '',
      `image/label count mismatch: ${imageFile.path} has ${images.count} images, ${labelFile.path} has ${labelBytes.length} labels`,
    );
  }
  const count = Math.min(images.count, limit);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labelBytes[i];
    if (label >= spec.classes.length) {
      throw new DataError(labelFile.path, `label ${i} is ${label}, expected 0-${spec.classes.length - 1}`);
    }
    labels[i] = label;
  }
  return { pixels: images.pixels.subarray(0, count * height * width), labels };
}

function decodeCifar10(files: FoundFile[], limit: number): DecodedSplit {
  const batches = [];
  let count = 0;
  for (const file of files) {
    if (count >= limit) break;
    const batch = parseCifar10Batch(file.bytes, file.path, limit - count);
    batches.push(batch);
    count += batch.count;
  }
  const pixels = new Uint8Array(count * CIFAR10_PIXELS);
  const labels = new Int32Array(count);
  let offset = 0;
  for (const batch of batches) {
    pixels.set(batch.pixels, offset * CIFAR10_PIXELS);
    labels.set(batch.labels, offset);
    offset += batch.count;
  }
  return { pixels, labels };
}
