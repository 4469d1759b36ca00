import { addressOf, AtomicChannel, channelMemory } from "../src/atomic_channel.ts";
import { CallError } from "../src/errors.ts";
import { assertEquals, assertRejects } from "./_assert.ts";

function start(broken = false): { worker: Worker; channel: AtomicChannel } {
  const worker = new Worker(new URL("./workers/_atomic_worker.ts", import.meta.url), {
    type: "module",
  });
  const memory = channelMemory();
  const channel = new AtomicChannel(worker, memory, "test");
  worker.postMessage(broken ? null : memory);
  return { worker, channel };
}

Deno.test("AtomicChannel calls run in the worker, with arguments and results in shared memory", async () => {
  const { worker, channel } = start();
  try {
    for (let i = 0; i < 100; i++) {
      channel.int(0, i);
      channel.int(1, 1000);
      assertEquals(await channel.call(1), undefined);
      assertEquals(channel.int(2), i + 1000);
    }
    // The worker writes straight into a buffer this thread owns.
    const buffer = new Uint8Array(4096);
    channel.float(0, addressOf(buffer.subarray(1024)));
    channel.int(0, 16);
    channel.int(1, 7);
    await channel.call(2);
    assertEquals([buffer[1023], buffer[1024], buffer[1039], buffer[1040]], [0, 7, 7, 0]);
  } finally {
    await channel.call(0);
    worker.terminate();
  }
});

Deno.test("AtomicChannel: an operation that throws returns its message; one call at a time", async () => {
  const { worker, channel } = start();
  try {
    assertEquals(await channel.call(3), "deliberate failure");
    const slow = channel.call(5); // 50 ms in the worker
    await assertRejects(() => channel.call(1), CallError, "The test worker is busy");
    assertEquals(await slow, undefined);
    channel.int(0, 1);
    channel.int(1, 2);
    assertEquals(await channel.call(1), undefined);
    assertEquals(channel.int(2), 3);
  } finally {
    await channel.call(0);
    worker.terminate();
  }
});

Deno.test("AtomicChannel: a worker that dies fails the call waiting on it and every later one", async () => {
  const { worker, channel } = start(true); // the worker throws instead of serving
  try {
    await assertRejects(() => channel.call(1), CallError, "The test worker failed");
    await assertRejects(() => channel.call(1), CallError, "The test worker failed");
  } finally {
    worker.terminate();
  }
});
