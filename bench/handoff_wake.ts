/**
 * How the main thread learns that a worker finished a call: the cost per
 * round trip, and what each way leaves in V8's old generation (garbage that
 * only a full collection frees, so RSS climbs until one comes).
 *
 * The worker blocks in `Atomics.wait` and answers each request at once; the
 * main thread waits for the answer with `Atomics.waitAsync`, or with an empty
 * message from the worker (what `src/atomic_channel.ts` does). Each way runs
 * in a child process started with `--expose-gc`, so the heap can be measured
 * after a scavenge (young garbage gone, old garbage kept) and after a full
 * collection.
 *
 *     deno run -A bench/handoff_wake.ts [--calls 20000]
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: { calls: { type: "string", default: "20000" }, child: { type: "string" } },
});
const calls = Number(values.calls);

const WORKER = `
self.onmessage = (event) => {
  const { ints, post } = event.data;
  for (;;) {
    let state;
    while ((state = Atomics.load(ints, 0)) !== 1) Atomics.wait(ints, 0, state);
    Atomics.store(ints, 0, 2);
    Atomics.notify(ints, 0);
    if (post) self.postMessage(null);
  }
};`;

interface Result {
  way: string;
  usPerCall: number;
  oldBytesPerCall: number;
  afterFullGcBytesPerCall: number;
}

async function child(way: string): Promise<Result> {
  const gc = (globalThis as unknown as { gc(options?: { type: string }): void }).gc;
  const url = URL.createObjectURL(new Blob([WORKER], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  const ints = new Int32Array(new SharedArrayBuffer(8));
  let wake: (() => void) | undefined;
  worker.onmessage = () => wake?.();
  worker.postMessage({ ints, post: way === "message" });
  const once = async () => {
    const done = way === "message" ? new Promise<void>((r) => wake = r) : undefined;
    Atomics.store(ints, 0, 1);
    Atomics.notify(ints, 0);
    if (done) await done;
    else {
      const wait = Atomics.waitAsync(ints, 0, 1);
      if (wait.async) await wait.value;
    }
    Atomics.store(ints, 0, 0);
  };
  for (let i = 0; i < 1000; i++) await once(); // warm up
  gc();
  gc({ type: "minor" });
  const before = Deno.memoryUsage().heapUsed;
  const start = performance.now();
  for (let i = 0; i < calls; i++) await once();
  const elapsed = performance.now() - start;
  gc({ type: "minor" });
  gc({ type: "minor" });
  const afterScavenge = Deno.memoryUsage().heapUsed;
  gc();
  const afterFull = Deno.memoryUsage().heapUsed;
  worker.terminate();
  return {
    way,
    usPerCall: (elapsed * 1000) / calls,
    oldBytesPerCall: (afterScavenge - before) / calls,
    afterFullGcBytesPerCall: (afterFull - before) / calls,
  };
}

if (values.child) {
  console.log(JSON.stringify(await child(values.child)));
  Deno.exit(0);
}

console.log(`${calls} round trips to a worker, best of 3 runs of each way`);
console.log("way               | µs per call | old-generation bytes per call | after a full GC");
for (const way of ["waitAsync", "message"]) {
  const runs: Result[] = [];
  for (let i = 0; i < 3; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL(import.meta.url).pathname,
        "--child",
        way,
        "--calls",
        String(calls),
      ],
      stderr: "inherit",
    }).output();
    runs.push(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  const best = runs.reduce((a, b) => (b.usPerCall < a.usPerCall ? b : a));
  console.log(
    `${way.padEnd(17)} | ${best.usPerCall.toFixed(1).padStart(11)} | ` +
      `${best.oldBytesPerCall.toFixed(1).padStart(29)} | ` +
      `${best.afterFullGcBytesPerCall.toFixed(1).padStart(15)}`,
  );
}
