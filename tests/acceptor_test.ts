import { delay } from "../src/async.ts";
import { Acceptor, MAX_PENDING } from "../src/net/acceptor.ts";
import { dialPeer, HANDSHAKE_TIMEOUT_MS, listen } from "../src/net/connect.ts";
import { HelloFlag } from "../src/net/protocol.ts";
import { assert, assertEquals } from "./_assert.ts";

const hello = { flags: HelloFlag.VIDEO, name: "t" };

// Resolves when the other side closes `conn` (end of stream or reset).
async function closedByPeer(conn: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(1024);
  try {
    while (await conn.read(buf) !== null); // our hello may come first
  } catch {
    // Reset, or closed here.
  }
}

function count(list: string[], item: string): number {
  return list.filter((x) => x === item).length;
}

Deno.test({
  name:
    "Acceptor greets at most MAX_PENDING connections at once, closes the rest at once, then takes the real peer",
  // The resource sanitizer catches a connection the acceptor never closed.
  sanitizeResources: true,
  sanitizeOps: true,
  async fn() {
    const listener = listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    const rejected: string[] = [];
    const acceptor = new Acceptor(listener, { hello, onRejected: (_, why) => rejected.push(why) });
    const accepting = acceptor.next();
    const memory = (): number => {
      const { heapUsed, external } = Deno.memoryUsage();
      return heapUsed + external;
    };
    const before = memory();

    // 64 silent connections at once.
    const silent = await Promise.all(
      Array.from({ length: 64 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    const closed = silent.map(() => false);
    const watching = silent.map((conn, i) => closedByPeer(conn).then(() => closed[i] = true));
    const t = performance.now();
    while (count(rejected, "too many connections at once") < 64 - MAX_PENDING) {
      assert(performance.now() - t < 2000, `turned away only ${rejected.length} at once`);
      await delay(10);
    }
    await delay(100); // time for the closes to reach this side
    // The greeted ones wait for their hello; every other one is closed now.
    // An acceptor without the bound would hold all 64 here, for 5 s each.
    assertEquals(closed.filter((c) => !c).length, MAX_PENDING, "connections still open");
    // Generous, but a megabyte held for each connection greeted would pass it.
    const grown = memory() - before;
    assert(grown < 16 << 20, `heap and buffers grew by ${grown} bytes`);

    // The real peer is turned away while the acceptor is full, retries, and
    // gets through once the silent ones have had their time.
    const dialed = await dialPeer({ hostname: "127.0.0.1", port }, {
      hello,
      signal: new AbortController().signal,
    });
    const accepted = await accepting;
    assert(dialed && accepted, "the call starts");
    assertEquals(accepted.peer.name, "t");
    const waited = performance.now() - t;
    assert(waited < HANDSHAKE_TIMEOUT_MS + 4000, `the real peer waited ${waited} ms`);
    await Promise.all(watching);
    assertEquals(count(rejected, `No hello within ${HANDSHAKE_TIMEOUT_MS} ms`), MAX_PENDING);

    for (const conn of [...silent, dialed.conn, accepted.conn]) conn.close();
    await acceptor.close();
  },
});

Deno.test({
  name: "Acceptor.close() ends a pending next() with null and stops listening",
  sanitizeResources: true,
  sanitizeOps: true,
  async fn() {
    const listener = listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    const acceptor = new Acceptor(listener, { hello });
    const waiting = acceptor.next();
    await acceptor.close();
    assertEquals(await waiting, null);
    assertEquals(await acceptor.next(), null);
    let refused = false;
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    } catch (error) {
      refused = error instanceof Deno.errors.ConnectionRefused;
    }
    assert(refused, "the port no longer listens");
  },
});
