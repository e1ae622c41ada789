// The `playground` namespace: live training runs with emergence metrics (what the playground page runs), their settings,
// and the server that hosts the page.
import { run, playgroundModel } from './session.js';
import { buildDataIndex } from './data-index.js';
import { emptyHistory, recordEvent } from './history.js';
import { serve } from './server.js';
import { writeStaticSite } from './static-site.js';
import { defaultSettings, resolveSettings, settingsFromQuery, settingsToQuery } from './settings.js';

export const playground = {
  run,
  model: playgroundModel,
  defaultSettings,
  resolveSettings,
  settingsFromQuery,
  settingsToQuery,
  /** An empty history, and one event added to it: for pages and scripts that gather a run's events themselves. */
  emptyHistory,
  recordEvent,
  /** Node and Deno: the page's HTTP server with the local data sets (what `emergence serve` runs). */
  serve,
  /** Node and Deno: the page and data as static files. */
  writeStaticSite,
  /** Node and Deno: the data sets found on this machine, as data/index.json lists them. */
  dataIndex: buildDataIndex,
};
