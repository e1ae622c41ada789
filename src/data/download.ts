// The download step of data.load (Node and Deno): fetches a data set's canonical files into a cache folder, verified by checksum.
import { importRuntimeModule } from '../platform/runtime-import.js';
import type { DatasetSpec, DownloadFile, Split } from './catalog.js';
import { DataError } from './errors.js';
import type { FileReader } from './files.js';
import { gunzipIfNeeded } from './gzip.js';
import { readTar } from './tar.js';

/** Environment variable naming the cache folder (default ~/.cache/emergence-engine, or $XDG_CACHE_HOME/emergence-engine). */
export const CACHE_DIR_ENV = 'EMERGENCE_CACHE_DIR';
/** Environment variable naming a base URL that replaces the canonical ones (mirrors, tests). */
export const MIRROR_ENV = 'EMERGENCE_DATA_MIRROR';

/** How far a download has got; `totalBytes` and `etaSeconds` are undefined when the server sends no Content-Length. */
export interface DownloadProgress {
  file: string;
  url: string;
  receivedBytes: number;
  totalBytes?: number;
  bytesPerSecond: number;
  etaSeconds?: number;
  done: boolean;
}

export interface DownloadOptions {
  /** Cache folder; default EMERGENCE_CACHE_DIR, else ~/.cache/emergence-engine. */
  cacheDir?: string;
  /** false forbids network access (the cache is still read); default true. */
  download?: boolean;
  /** Base URL replacing the canonical ones (a mirror, or a test server); default EMERGENCE_DATA_MIRROR. */
  mirror?: string;
  /** true (default): a progress bar on stderr; false: silent; a function: called with each progress step instead. */
  progress?: boolean | ((progress: DownloadProgress) => void);
}

type NodeFs = typeof import('node:fs/promises');
type Checksums = Pick<DownloadFile, 'md5' | 'contentSha256'>;

async function digest(algorithm: 'md5' | 'sha256', bytes: Uint8Array): Promise<string> {
  const { createHash } = await importRuntimeModule('node:crypto');
  return createHash(algorithm).update(bytes).digest('hex');
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Checks bytes against the published MD5, else the decompressed content's SHA-256; returns what was found on a mismatch. */
async function mismatch(bytes: Uint8Array, expected: Checksums, md5?: string): Promise<string | undefined> {
  const foundMd5 = md5 ?? (await digest('md5', bytes));
  if (foundMd5 === expected.md5) return undefined;
  let found = `md5 ${foundMd5}`;
  if (expected.contentSha256) {
    let content: Uint8Array | undefined;
    try {
      content = await gunzipIfNeeded(bytes);
    } catch {
      found += ', content not valid gzip';
    }
    if (content) {
      const sha = await digest('sha256', content);
      if (sha === expected.contentSha256) return undefined;
      found += `, content sha256 ${sha} (${content.length} bytes)`;
    }
  }
  const wanted = `md5 ${expected.md5}` + (expected.contentSha256 ? ` or content sha256 ${expected.contentSha256}` : '');
  return `expected ${wanted}; found ${found}, size ${bytes.length} bytes`;
}

/** The default stderr progress bar: redrawn in place on a terminal, one line at the end otherwise. */
function stderrBar(): (progress: DownloadProgress) => void {
  const stderr = (globalThis as { process?: { stderr?: { isTTY?: boolean; write(text: string): unknown } } }).process?.stderr;
  if (!stderr) return () => {};
  let lastDraw = 0;
  return (p) => {
    const now = Date.now();
    if (!p.done && (!stderr.isTTY || now - lastDraw < 100)) return;
    lastDraw = now;
    const amount = p.totalBytes
      ? `${((100 * p.receivedBytes) / p.totalBytes).toFixed(0).padStart(3)}% ${megabytes(p.receivedBytes)}/${megabytes(p.totalBytes)}`
      : megabytes(p.receivedBytes);
    const eta = p.done ? 'done' : p.etaSeconds !== undefined ? `ETA ${Math.ceil(p.etaSeconds)}s` : '';
    const line = `${p.file} ${amount} ${megabytes(p.bytesPerSecond)}/s ${eta}`;
    stderr.write(stderr.isTTY ? `\r${line}\x1b[K${p.done ? '\n' : ''}` : `${line}\n`);
  };
}

function progressReporter(option: DownloadOptions['progress']): (progress: DownloadProgress) => void {
  if (typeof option === 'function') return option;
  return option === false ? () => {} : stderrBar();
}

/** Streams one URL into `temporary`, hashing as it goes; returns the MD5, or throws naming the URL and the byte count. */
async function fetchToFile(
  fs: NodeFs,
  url: string,
  temporary: string,
  file: string,
  report: (p: DownloadProgress) => void,
): Promise<string> {
  const { createHash } = await importRuntimeModule('node:crypto');
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  const header = response.headers.get('content-length');
  const totalBytes = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  const hash = createHash('md5');
  const handle = await fs.open(temporary, 'w');
  const started = Date.now();
  let receivedBytes = 0;
  const step = (done: boolean): void => {
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    const bytesPerSecond = receivedBytes / seconds;
    const etaSeconds = totalBytes !== undefined && bytesPerSecond > 0 ? (totalBytes - receivedBytes) / bytesPerSecond : undefined;
    report({ file, url, receivedBytes, totalBytes, bytesPerSecond, etaSeconds, done });
  };
  try {
    const reader = response.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const of = totalBytes !== undefined ? ` of ${totalBytes}` : '';
        throw new Error(`connection closed after ${receivedBytes}${of} bytes (${(error as Error).message})`);
      }
      if (chunk.done) break;
      hash.update(chunk.value);
      await handle.write(chunk.value);
      receivedBytes += chunk.value.length;
      step(false);
    }
  } finally {
    await handle.close();
  }
  if (totalBytes !== undefined && receivedBytes !== totalBytes) {
    throw new Error(`truncated: received ${receivedBytes} bytes, Content-Length said ${totalBytes}`);
  }
  step(true);
  return hash.digest('hex');
}

/**
 * Downloads `expected.name` from the first of `baseUrls` that serves it whole and with the right checksum, into `destination`.
 * The bytes go to a temporary file renamed to `destination` only after the checksum matches, so a partial or corrupt
 * download never appears in the cache. Throws a DataError listing every URL tried and what went wrong with each.
 */
export async function downloadVerified(
  baseUrls: string[],
  destination: string,
  expected: DownloadFile,
  progress: DownloadOptions['progress'] = true,
): Promise<void> {
  const fs = await importRuntimeModule('node:fs/promises');
  const { dirname } = await importRuntimeModule('node:path');
  await fs.mkdir(dirname(destination), { recursive: true });
  const report = progressReporter(progress);
  const failures: string[] = [];
  for (const base of baseUrls) {
    const url = `${base.replace(/\/?$/, '/')}${expected.name}`;
    const temporary = `${destination}.partial-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      const md5 = await fetchToFile(fs, url, temporary, expected.name, report);
      const problem = await mismatch(await fs.readFile(temporary), expected, md5);
      if (problem) throw new Error(`checksum mismatch: ${problem}`);
      await fs.rename(temporary, destination);
      return;
    } catch (error) {
      failures.push(`  ${url}: ${(error as Error).message}`);
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }
  throw new DataError(expected.name, `download failed; nothing was cached at ${destination}; tried:\n${failures.join('\n')}`);
}

/** Reads a cached file and checks it; a file that does not match is refused (never silently replaced or used). */
async function verifiedCached(fs: NodeFs, path: string, expected: DownloadFile): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return false;
    throw new DataError(path, `cached file cannot be read: ${(error as Error).message}`);
  }
  const problem = await mismatch(bytes, expected);
  if (problem)
    throw new DataError(path, `cached file is corrupt or truncated: ${problem}. Refusing to use it; delete it to download it again`);
  return true;
}

/** Rethrows a failed download's DataError headed by the local search's report, so the error says both what was searched and what was fetched. */
function withLocalReport(notFound: string): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof DataError) || error.message.startsWith(notFound)) throw error;
    throw new DataError('', `${notFound}\nNo local copy, so the canonical files were fetched: ${error.message}`);
  };
}

/** The cache folder: options.cacheDir, EMERGENCE_CACHE_DIR, $XDG_CACHE_HOME/emergence-engine, ~/.cache/emergence-engine. */
export async function cacheFolder(options: DownloadOptions, reader: FileReader): Promise<string> {
  if (options.cacheDir) return options.cacheDir;
  const fromEnv = reader.env(CACHE_DIR_ENV);
  if (fromEnv) return fromEnv;
  const xdg = reader.env('XDG_CACHE_HOME');
  if (xdg) return reader.join(xdg, 'emergence-engine');
  const { homedir } = await importRuntimeModule('node:os');
  return reader.join(homedir(), '.cache/emergence-engine');
}

/**
 * The cache folder holding a split's files, downloading and verifying them first when they are not cached and
 * options.download allows it. `notFound` (the local search's report) heads the error when nothing can be had.
 */
export async function cachedSplitFolder(
  spec: DatasetSpec,
  split: Split,
  options: DownloadOptions,
  reader: FileReader,
  notFound: string,
): Promise<string> {
  const fs = await importRuntimeModule('node:fs/promises');
  const folder = reader.join(await cacheFolder(options, reader), spec.name);
  const mirror = options.mirror ?? reader.env(MIRROR_ENV);
  const baseUrls = mirror ? [mirror] : spec.download.baseUrls;
  const allowed = options.download !== false;
  const refuse = (missing: string): never => {
    throw new DataError('', `${notFound}\nNot in the cache either (${missing}), and options.download is false, so nothing was fetched.`);
  };
  const archive = spec.download.archive;
  if (archive) {
    return cachedArchiveMembers(fs, spec, split, folder, baseUrls, options, reader, archive, allowed ? undefined : refuse).catch(
      withLocalReport(notFound),
    );
  }
  for (const file of spec.download.files(split)) {
    const path = reader.join(folder, file.name);
    if (await verifiedCached(fs, path, file)) continue;
    if (!allowed) refuse(path);
    await downloadVerified(baseUrls, path, file, options.progress).catch(withLocalReport(notFound));
  }
  return folder;
}

/** For archive downloads (CIFAR-10): the extracted members, extracting (and downloading) the verified archive when needed. */
async function cachedArchiveMembers(
  fs: NodeFs,
  spec: DatasetSpec,
  split: Split,
  folder: string,
  baseUrls: string[],
  options: DownloadOptions,
  reader: FileReader,
  archive: NonNullable<DatasetSpec['download']['archive']>,
  refuse: ((missing: string) => never) | undefined,
): Promise<string> {
  const membersFolder = reader.join(folder, archive.folder);
  const wanted = spec.files(split).map((role) => role.names[0]);
  let missing = false;
  for (const name of wanted) {
    const path = reader.join(membersFolder, name);
    const stat = await fs.stat(path).catch(() => undefined);
    if (!stat) missing = true;
    else if (stat.size !== archive.memberBytes) {
      throw new DataError(
        path,
        `cached file is truncated or corrupt: expected ${archive.memberBytes} bytes, found ${stat.size}. Refusing to use it; delete it to extract it again`,
      );
    }
  }
  if (!missing) return membersFolder;
  const [archiveFile] = spec.download.files(split);
  const archivePath = reader.join(folder, archiveFile.name);
  if (!(await verifiedCached(fs, archivePath, archiveFile))) {
    if (refuse) refuse(archivePath);
    await downloadVerified(baseUrls, archivePath, archiveFile, options.progress);
  }
  const members = readTar(await gunzipIfNeeded(await fs.readFile(archivePath), archivePath), archivePath);
  await fs.mkdir(membersFolder, { recursive: true });
  for (const name of wanted) {
    const member = members.find((candidate) => candidate.name === `${archive.folder}/${name}`);
    if (!member) throw new DataError(archivePath, `archive has no member ${archive.folder}/${name}`);
    if (member.bytes.length !== archive.memberBytes) {
      throw new DataError(archivePath, `member ${member.name} has ${member.bytes.length} bytes, expected ${archive.memberBytes}`);
    }
    const path = reader.join(membersFolder, name);
    await fs.writeFile(`${path}.partial`, member.bytes);
    await fs.rename(`${path}.partial`, path);
  }
  return membersFolder;
}
