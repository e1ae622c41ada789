// `npm run selfcheck`: installs and builds what is missing, creates an engine, runs selfCheck (every kernel against the
// TypeScript reference, timed) and prints a table, or one JSON document with --json. Exits 1 if any kernel fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const usage = `Usage: npm run selfcheck -- [--backend auto|webgpu|wasm] [--seed N] [--repeats N] [--json] [--no-build]

Runs every kernel (fast, and naive where one exists) on seeded random inputs of a few sizes on one backend, compares
it with the TypeScript reference and times it (median of --repeats runs after a warm-up run).

  --backend   auto (default: WebGPU on a hardware GPU, else WebAssembly), webgpu or wasm
  --seed      seed of the random inputs (default 0)
  --repeats   timed runs per kernel (default 3)
  --json      print one JSON document on stdout instead of the table (progress goes to stderr)
  --no-build  skip \`npm run build\` (by default the package is rebuilt first, about 10 s)

In Node, WebGPU comes from the npm package 'webgpu' (Dawn) and needs a Vulkan driver; on a machine without a GPU use
SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npm run selfcheck -- --backend webgpu`;

let args;
try {
  args = parseArgs({
    options: {
      backend: { type: 'string', default: 'auto' },
      seed: { type: 'string', default: '0' },
      repeats: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (error) {
  console.error(`selfcheck: ${error.message}\n\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const seed = Number(args.seed);
const repeats = Number(args.repeats);
if (!['auto', 'webgpu', 'wasm'].includes(args.backend) || !Number.isInteger(seed) || !(Number.isInteger(repeats) && repeats >= 1)) {
  console.error(`selfcheck: bad option (backend '${args.backend}', seed '${args.seed}', repeats '${args.repeats}')\n\n${usage}`);
  process.exit(2);
}

/** Runs a set-up command with its output on stderr, so --json keeps stdout to the one document. */
function setUp(label, command, commandArgs) {
  console.error(`selfcheck: ${label}: ${command} ${commandArgs.join(' ')}`);
  const env = { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' };
  const result = spawnSync(command, commandArgs, { cwd: root, env, stdio: ['ignore', process.stderr, 'inherit'] });
  if (result.status !== 0) {
    console.error(`selfcheck: '${command} ${commandArgs.join(' ')}' failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

// `npm install`, not `npm ci`: npm 11 writes lock files without other platforms' optional packages and then refuses them in ci.
if (!existsSync(join(root, 'node_modules/.bin/esbuild'))) setUp('node_modules is missing', 'npm', ['install', '--no-audit', '--no-fund']);
if (!args['no-build']) setUp('building', 'npm', ['run', '--silent', 'build']);

const { createEngine, selfCheck } = await import(pathToFileURL(join(root, 'build/dist/index.js')).href);

const formatTolerance = ({ atol, rtol }) =>
  atol === 0 && rtol === 0 ? 'exact' : `atol ${atol.toExponential(1)} + rtol ${rtol.toExponential(1)}`;
const formatError = (error) => (error === 0 ? '0' : Number.isFinite(error) ? error.toExponential(2) : String(error));
const columns = [
  ['kernel', 28, (row) => row.kernel],
  ['shape', 60, (row) => row.shape],
  ['max error', 10, (row) => formatError(row.maxError)],
  ['tolerance', 26, (row) => formatTolerance(row.tolerance)],
  ['ok', 4, (row) => (row.ok ? 'ok' : 'FAIL')],
  ['ms', 9, (row) => (Number.isFinite(row.ms) ? row.ms.toFixed(2) : '-')],
];
const line = (cells) => cells.map((cell, i) => (i >= 2 ? cell.padStart(columns[i][1]) : cell.padEnd(columns[i][1]))).join('  ');

const start = performance.now();
const engine = await createEngine({ backend: args.backend, seed, log: (message) => console.error(message) });
const header = `selfcheck: ${engine.backend} backend: ${engine.description}`;
const out = args.json ? console.error : console.log;
out(header);
out(line(columns.map(([title]) => title)));
out(line(columns.map(([, width]) => '-'.repeat(width))));
let rows;
try {
  rows = await selfCheck(engine, { seed, repeats, onRow: (row) => out(line(columns.map(([, , cell]) => cell(row)))) });
} finally {
  await engine.dispose();
}
const failed = rows.filter((row) => !row.ok);
const seconds = (performance.now() - start) / 1000;

if (args.json) {
  const document = {
    backend: engine.backend,
    description: engine.description,
    seed,
    repeats,
    passed: rows.length - failed.length,
    failed: failed.length,
    seconds,
    rows,
  };
  console.log(JSON.stringify(document, null, 2));
} else {
  for (const row of failed) console.log(`\nFAIL ${row.kernel} (${row.shape}): ${row.error}`);
  console.log(
    `\n${rows.length - failed.length} of ${rows.length} kernel checks passed on ${engine.backend} (${engine.description}) in ${seconds.toFixed(1)} s`,
  );
}
process.exit(failed.length > 0 ? 1 : 0);
