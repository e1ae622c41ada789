// The `data` namespace: data.load, data.fromFiles (bytes already in hand) plus the format parsers it is built from.
import { fromFiles, load, splitFiles } from './load.js';
import { parseCifar10Batch } from './cifar.js';
import { gunzipIfNeeded, isGzip } from './gzip.js';
import { parseIdx, parseIdxImages, parseIdxLabels } from './idx.js';
import { datasetNames } from './catalog.js';
import { downloadVerified } from './download.js';
import { readTar } from './tar.js';

export const data = {
  load,
  fromFiles,
  splitFiles,
  datasetNames,
  parseIdx,
  parseIdxImages,
  parseIdxLabels,
  parseCifar10Batch,
  gunzipIfNeeded,
  isGzip,
  downloadVerified,
  readTar,
};
