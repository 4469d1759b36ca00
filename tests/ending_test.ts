import { byeFor, DONE, endForBye } from "../src/call/ending.ts";
import { CallError } from "../src/errors.ts";
import { ByeReason } from "../src/net/protocol.ts";
import { assert, assertEquals } from "./_assert.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test({ name: "endForBye() maps each reason to its end", permissions: "none" }, () => {
  assertEquals(endForBye(ByeReason.DONE, text(""), "Bob"), DONE);
  assertEquals(endForBye(ByeReason.QUIT, text(""), "Bob"), {
    kind: "peer-quit",
    message: '"Bob" ended the call',
  });
  assertEquals(endForBye(99, text(""), null), {
    kind: "peer-quit",
    message: '"the peer" ended the call',
  }, "an unknown reason counts as quitting");
});

Deno.test({
  name: "endForBye() makes an error of the peer's error, without its control characters",
  permissions: "none",
}, () => {
  const end = endForBye(ByeReason.ERROR, text("disk\x1b[2J full\n"), "Bob");
  assert(end instanceof CallError);
  assertEquals(end.message, 'The peer "Bob" ended the call after an error: disk [2J full');
});

Deno.test({ name: "byeFor() says why this side ends", permissions: "none" }, () => {
  assertEquals(byeFor(new CallError("boom")), { reason: ByeReason.ERROR, text: "boom" });
  assertEquals(byeFor(DONE), { reason: ByeReason.DONE, text: "" });
  assertEquals(byeFor({ kind: "quit", message: "x" }), { reason: ByeReason.QUIT, text: "" });
  assertEquals(byeFor(undefined), { reason: ByeReason.QUIT, text: "" });
});
