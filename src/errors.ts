/**
 * Error classes callers catch: each maps to an exit status in `main.ts`.
 *
 * @module
 */

/** A bad command line: exit status 2. */
export class UsageError extends Error {
  /** @param message One line naming the flag and what is wrong. */
  constructor(message: string) {
    super(message);
  }
  override name = "UsageError";
}

/** A peer broke the wire protocol (bad hello, oversized or truncated message). */
export class ProtocolError extends Error {
  /** @param message What was wrong with the bytes received. */
  constructor(message: string) {
    super(message);
  }
  override name = "ProtocolError";
}

/** A runtime failure worth one clear line to the user: exit status 1. */
export class CallError extends Error {
  /**
   * @param message One line saying what failed and, where possible, how to fix it.
   * @param options The underlying error as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
  override name = "CallError";
}

/**
 * The message of anything thrown, for one-line reports: its first line.
 *
 * @param error Anything thrown.
 * @returns The text.
 */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}

/**
 * The reason a file system call failed, without the "(os error N): open
 * '/path'" tail Deno adds (the caller names the path), in lower case.
 *
 * @example
 * ```ts
 * fileErrorReason(new Error("Permission denied (os error 13): open '/x'")); // "permission denied"
 * ```
 *
 * @param error Anything a `Deno` file call threw.
 * @returns The reason, e.g. `no such file or directory`.
 */
export function fileErrorReason(error: unknown): string {
  const text = messageOf(error).replace(/\s*\(os error \d+\).*$/, "");
  return text.charAt(0).toLowerCase() + text.slice(1);
}
