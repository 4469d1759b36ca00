/**
 * Picking a port for a listener that something else will open.
 *
 * @module
 */

/**
 * A TCP port on loopback that was free a moment ago: it is found by
 * listening on port 0 and closing the listener, so another process may take
 * it before the caller listens on it (a race inherent in picking a port
 * for someone else). Listen on port 0 directly when the same code opens the
 * listener; use this only to tell a port to another process or task.
 *
 * @example
 * ```ts
 * const port = freePort();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port });
 * ```
 *
 * @returns The port number.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
