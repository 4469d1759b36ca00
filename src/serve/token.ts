/**
 * The `--serve` access rule: which addresses need a token, making one,
 * checking one.
 *
 * A bind address is *loopback* when only this machine can reach it:
 * `localhost`, any address in 127.0.0.0/8 and `::1` (also as
 * `::ffff:127.x.x.x`). Every other address — a LAN address, `0.0.0.0`,
 * `::` — needs the token on every URL.
 *
 * @module
 */

/** The characters a `--serve-token` may use: unreserved in URLs, so it never needs escaping. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,128}$/;

/**
 * Whether `hostname` is a loopback address (reachable only from this machine).
 *
 * @example
 * ```ts
 * isLoopback("127.0.0.2"); // true
 * isLoopback("0.0.0.0"); // false
 * ```
 *
 * @param hostname A bind address or host name.
 * @returns True for `localhost`, 127.0.0.0/8 and `::1`.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = host.startsWith("::ffff:") ? host.slice(7) : host;
  const octets = v4.split(".");
  return octets.length === 4 && octets[0] === "127" &&
    octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/**
 * A fresh random token: 128 bits, base64url (22 characters).
 *
 * @returns The token.
 */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * Checks a token given with `--serve-token`.
 *
 * @param token The flag's value.
 * @returns The reason it is refused, or null when it is fine.
 */
export function tokenProblem(token: string): string | null {
  return TOKEN_PATTERN.test(token)
    ? null
    : "use 16 to 128 characters from A-Z, a-z, 0-9 and . _ ~ -";
}

/**
 * Compares a token a client sent with the expected one in time that does
 * not depend on where they differ.
 *
 * @param given What the client sent (null for nothing).
 * @param expected The server's token.
 * @returns Whether they are equal.
 */
export function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}
