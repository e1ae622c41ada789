// Training progress on stderr: epoch, batch/batches, samples/s and ETA, redrawn in place on a terminal, plain lines otherwise.

export interface ProgressSink {
  write(text: string): void;
  /** The stream is a terminal: the line is redrawn in place with a carriage return. */
  interactive: boolean;
  /** Terminal width, when known. */
  columns?: number;
}

const now = (): number => performance.now();

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * One training run's progress. update() after each step; on a terminal it redraws at most ten times a second, otherwise
 * it prints a plain line every `plainEvery` seconds (and at the end of each epoch). ETA covers every remaining epoch.
 */
export class TrainingProgress {
  private started = now();
  private epochStarted = now();
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly epochs: number,
    private readonly batchSize: number,
    private readonly plainEvery = 5,
  ) {}

  startEpoch(): void {
    this.epochStarted = now();
  }

  update(epoch: number, batch: number, batches: number): void {
    const time = now();
    const done = batch + 1;
    const last = done === batches;
    const interval = this.sink.interactive ? 100 : this.plainEvery * 1000;
    if (!last && time - this.lastDraw < interval) return;
    this.lastDraw = time;
    const epochSeconds = (time - this.epochStarted) / 1000;
    const rate = (done * this.batchSize) / Math.max(epochSeconds, 1e-9);
    const stepsLeft = batches - done + (this.epochs - epoch) * batches;
    const eta = (stepsLeft * this.batchSize) / rate;
    const text =
      `epoch ${epoch}/${this.epochs}${this.bar(done / batches)}, batch ${done}/${batches}, ` +
      `${rate.toFixed(0)} samples/s, ETA ${formatDuration(eta)}`;
    if (this.sink.interactive) {
      const width = this.sink.columns ?? 100;
      this.sink.write(`\r${text.slice(0, width - 1).padEnd(width - 1)}`);
      this.drawn = true;
    } else {
      this.sink.write(`${text}\n`);
    }
  }

  /** A line that should stay (e.g. an epoch's summary): clears the redrawn line first. */
  log(line: string): void {
    this.clear();
    this.sink.write(`${line}\n`);
  }

  /** Removes the redrawn line, if any. */
  clear(): void {
    if (this.drawn) {
      const width = this.sink.columns ?? 100;
      this.sink.write(`\r${' '.repeat(width - 1)}\r`);
      this.drawn = false;
    }
  }

  get seconds(): number {
    return (now() - this.started) / 1000;
  }

  private bar(fraction: number): string {
    if (!this.sink.interactive) return '';
    // a leading space separates it from the epoch
    const width = 20;
    const filled = Math.round(fraction * width);
    return ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  }
}
