// Worker threads over shared WebAssembly memory: the main thread and each worker run one share of a kernel.
import { detectRuntime } from '../../platform/runtime.js';
import { importRuntimeModule } from '../../platform/runtime-import.js';

/** Layout of the control block in shared memory (int32 slots, then float64 arguments). */
const GENERATION = 0;
const FUNCTION = 1;
const ARG_COUNT = 2;
const THREADS = 3;
const DONE = 4;
const FAILED = 5;
const SHUTDOWN = -1;
const ARGS_OFFSET = 64;
const MAX_ARGS = 32;
export const CONTROL_BYTES = ARGS_OFFSET + MAX_ARGS * 8;
/** Polls of the done counter before the caller sleeps: shares usually finish within microseconds of each other. */
const SPIN_BEFORE_WAIT = 20000;

/** The worker's program, shipped as source so it needs no separate file in any runtime. */
function workerMain(): void {
  type Port = { on(event: 'message', fn: (data: unknown) => void): void; postMessage(message: unknown): void };
  const scope = globalThis as unknown as {
    require?: (id: string) => { parentPort: Port };
    postMessage(message: unknown): void;
    onmessage: ((event: { data: unknown }) => void) | null;
  };
  const nodePort = typeof scope.require === 'function' ? scope.require('node:worker_threads').parentPort : undefined;
  const post = (message: unknown): void => (nodePort ? nodePort.postMessage(message) : scope.postMessage(message));
  const start = async (data: unknown): Promise<void> => {
    const { module, memory, control, tid, names } = data as {
      module: WebAssembly.Module;
      memory: WebAssembly.Memory;
      control: number;
      tid: number;
      names: string[];
    };
    const instance = await WebAssembly.instantiate(module, {
      env: {
        memory,
        abort: () => {
          throw new Error('abort');
        },
      },
    });
    const fns = names.map((name) => instance.exports[name] as (...args: number[]) => void);
    const i32 = new Int32Array(memory.buffer, control, 16);
    const f64 = new Float64Array(memory.buffer, control + 64, 32);
    // Read the generation before saying ready: the first job may bump it as soon as the pool hears from every worker.
    let generation = Atomics.load(i32, 0);
    post('ready');
    for (;;) {
      // Kernels come in bursts (a layer, a training step): spin briefly before sleeping, since a futex wake costs tens of µs.
      for (let spin = 0; spin < 20000 && Atomics.load(i32, 0) === generation; spin++);
      // A wake-up is no proof of a new job: when the caller is descheduled between publishing job N and notifying, this
      // worker can see job N while spinning, run it, go to sleep, and only then receive job N's notify. Running job N
      // again would race with the caller's next kernels and count twice towards `done`, ending the next job early.
      while (Atomics.load(i32, 0) === generation) Atomics.wait(i32, 0, generation);
      generation = Atomics.load(i32, 0);
      const fn = Atomics.load(i32, 1);
      if (fn === -1) return;
      const threads = i32[3];
      if (tid < threads) {
        const args: number[] = [];
        for (let i = 0; i < i32[2]; i++) args.push(f64[i]);
        try {
          fns[fn](...args, tid, threads);
        } catch {
          Atomics.store(i32, 5, 1);
        }
      }
      Atomics.add(i32, 4, 1);
      Atomics.notify(i32, 4);
    }
  };
  if (nodePort) nodePort.on('message', (data) => void start(data));
  else scope.onmessage = (event) => void start(event.data);
}

interface WorkerHandle {
  terminate(): unknown;
}

export class ThreadPool {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly canBlock: boolean;

  private constructor(
    memory: WebAssembly.Memory,
    control: number,
    private readonly workers: WorkerHandle[],
    private readonly fnIndex: Map<string, number>,
  ) {
    this.i32 = new Int32Array(memory.buffer, control, 16);
    this.f64 = new Float64Array(memory.buffer, control + ARGS_OFFSET, MAX_ARGS);
    this.canBlock = blockingWaitAllowed(this.i32);
  }

  /** Starts `workers` workers that instantiate `module` over the shared `memory`. */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    control: number,
    workers: number,
    names: string[],
  ): Promise<ThreadPool> {
    const source = `(${workerMain.toString()})()`;
    const handles: WorkerHandle[] = [];
    const ready: Promise<void>[] = [];
    for (let tid = 1; tid <= workers; tid++) {
      const init = { module, memory, control, tid, names };
      if (detectRuntime() === 'node') {
        const { Worker } = await importRuntimeModule('node:worker_threads');
        const worker = new Worker(source, { eval: true });
        // Unref only once the worker is ready: until then it is the only thing keeping an `await createEngine()` alive.
        ready.push(
          new Promise((resolve, reject) => {
            worker.once('message', () => (worker.unref(), resolve()));
            worker.once('error', reject);
          }),
        );
        worker.postMessage(init);
        handles.push(worker);
      } else {
        const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
        const worker = new Worker(url, { type: 'module' });
        ready.push(
          new Promise((resolve, reject) => {
            worker.onmessage = () => resolve();
            worker.onerror = (event) => reject(new Error(`wasm worker ${tid} failed to start: ${event.message}`));
          }),
        );
        worker.postMessage(init);
        handles.push(worker);
      }
    }
    await Promise.all(ready);
    return new ThreadPool(memory, control, handles, new Map(names.map((name, i) => [name, i])));
  }

  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs `fn(...args, tid, threads)` on `threads` threads (the caller is thread 0) and returns when all are done. */
  run(fn: (...args: number[]) => void, name: string, args: number[], threads: number): void {
    const index = this.fnIndex.get(name);
    if (index === undefined) throw new Error(`wasm: no export '${name}' registered with the thread pool`);
    const { i32, f64 } = this;
    for (let i = 0; i < args.length; i++) f64[i] = args[i];
    i32[FUNCTION] = index;
    i32[ARG_COUNT] = args.length;
    i32[THREADS] = threads;
    Atomics.store(i32, DONE, 0);
    Atomics.store(i32, FAILED, 0);
    Atomics.add(i32, GENERATION, 1);
    Atomics.notify(i32, GENERATION);
    let failure: unknown;
    try {
      fn(...args, 0, threads);
    } catch (error) {
      failure = error;
    }
    const expected = this.workers.length;
    let spins = 0;
    for (let done = Atomics.load(i32, DONE); done < expected; done = Atomics.load(i32, DONE)) {
      if (this.canBlock && ++spins > SPIN_BEFORE_WAIT) Atomics.wait(i32, DONE, done);
    }
    if (failure) throw failure;
    if (Atomics.load(i32, FAILED)) throw new Error(`wasm kernel '${name}' trapped in a worker thread`);
  }

  /**
   * Wakes the sleeping workers without publishing a job, as a notify that arrives after the job it announced does;
   * returns how many it woke. Tests use it to check that such a wake-up makes no worker run its last job again.
   */
  wakeIdle(): number {
    return Atomics.notify(this.i32, GENERATION);
  }

  terminate(): void {
    Atomics.store(this.i32, FUNCTION, SHUTDOWN);
    Atomics.add(this.i32, GENERATION, 1);
    Atomics.notify(this.i32, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }
}

/** Atomics.wait throws on a browser's main thread; there the caller spins instead. */
function blockingWaitAllowed(i32: Int32Array): boolean {
  try {
    Atomics.wait(i32, DONE, -12345, 0);
    return true;
  } catch {
    return false;
  }
}
