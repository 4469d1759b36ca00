import { delay, TIMED_OUT, Wakeup, withTimeout } from "../src/async.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

// With the op sanitizer on (it is off by default), a test that ends with a
// timer pending fails: so does a helper here that forgets clearTimeout.
function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, fn, sanitizeOps: true, permissions: "none" });
}

test("withTimeout() returns the promise's value and clears its timer", async () => {
  assertEquals(await withTimeout(Promise.resolve(7), 60_000), 7);
  // A value that arrives later, but in time.
  const late = new Promise<string>((resolve) => setTimeout(() => resolve("late"), 20));
  assertEquals(await withTimeout(late, 60_000), "late");
});

test("withTimeout() returns TIMED_OUT when the promise is late, without waiting for it", async () => {
  let settle: (value: number) => void = () => {};
  const never = new Promise<number>((resolve) => settle = resolve);
  const t = performance.now();
  assertEquals(await withTimeout(never, 30), TIMED_OUT);
  const waited = performance.now() - t;
  assert(waited >= 25 && waited < 1000, `waited ${waited} ms`);
  settle(1); // settling afterwards changes nothing
  assertEquals(await withTimeout(Promise.resolve(2), 0), 2, "a settled promise wins a 0 ms race");
});

test("withTimeout() passes a rejection through and clears its timer", async () => {
  await assertRejects(
    () => withTimeout(Promise.reject(new RangeError("out of range")), 60_000),
    RangeError,
    "out of range",
  );
});

test("delay() resolves after the time given", async () => {
  const t = performance.now();
  await delay(30);
  assert(performance.now() - t >= 25);
});

test("delay() resolves early when its signal aborts, and at once if it has", async () => {
  const abort = new AbortController();
  const t = performance.now();
  const waiting = delay(60_000, abort.signal); // its timer must be cleared on abort
  setTimeout(() => abort.abort(), 20);
  await waiting;
  assert(performance.now() - t < 1000, "did not wait for the timer");
  const u = performance.now();
  await delay(60_000, abort.signal);
  assert(performance.now() - u < 1000, "an aborted signal does not wait");
});

test("delay() removes its abort listener when the time is up", async () => {
  // The producer waits on the call's signal once a frame: a listener left
  // behind by each delay would grow with the length of the call.
  const signal = new AbortController().signal;
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<typeof add>) => {
    listeners++;
    add(...args);
  };
  signal.removeEventListener = (...args: Parameters<typeof remove>) => {
    listeners--;
    remove(...args);
  };
  for (let i = 0; i < 5; i++) await delay(1, signal);
  assertEquals(listeners, 0);
});

Deno.test({
  name: "Wakeup.wait() resolves on wake(), and a wake with nobody waiting is kept",
  permissions: "none",
}, async () => {
  const w = new Wakeup();
  let woke = false;
  const waiting = w.wait().then(() => woke = true);
  await Promise.resolve();
  assertEquals(woke, false, "no wake yet");
  w.wake();
  await waiting;
  assertEquals(woke, true);
  // Woken between a check and the wait: the wait returns at once.
  w.wake();
  await w.wait();
  // But only once: two wakes are one.
  w.wake();
  w.wake();
  await w.wait();
  let again = false;
  w.wait().then(() => again = true);
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(again, false);
  w.wake();
});
