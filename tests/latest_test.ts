import { Latest } from "../src/latest.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test("Latest.take() returns the newest item and counts the ones it replaced", async () => {
  const box = new Latest([{ v: 0 }, { v: 0 }, { v: 0 }]);
  for (const v of [1, 2, 3, 4]) {
    const item = box.acquire();
    item.v = v;
    box.publish(item);
  }
  const got = await box.take();
  assertEquals(got, { v: 4 });
  assertEquals(box.dropped, 3);
  box.release(got!);
});

Deno.test("Latest hands a waiting consumer the next item without dropping", async () => {
  const box = new Latest([1, 2, 3]);
  const waiting = box.take();
  box.publish(box.acquire());
  assert(await waiting !== undefined);
  assertEquals(box.dropped, 0);
});

Deno.test("Latest never runs out of buffers with one producer and one consumer", async () => {
  const box = new Latest([{ v: 0 }, { v: 0 }, { v: 0 }]);
  let held = await (async () => {
    box.publish(box.acquire());
    return (await box.take())!;
  })();
  for (let i = 0; i < 100; i++) {
    const item = box.acquire(); // the consumer still holds one
    item.v = i;
    box.publish(item);
    if (i % 7 === 0) {
      box.release(held);
      held = (await box.take())!;
      assertEquals(held.v, i);
    }
  }
  box.release(held);
});

Deno.test("Latest.close() wakes the consumer with undefined and recycles later items", async () => {
  const box = new Latest(["a", "b", "c"]);
  const waiting = box.take();
  box.close();
  assertEquals(await waiting, undefined);
  box.publish(box.acquire());
  assertEquals(await box.take(), undefined);
  box.acquire();
  box.acquire();
  box.acquire();
  assertThrows(() => box.acquire(), Error, "all are in use");
});

Deno.test("Latest.idle() resolves when the consumer takes the item, or after maxWaitMs", async () => {
  const box = new Latest([1, 2, 3]);
  await box.idle(); // empty: at once
  box.publish(box.acquire());
  let idle = false;
  const waiting = box.idle().then(() => idle = true);
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(idle, false);
  box.release((await box.take())!);
  await waiting;
  box.publish(box.acquire());
  const t = performance.now();
  await box.idle(30);
  assert(performance.now() - t >= 25, "waited for the timeout");
});
