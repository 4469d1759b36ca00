/**
 * Std-style assertions over `node:assert` (JSR's `@std/assert` is out of
 * reach here).
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Asserts that `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Asserts deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts that `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(text, pattern, message);
}

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

function checkError(error: unknown, Class?: ErrorClass, includes?: string): Error {
  if (!(error instanceof Error)) {
    throw new nodeAssert.AssertionError({ message: `Expected an Error, got ${error}` });
  }
  const { name, message } = error;
  if (Class && !(error instanceof Class)) {
    throw new nodeAssert.AssertionError({
      message: `Expected ${Class.name}, got ${name}: ${message}`,
    });
  }
  if (includes !== undefined && !error.message.includes(includes)) {
    throw new nodeAssert.AssertionError({
      message: `Expected the message to include "${includes}", got "${error.message}"`,
    });
  }
  return error;
}

/** Asserts that `fn` throws (an instance of `Class`, with `includes` in its message). */
export function assertThrows(fn: () => unknown, Class?: ErrorClass, includes?: string): Error {
  try {
    fn();
  } catch (error) {
    return checkError(error, Class, includes);
  }
  throw new nodeAssert.AssertionError({ message: "Expected the function to throw" });
}

/** Asserts that `fn`'s promise rejects (as {@linkcode assertThrows}). */
export async function assertRejects(
  fn: () => Promise<unknown>,
  Class?: ErrorClass,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, Class, includes);
  }
  throw new nodeAssert.AssertionError({ message: "Expected the promise to reject" });
}
