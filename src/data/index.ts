// The `data` namespace: data.load plus the format parsers it is built from.
import { load } from './load.js';
import { parseCifar10Batch } from './cifar.js';
import { gunzipIfNeeded, isGzip } from './gzip.js';
import { parseIdx, parseIdxImages, parseIdxLabels } from './idx.js';
import { datasetNames } from './catalog.js';
import { downloadVerified } from './download.js';
import { readTar } from './tar.js';

export const data = {
  load,
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
