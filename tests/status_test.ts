import {
  dialRetryText,
  dualMismatchText,
  inCallText,
  notBackText,
  reconnectedText,
  reconnectingText,
  securityNotice,
  sourceModeText,
  waitingText,
} from "../src/call/status.ts";
import { formatCode, generateCode, normalizeCode } from "../src/net/secret.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";

Deno.test({
  name: "securityNotice() warns about an open call, naming the port anyone can join",
  permissions: "none",
}, () => {
  const open = securityNotice({ newCode: false, listenPort: 2000 })!;
  assertMatch(open, /not encrypted/);
  assertMatch(open, /port 2000 can join/);
  assertEquals(
    /can join/.test(securityNotice({ newCode: false })!),
    false,
    "a dialler has no port",
  );
});

Deno.test({
  name: "securityNotice() shows a code made now, and nothing for a given one",
  permissions: "none",
}, () => {
  const code = normalizeCode(generateCode());
  const made = securityNotice({ code, newCode: true })!;
  assert(made.includes(`Secret code for this call: ${formatCode(code)} `), made);
  assert(made.includes(`--secret ${formatCode(code)},`), made);
  assertEquals(securityNotice({ code, newCode: false }), null);
});

Deno.test({ name: "waitingText() says what this side waits for", permissions: "none" }, () => {
  const where = { address: "0.0.0.0:2000", port: 2000 };
  assertEquals(waitingText(where, "h:1"), "Listening on 0.0.0.0:2000 and calling h:1");
  assertMatch(waitingText(where, undefined), /--peer THIS-HOST:2000/);
  assertEquals(waitingText(undefined, "h:1"), "Calling h:1");
});

Deno.test(
  { name: "dialRetryText() counts seconds after the first attempt", permissions: "none" },
  () => {
    assertMatch(dialRetryText("h:1", "connection refused", 1, 0), /retrying until it answers/);
    assertMatch(dialRetryText("h:1", "connection refused", 7, 12.4), /12 s so far/);
  },
);

Deno.test({
  name: "inCallText() names the peer, the security and what is sent",
  permissions: "none",
}, () => {
  const line = inCallText({
    peerName: "Bob",
    remote: "127.0.0.1:5",
    secure: true,
    sending: "the test pattern",
    window: true,
  });
  assertMatch(line, /^In a call with "Bob" at 127\.0\.0\.1:5, encrypted, sending the test pattern/);
  assertMatch(line, /press q in the window/);
  const watching = inCallText({
    peerName: "Bob",
    remote: "x",
    secure: false,
    sending: null,
    window: false,
  });
  assertMatch(watching, /not encrypted \(watching only\); Ctrl-C to end$/);
});

Deno.test({
  name: "reconnection texts give the reason, the timeout and the time away",
  permissions: "none",
}, () => {
  assertEquals(
    reconnectingText("h:1: connection reset", 60),
    "Lost the connection to the peer (h:1: connection reset); reconnecting for up to 60 s",
  );
  assertEquals(
    reconnectedText("Bob", 2345, true),
    'Reconnected to "Bob" after 2.3 s, encrypted with fresh keys',
  );
  assertEquals(reconnectedText("Bob", 100, false), 'Reconnected to "Bob" after 0.1 s');
  assertMatch(notBackText(5, "gone"), /within 5 s \(--reconnect-timeout\): gone$/);
});

Deno.test({ name: "dualMismatchText() tells each side how to start", permissions: "none" }, () => {
  assertMatch(dualMismatchText("h:1", true), /only one of --listen\/--peer, this side with both/);
  assertMatch(dualMismatchText("h:1", false), /both --listen and --peer, this side with one/);
});

Deno.test({
  name: "sourceModeText() explains passthrough and transcoding only",
  permissions: "none",
}, () => {
  assertMatch(sourceModeText("passthrough", 80)!, /as they are/);
  assertMatch(sourceModeText("transcode", 55)!, /quality 55/);
  assert(sourceModeText("encode", 80) === null);
});
