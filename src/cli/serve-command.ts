// `emergence serve`: serves the playground page with the local data sets, or (--static DIR) writes it as static files.
import { datasetNames, type DatasetName } from '../data/catalog.js';
import { serve } from '../playground/server.js';
import { writeStaticSite } from '../playground/static-site.js';
import type { PlaygroundDataIndex } from '../playground/types.js';
import { COMMON_OPTIONS, UsageError, formatUsage, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';
import type { CliIo } from './index.js';

const SERVE_OPTIONS: OptionSpecs = {
  port: { kind: 'integer', value: 'N', help: 'port to listen on (default 8080; 0 picks a free one)' },
  host: { kind: 'string', value: 'HOST', help: 'address to listen on (default 127.0.0.1: this machine only)' },
  'data-dir': {
    kind: 'string',
    value: 'DIR',
    help: 'folder searched first for the data sets (then EMERGENCE_DATA_DIR, known places, the cache)',
  },
  datasets: { kind: 'string', value: 'LIST', help: `data sets to offer, comma-separated (default all found: ${datasetNames.join(',')})` },
  download: { kind: 'flag', help: 'download data sets that are not found locally into the cache (default: offer only local ones)' },
  static: { kind: 'string', value: 'DIR', help: 'write the page and the data as static files into DIR instead of serving' },
  force: { kind: 'flag', help: 'with --static: replace DIR if it exists' },
  help: COMMON_OPTIONS.help,
  backend: { ...COMMON_OPTIONS.backend, help: "the page's backend in the printed link (default auto: WebGPU when the browser has it)" },
  seed: { ...COMMON_OPTIONS.seed, help: "the page's seed in the printed link (default 0)" },
  json: { kind: 'flag', help: 'print one JSON document (the URL or folder and the data sets) on stdout' },
};

export const SERVE_USAGE = formatUsage(
  'emergence serve [options]',
  'Serves the playground: pick a data set, model, initialization, pruning and threshold, train in the browser on WebGPU\n' +
    '(WebAssembly where the browser has none) and watch loss, accuracy, E, relative E and the active nodes live.\n' +
    'Data sets come from this machine (as data.load finds them), so the page works offline. Ctrl-C stops the server.',
  SERVE_OPTIONS,
);

function describeIndex(index: PlaygroundDataIndex): string {
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
  const lines = index.datasets.map((set) => {
    const bytes = [...set.splits.train, ...set.splits.test].reduce((sum, file) => sum + file.bytes, 0);
    return `  ${set.title.padEnd(14)} ${mb(bytes)}`;
  });
  for (const set of index.missing) lines.push(`  ${set.title.padEnd(14)} not found: ${set.reason.split('\n')[0]}`);
  return lines.join('\n');
}

export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions('serve', argv, SERVE_OPTIONS, SERVE_USAGE);
  if (options.help) {
    io.stdout(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (options.force && options.static === undefined) throw new UsageError('serve: --force goes with --static DIR', SERVE_USAGE);
  let datasets: DatasetName[] | undefined;
  if (options.datasets !== undefined) {
    datasets = String(options.datasets)
      .split(',')
      .map((name) => name.trim()) as DatasetName[];
    const unknown = datasets.filter((name) => !datasetNames.includes(name));
    if (unknown.length)
      throw new UsageError(`serve: unknown data set '${unknown[0]}' in --datasets; known: ${datasetNames.join(', ')}`, SERVE_USAGE);
  }
  const port = (options.port as number | undefined) ?? 8080;
  if (port > 65535) throw new UsageError(`serve: --port must be at most 65535, got ${port}`, SERVE_USAGE);
  const common = {
    dataDir: options['data-dir'] as string | undefined,
    datasets,
    download: options.download === true,
    progress: options.download === true,
  };
  if (options.static !== undefined) {
    const site = await writeStaticSite(String(options.static), { ...common, force: options.force === true });
    if (options.json) io.stdout(`${JSON.stringify({ dir: site.dir, files: site.files, bytes: site.bytes, data: site.index }, null, 2)}\n`);
    else {
      io.stdout(
        `playground written to ${site.dir} (${site.files} files, ${(site.bytes / 1e6).toFixed(1)} MB)\n${describeIndex(site.index)}\n`,
      );
      io.stdout('serve it over http://localhost or https; README.txt there lists the headers for WebAssembly threads\n');
    }
    return 0;
  }
  const server = await serve({ ...common, port, host: options.host as string | undefined, log: (line) => io.stderr(`serve: ${line}\n`) });
  const query = new URLSearchParams();
  if (options.backend !== undefined && options.backend !== 'auto') query.set('backend', String(options.backend));
  if (options.seed !== undefined) query.set('seed', String(options.seed));
  const link = query.size ? `${server.url}?${query}` : server.url;
  if (options.json) io.stdout(`${JSON.stringify({ url: link, port: server.port, data: server.index })}\n`);
  else io.stdout(`playground: ${link}\n${describeIndex(server.index)}\nCtrl-C stops the server.\n`);
  await new Promise<void>((resolve) => {
    const remove = io.onInterrupt(() => {
      remove();
      resolve();
    });
  });
  await server.close();
  io.stderr('serve: stopped\n');
  return 0;
}
