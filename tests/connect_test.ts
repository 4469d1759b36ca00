import { Acceptor } from "../src/net/acceptor.ts";
import { delay } from "../src/async.ts";
import { dialPeer, formatAddress, handshake, listen } from "../src/net/connect.ts";
import { CallError, ProtocolError } from "../src/errors.ts";
import { HelloFlag } from "../src/net/protocol.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { freePort } from "./_tools.ts";

const hello = { flags: HelloFlag.VIDEO, name: "t" };

Deno.test("formatAddress() brackets IPv6 hosts", () => {
  assertEquals(formatAddress({ hostname: "::1", port: 5 }), "[::1]:5");
  assertEquals(formatAddress({ hostname: "h", port: 5 }), "h:5");
});

Deno.test("listen() explains a busy port", () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  try {
    assertThrows(
      () => listen({ hostname: "127.0.0.1", port }),
      CallError,
      `Cannot listen on 127.0.0.1:${port}: port ${port} is already in use`,
    );
  } finally {
    busy.close();
  }
});

Deno.test("dialPeer() retries until the peer listens, then greets it", async () => {
  const port = freePort();
  const reasons: string[] = [];
  const dialing = dialPeer({ hostname: "127.0.0.1", port }, {
    hello,
    signal: new AbortController().signal,
    onRetry: (reason) => reasons.push(reason),
  });
  await delay(600);
  const acceptor = new Acceptor(listen({ hostname: "127.0.0.1", port }), { hello });
  const [dialed, accepted] = await Promise.all([dialing, acceptor.next()]);
  await acceptor.close();
  assert(dialed && accepted);
  assert(reasons.length >= 1 && reasons[0] === "connection refused", reasons.join());
  assertEquals([dialed.peer.name, accepted.peer.flags], ["t", HelloFlag.VIDEO]);
  dialed.conn.close();
  accepted.conn.close();
});

Deno.test("dialPeer() stops when aborted", async () => {
  const abort = new AbortController();
  const dialing = dialPeer({ hostname: "127.0.0.1", port: freePort() }, {
    hello,
    signal: abort.signal,
  });
  await delay(300);
  abort.abort();
  assertEquals(await dialing, null);
});

Deno.test("handshake() gives up on a peer that sends nothing", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const silent = Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const conn = await listener.accept();
  const client = await silent;
  await assertRejects(
    () => handshake(conn, hello, "acceptor", 200),
    ProtocolError,
    "No hello within 200 ms",
  );
  client.close();
  listener.close();
});

Deno.test("Acceptor turns away garbage and silence without blocking the real peer", async () => {
  const listener = listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const rejected: string[] = [];
  const acceptor = new Acceptor(listener, { hello, onRejected: (_, why) => rejected.push(why) });
  const accepting = acceptor.next();
  const silent = await Deno.connect({ hostname: "127.0.0.1", port });
  const junk = await Deno.connect({ hostname: "127.0.0.1", port });
  await junk.write(new Uint8Array(64).fill(0x41));
  const dialed = await dialPeer({ hostname: "127.0.0.1", port }, {
    hello,
    signal: new AbortController().signal,
  });
  const accepted = await accepting;
  assert(dialed && accepted, "the real peer got through while a silent one waited");
  while (!rejected.some((r) => r.includes("wrong magic"))) await delay(20);
  // During the call, another caller is told the call is busy, quickly.
  const t = performance.now();
  await assertRejects(
    () =>
      dialPeer({ hostname: "127.0.0.1", port }, { hello, signal: new AbortController().signal }),
    CallError,
    "the call was refused: the peer is already in a call",
  );
  assert(performance.now() - t < 1000);
  assert(rejected.includes("a call is already in progress"));
  for (const c of [silent, junk, dialed.conn, accepted.conn]) c.close();
  await acceptor.close();
  assertEquals(await acceptor.next(), null);
});
