// Assertions shared by the runtime-neutral test cases: thrown and rejected errors, equality, bit-identical arrays.

type ErrorClass<T extends Error> = abstract new (...args: never[]) => T;

function checkCaught<T extends Error>(caught: unknown, type: ErrorClass<T>, fragments: string[], nothing: string): T {
  if (caught === undefined) throw new Error(`expected ${type.name} with ${JSON.stringify(fragments)}, but ${nothing}`);
  if (!(caught instanceof (type as ErrorClass<Error>))) throw new Error(`expected ${type.name}, got ${String(caught)}`);
  const error = caught as T;
  for (const fragment of fragments) {
    if (!error.message.includes(fragment)) throw new Error(`${type.name} message lacks '${fragment}': ${error.message}`);
  }
  return error;
}

/** Calls `fn`, which must throw `type` with every fragment in its message; returns the error. */
export function expectThrows<T extends Error>(fn: () => unknown, type: ErrorClass<T>, fragments: string[]): T {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  return checkCaught(caught, type, fragments, 'nothing was thrown');
}

/** Awaits `promise`, which must reject with `type` and every fragment in its message; returns the error. */
export async function expectRejects<T extends Error>(promise: Promise<unknown>, type: ErrorClass<T>, fragments: string[]): Promise<T> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  return checkCaught(caught, type, fragments, 'it resolved');
}

export function expectEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${String(actual)}, expected ${String(expected)}`);
}

/** Bit-for-bit equality of float32 arrays. */
export function expectBits(actual: Float32Array, expected: Float32Array, label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${label}[${i}]: ${actual[i]}, expected ${expected[i]} (bit-identical)`);
  }
}
