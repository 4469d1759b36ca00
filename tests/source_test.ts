import { describeSource, openFailureMessage, parseSource } from "../src/source.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test("parseSource() normalizes camera indices", () => {
  assertEquals(parseSource("007"), { kind: "camera", spec: "7" });
  assertThrows(() => parseSource(""), RangeError, "empty");
});

Deno.test("openFailureMessage() tells how to list and pick cameras and mentions --source test", () => {
  for (const spec of ["0", "/dev/video3"]) {
    const m = openFailureMessage(parseSource(spec), "no backend could open it");
    assert(m.startsWith(`Cannot open ${spec === "0" ? "camera 0" : "device /dev/video3"}: `), m);
    assert(m.includes("--list-sources"), m);
    assert(m.includes("--source test") && m.includes("/dev/video"), m);
    assert(!m.includes("\n"));
  }
  assert(!openFailureMessage(parseSource("test"), "x").includes("--list-sources"));
});

Deno.test("openFailureMessage() distinguishes a missing file from an unreadable one", () => {
  assertEquals(
    openFailureMessage(parseSource("/no/such/clip.avi"), "x"),
    'Cannot open file "/no/such/clip.avi": no such file',
  );
  const m = openFailureMessage(parseSource(Deno.execPath()), "no backend could open it");
  assert(m.includes("no decoder could read it"), m);
  assertEquals(describeSource(parseSource("none")), "no source");
});
