// The error data loaders and file parsers throw: names the file, what was expected and what was found.
import { EngineError } from '../errors.js';

/** A data file is missing, malformed or inconsistent with its companion file. */
export class DataError extends EngineError {
  override name = 'DataError';
  constructor(
    /** The file (path, URL or caller-given label) the problem is in; '' when no single file is at fault. */
    readonly file: string,
    message: string,
  ) {
    super(file ? `${file}: ${message}` : message);
  }
}

/** No place searched holds a split's files (data.load then tries the download cache). */
export class FilesNotFoundError extends DataError {
  override name = 'DataError';
}
