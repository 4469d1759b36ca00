/**
 * Secret codes: how two people agree on a call's key by reading a short
 * code aloud or pasting it. A code is 20 characters of Crockford's base32
 * (100 random bits) in groups of four, e.g. `7KQ2-M9XH-4TZR-B8WD-C3NP`.
 *
 * @module
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Characters in a code, not counting the dashes. */
export const CODE_LENGTH = 20;

/** Random bits in a code. */
export const CODE_BITS = CODE_LENGTH * 5;

/**
 * Makes a fresh code from the system's cryptographic random source.
 *
 * @returns A code such as `7KQ2-M9XH-4TZR-B8WD-C3NP`.
 */
export function generateCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CODE_LENGTH));
  // 32 divides 256, so taking each byte modulo 32 is uniform.
  const chars = [...bytes].map((b) => ALPHABET[b % 32]!).join("");
  return chars.match(/.{4}/g)!.join("-");
}

/**
 * Reads a code as typed: case, dashes and spaces do not matter, and the
 * look-alikes O, I and L stand for 0, 1 and 1 (Crockford's rules).
 *
 * @param text The code.
 * @returns The code's canonical form (20 characters, no dashes).
 * @throws {RangeError} When it is not a 20-character code.
 */
export function normalizeCode(text: string): string {
  const chars = text.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  const bad = [...chars].find((c) => !ALPHABET.includes(c));
  if (bad !== undefined) {
    throw new RangeError(`it contains "${bad}", which is not in a peercam code`);
  }
  if (chars.length !== CODE_LENGTH) {
    throw new RangeError(
      `it has ${chars.length} characters, a code has ${CODE_LENGTH} ` +
        "(shorter secrets could be guessed offline): make one with --new-code",
    );
  }
  return chars;
}

/**
 * Writes a canonical code in groups of four for people to read.
 *
 * @param code A code from {@linkcode normalizeCode}.
 * @returns E.g. `7KQ2-M9XH-4TZR-B8WD-C3NP`.
 */
export function formatCode(code: string): string {
  return code.match(/.{1,4}/g)!.join("-");
}
