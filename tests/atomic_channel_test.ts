import { CLOSE_TIMEOUT_MS } from "../src/async.ts";
import { ShimError } from "../ffi/error.ts";
import { delay, withTimeout } from "../src/async.ts";
import { addressOf, AtomicChannel, channelMemory } from "../src/atomic_channel.ts";
import { CallError } from "../src/errors.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

// See tests/workers/_atomic_worker.ts for what each operation does.
const ADD = 1, FILL = 2, RANGE_ERROR = 3, SHIM_ERROR = 4, SLEEP = 5, STRING = 6;
const EMPTY_CALL_ERROR = 7, LONG_ERROR = 8, STOP = 0;

interface Started {
  worker: Worker;
  channel: AtomicChannel;
  /** When the channel terminated the worker, if it has. */
  terminated(): number | undefined;
}

function start(broken = false): Started {
  const worker = new Worker(new URL("./workers/_atomic_worker.ts", import.meta.url), {
    type: "module",
  });
  let terminated: number | undefined;
  const terminate = worker.terminate.bind(worker);
  worker.terminate = () => {
    terminated ??= performance.now();
    terminate();
  };
  const memory = channelMemory();
  const channel = new AtomicChannel(worker, memory, "test");
  worker.postMessage(broken ? null : memory);
  return { worker, channel, terminated: () => terminated };
}

async function terminated(started: Started): Promise<number> {
  const deadline = performance.now() + CLOSE_TIMEOUT_MS + 2000;
  while (started.terminated() === undefined && performance.now() < deadline) await delay(5);
  const t = started.terminated();
  assert(t !== undefined, "the worker was terminated");
  return t;
}

Deno.test("AtomicChannel calls run in the worker, with arguments and results in shared memory", async () => {
  const { worker, channel } = start();
  try {
    for (let i = 0; i < 100; i++) {
      channel.int(0, i);
      channel.int(1, 1000);
      await channel.call(ADD);
      assertEquals(channel.int(2), i + 1000);
    }
    // The worker writes straight into a buffer this thread owns.
    const buffer = new Uint8Array(4096);
    channel.float(0, addressOf(buffer.subarray(1024)));
    channel.int(0, 16);
    channel.int(1, 7);
    await channel.call(FILL);
    assertEquals([buffer[1023], buffer[1024], buffer[1039], buffer[1040]], [0, 7, 7, 0]);
  } finally {
    await channel.call(STOP);
    worker.terminate();
  }
});

Deno.test("AtomicChannel.call() throws what the operation threw, of the same class", async () => {
  const { worker, channel } = start();
  try {
    // A channel that turned every failure into one class would fail here:
    // the receiver counts a ShimError as a bad frame and ends the call on others.
    await assertRejects(() => channel.call(RANGE_ERROR), RangeError, "deliberate failure");
    await assertRejects(() => channel.call(SHIM_ERROR), ShimError, "Cannot decode frame");
    const thrown = await assertRejects(() => channel.call(STRING), Error, "a string");
    assertEquals(thrown.constructor, Error);
    // An empty message still fails the call (not taken for success).
    const empty = await assertRejects(() => channel.call(EMPTY_CALL_ERROR), CallError);
    assertEquals(empty.message, "");
    // A long message is cut to fit, at a character boundary.
    const long = await assertRejects(() => channel.call(LONG_ERROR), Error);
    assert(
      /^é{400,}$/.test(long.message),
      `${long.message.length} characters, ending in a whole é`,
    );
    // The channel goes on after failures.
    channel.int(0, 1);
    channel.int(1, 2);
    await channel.call(ADD);
    assertEquals(channel.int(2), 3);
  } finally {
    await channel.call(STOP);
    worker.terminate();
  }
});

Deno.test("AtomicChannel.call() runs one call at a time", async () => {
  const { worker, channel } = start();
  try {
    channel.int(0, 50);
    const slow = channel.call(SLEEP);
    await assertRejects(() => channel.call(ADD), CallError, "The test worker is busy");
    await slow;
    channel.int(0, 1);
    channel.int(1, 2);
    await channel.call(ADD);
    assertEquals(channel.int(2), 3);
  } finally {
    await channel.call(STOP);
    worker.terminate();
  }
});

Deno.test("AtomicChannel: a worker that dies fails the call waiting on it and every later one", async () => {
  const { worker, channel } = start(true); // the worker throws instead of serving
  try {
    await assertRejects(() => channel.call(ADD), CallError, "The test worker failed");
    await assertRejects(() => channel.call(ADD), CallError, "The test worker failed");
  } finally {
    worker.terminate();
  }
});

Deno.test("AtomicChannel.close() lets the call in flight finish, runs the closing operation, ends the worker", async () => {
  const started = start();
  const { channel } = started;
  channel.int(0, 100);
  const slow = channel.call(SLEEP);
  const t = performance.now();
  channel.close(STOP, slow);
  channel.close(STOP, slow); // a second close does nothing
  assertEquals(await withTimeout(slow, 5000), undefined, "the call in flight finished");
  assertEquals(started.terminated(), undefined, "not terminated while a call is in flight");
  const end = await terminated(started);
  // The closing operation ran (it sets int(2) to 99) before the worker was
  // terminated, well before the timeout would have stopped it.
  assertEquals(channel.int(2), 99);
  assert(end - t < CLOSE_TIMEOUT_MS / 2, `terminated after ${end - t} ms`);
  await assertRejects(() => channel.call(ADD), CallError, "The test worker is closed");
});

Deno.test("AtomicChannel.close() stops a worker stuck in a call after CLOSE_TIMEOUT_MS", async () => {
  const started = start();
  const { channel } = started;
  channel.int(0, 60_000);
  const stuck = channel.call(SLEEP);
  const t = performance.now();
  channel.close(STOP, stuck);
  await assertRejects(() => stuck, CallError, "The test worker is closed");
  const end = await terminated(started);
  assert(end - t >= CLOSE_TIMEOUT_MS - 50, `terminated after ${end - t} ms`);
  await assertRejects(() => channel.call(ADD), CallError, "The test worker is closed");
});
