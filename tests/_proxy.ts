/**
 * Test helper: a TCP proxy between two peers that can record or alter what
 * passes, standing in for an attacker on the path.
 *
 * @module
 */

/** Which way bytes are going. */
export type Direction = "up" | "down";

/** Changes (or records) a chunk; return null to cut the connection. */
export type Tamper = (chunk: Uint8Array, direction: Direction, offset: number) => Uint8Array | null;

/** A proxy from a local port to `target`. */
export class Proxy implements AsyncDisposable {
  readonly port: number;
  readonly captured: { up: Uint8Array[]; down: Uint8Array[] } = { up: [], down: [] };
  #listener: Deno.TcpListener;
  #conns: Deno.TcpConn[] = [];
  #done: Promise<void>;

  constructor(target: number, tamper: Tamper = (c) => c) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#done = (async () => {
      for await (const client of listener) {
        let server: Deno.TcpConn;
        try {
          server = await Deno.connect({ hostname: "127.0.0.1", port: target });
        } catch {
          client.close();
          continue;
        }
        this.#conns.push(client, server);
        this.#pipe(client, server, "up", tamper);
        this.#pipe(server, client, "down", tamper);
      }
    })().catch(() => {});
  }

  async #pipe(from: Deno.TcpConn, to: Deno.TcpConn, dir: Direction, tamper: Tamper): Promise<void> {
    const buf = new Uint8Array(65536);
    let offset = 0;
    try {
      for (let n; (n = await from.read(buf)) !== null;) {
        const chunk = buf.slice(0, n);
        this.captured[dir].push(chunk);
        const out = tamper(chunk, dir, offset);
        offset += n;
        if (out === null) break;
        let off = 0;
        while (off < out.length) off += await to.write(out.subarray(off));
      }
    } catch {
      // A side closed.
    }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }

  /** Everything that went one way, joined. */
  bytes(dir: Direction): Uint8Array {
    const parts = this.captured[dir];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
    return out;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await this.#done;
  }
}

/** Whether `haystack` contains `needle`. */
export function contains(haystack: Uint8Array, needle: number[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
