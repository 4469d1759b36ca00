import { CallError } from "../src/errors.ts";
import { WorkerChannel } from "../src/worker_channel.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

type Req = { op: string; n?: number; buffer?: ArrayBuffer };
type Rep = { op: string; n?: number };
const ECHO = new URL("./workers/_echo_worker.ts", import.meta.url);

// The echoed number, or undefined for a failed reply.
const n = (reply: { op: string }) => (reply as Rep).n;

Deno.test("WorkerChannel answers requests in order, even when later ones finish sooner", async () => {
  const channel = new WorkerChannel<Req, Rep>(ECHO, "echo");
  try {
    const replies = await Promise.all([1, 2, 3, 4].map((n) => channel.request({ op: "echo", n })));
    assertEquals(replies.map(n), [1, 2, 3, 4]);
  } finally {
    channel.close({ op: "close" });
  }
});

Deno.test("WorkerChannel: a handler that throws replies failed, handing back the lent buffer", async () => {
  const channel = new WorkerChannel<Req, Rep>(ECHO, "echo");
  try {
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const reply = await channel.request({ op: "fail", buffer }, [buffer]);
    assert(buffer.detached, "the buffer went to the worker");
    assertEquals(reply.op, "failed");
    const failed = reply as { op: "failed"; message: string; buffer?: ArrayBuffer };
    assertEquals(failed.message, "deliberate failure");
    assertEquals([...new Uint8Array(failed.buffer!)], [1, 2, 3]);
    assert(!(channel.unexpected(reply) instanceof CallError));
    const call = channel.unexpected(await channel.request({ op: "throw-call" }));
    assert(call instanceof CallError && call.message === "a call error in the worker");
    // The worker still serves after failures.
    assertEquals(n(await channel.request({ op: "echo", n: 5 })), 5);
  } finally {
    channel.close({ op: "close" });
  }
});

Deno.test("WorkerChannel: a worker that dies fails the waiting request and every later one", async () => {
  const channel = new WorkerChannel<Req, Rep>(ECHO, "echo");
  const waiting = channel.request({ op: "die" });
  await assertRejects(() => waiting, CallError, "The echo worker failed: Uncaught Error: uncaught");
  await assertRejects(() => channel.request({ op: "echo", n: 1 }), CallError, "worker failed");
  channel.close({ op: "close" });
});

Deno.test("WorkerChannel.close() lets the request in flight finish, then refuses new ones", async () => {
  const channel = new WorkerChannel<Req, Rep>(ECHO, "echo");
  const inFlight = channel.request({ op: "echo", n: 1 });
  channel.close({ op: "close" });
  assertEquals(n(await inFlight), 1);
  await assertRejects(() => channel.request({ op: "echo", n: 2 }), CallError, "is closed");
  channel.close({ op: "close" }); // idempotent
});
