// A worker for tests/worker_channel_test.ts: echoes, fails on request, and
// dies outright on request.
import { endWorker, reply, serve } from "../../src/worker_channel.ts";
import { CallError } from "../../src/errors.ts";

type Request =
  | { op: "echo"; n: number; buffer?: ArrayBuffer }
  | { op: "fail"; buffer: ArrayBuffer }
  | { op: "throw-call" }
  | { op: "die" }
  | { op: "close" };

serve<Request>(async (request) => {
  switch (request.op) {
    case "echo":
      await new Promise((r) => setTimeout(r, (5 - request.n) * 2)); // later ones are quicker
      return reply({ op: "echoed", n: request.n });
    case "fail":
      throw new Error("deliberate failure");
    case "throw-call":
      throw new CallError("a call error in the worker");
    case "die":
      setTimeout(() => {
        throw new Error("uncaught in the worker");
      });
      return;
    case "close":
      reply({ op: "closed" });
      endWorker();
  }
}, (request) => request.op === "fail" ? request.buffer : undefined);
