import { DEFAULTS, type Options, parseCommandLine } from "../src/cli.ts";
import { HELP } from "../src/help.ts";
import { UsageError } from "../src/errors.ts";
import { keyHelpLines, KEYS } from "../src/view/keys.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "./_assert.ts";

function call(...args: string[]): Options {
  const command = parseCommandLine(args, { user: "ann", hostname: "box" });
  if (command.kind !== "call") throw new Error(`expected a call, got ${command.kind}`);
  return command.options;
}

function usage(args: string[], includes: string): void {
  assertThrows(() => parseCommandLine(args), UsageError, includes);
}

Deno.test("parseCommandLine() applies the documented defaults", () => {
  const o = call("--listen", "2000");
  assertEquals(o.listen, { hostname: "0.0.0.0", port: 2000 });
  assertEquals(o.peer, undefined);
  assertEquals(o.source, { kind: "camera", spec: "0" });
  assertEquals([o.width, o.height, o.fps, o.quality], [640, 480, DEFAULTS.fps, DEFAULTS.quality]);
  assertEquals([o.window, o.frames, o.duration, o.stats], [true, undefined, undefined, undefined]);
  assertEquals(o.name, "ann@box");
  assertEquals(o.passthrough, true);
  assertEquals([o.selfView, o.snapshotDir], [true, "."]);
  assertEquals(DEFAULTS.snapshotDir, ".");
  // Rate control is on by default, balanced, with no cap of the user's.
  assertEquals([o.adapt, o.degrade, o.maxKbps], [true, "balanced", null]);
});

// Catches a parser that ignores the new flags, inverts --no-adapt, accepts
// any --degrade word, or gets the --max-kbps bounds off by one.
Deno.test("parseCommandLine() reads --no-adapt, --degrade and --max-kbps", () => {
  const fixed = call("-l", "1", "--no-adapt");
  assertEquals([fixed.adapt, fixed.maxKbps], [false, null]);
  for (const degrade of ["balanced", "resolution", "framerate"] as const) {
    const o = call("-l", "1", "--degrade", degrade);
    assertEquals([o.adapt, o.degrade], [true, degrade]);
  }
  assertEquals(call("-l", "1", "--degrade=framerate").degrade, "framerate");
  assertEquals(call("-l", "1", "--max-kbps", "64").maxKbps, 64, "the lowest cap");
  assertEquals(call("-l", "1", "--max-kbps", "10000000").maxKbps, 10_000_000, "the highest");
  assertEquals(call("-l", "1", "--max-kbps=2500").maxKbps, 2500);
  const both = call("-l", "1", "--max-kbps", "800", "--degrade", "resolution", "-q", "70");
  assertEquals([both.adapt, both.maxKbps, both.degrade, both.quality], [
    true,
    800,
    "resolution",
    70,
  ]);
});

Deno.test("parseCommandLine() reads every flag, long and short", () => {
  const o = call(
    "-l",
    "127.0.0.1:2000",
    "-p",
    "peer.example:2001",
    "-s",
    "test",
    "--size",
    "1280x720",
    "--fps",
    "0",
    "-q",
    "55",
    "--no-window",
    "--frames",
    "150",
    "--duration",
    "2.5",
    "--stats",
    "json",
    "--name",
    "Bob",
    "--no-self-view",
    "--snapshot-dir",
    "/tmp/shots",
    "--hud",
    "off",
  );
  assertEquals(o.listen, { hostname: "127.0.0.1", port: 2000 });
  assertEquals(o.peer, { hostname: "peer.example", port: 2001 });
  assertEquals(o.source, { kind: "test", spec: "" });
  assertEquals([o.width, o.height, o.fps, o.quality], [1280, 720, 0, 55]);
  assertEquals([o.window, o.frames, o.duration, o.stats, o.name], [false, 150, 2.5, "json", "Bob"]);
  assertEquals(o.passthrough, false, "--quality asks for re-encoding");
  assertEquals([o.selfView, o.snapshotDir, o.hud], [false, "/tmp/shots", "off"]);
  assertEquals(call("-l", "1").hud, "auto", "the HUD shows by itself by default");
  assertEquals(call("-l", "1", "--hud=on").hud, "on");
  const withFile = call("-l", "1", "--view", "terminal", "--stats-file", "s.jsonl");
  assertEquals([withFile.stats, withFile.statsFile], ["json", "s.jsonl"], "implies --stats json");
  assertEquals(call("-l", "1", "--snapshot-dir=rel/dir").snapshotDir, "rel/dir");
  assertEquals(call("--listen=[::1]:9", "--peer", "[fe80::1]:80").peer, {
    hostname: "fe80::1",
    port: 80,
  });
  assertEquals(call("--listen", "[::1]:9").listen, { hostname: "::1", port: 9 });
});

Deno.test("parseCommandLine() takes --stats with or without a value", () => {
  assertEquals(call("-l", "1", "--stats").stats, "text");
  assertEquals(call("-l", "1", "--stats", "--no-window").stats, "text");
  assertEquals(call("-l", "1", "--stats", "text").stats, "text");
  assertEquals(call("-l", "1", "--stats=json").stats, "json");
  assertEquals(call("--stats", "-l", "1").stats, "text");
});

Deno.test("parseCommandLine() classifies --source values", () => {
  assertEquals(call("-l", "1", "-s", "2").source, { kind: "camera", spec: "2" });
  assertEquals(call("-l", "1", "-s", "/dev/video3").source, {
    kind: "device",
    spec: "/dev/video3",
  });
  assertEquals(call("-l", "1", "-s", "clip.mp4").source, { kind: "file", spec: "clip.mp4" });
  assertEquals(call("-l", "1", "-s", "rtsp://cam/stream").source, {
    kind: "url",
    spec: "rtsp://cam/stream",
  });
  const pipeline = "videotestsrc ! videoconvert ! appsink";
  assertEquals(call("-l", "1", "-s", pipeline).source, { kind: "gstreamer", spec: pipeline });
  assertEquals(call("-l", "1", "-s", "none").source, { kind: "none" });
});

Deno.test("parseCommandLine() returns help, version, list-sources and demo commands", () => {
  assertEquals(parseCommandLine(["-h"]).kind, "help");
  assertEquals(parseCommandLine(["-V"]).kind, "version");
  assertEquals(parseCommandLine(["--list-sources"]).kind, "list-sources");
  assertEquals(parseCommandLine(["--list-sources", "-l", "1", "-s", "test"]).kind, "list-sources");
  assertEquals(parseCommandLine(["--list-sources", "-h"]).kind, "help");
  const demo = parseCommandLine(["--demo", "--no-window"]);
  assertEquals(demo.kind, "demo");
  if (demo.kind === "demo") assertEquals(demo.options.source, { kind: "test", spec: "" });
});

Deno.test("parseCommandLine() reports each usage error in one line", () => {
  const cases: Array<[string[], string]> = [
    [[], "Missing --listen or --peer"],
    [["--bogus"], 'Unknown option "--bogus"'],
    [["-x"], 'Unknown option "-x"'],
    [["-l", "1", "extra"], 'Unexpected argument "extra"'],
    [["--listen"], "Missing value for --listen"],
    [["--listen", "99999"], 'Invalid --listen "99999": port must be 0 to 65535'],
    [["--listen", "abc"], 'Invalid --listen "abc"'],
    [["--listen", ":5"], "host is empty"],
    [["--peer", "2001"], 'Invalid --peer "2001": expected HOST:PORT'],
    [["--peer", "host:0"], "port must be 1 to 65535"],
    [["--peer", "::1:80"], "write IPv6 addresses as [ADDR]:PORT"],
    [["-l", "1", "--size", "640"], 'Invalid --size "640": expected WxH'],
    [["-l", "1", "--size", "8x8"], "each side must be 16 to 8192"],
    [["-l", "1", "--size", "8192x8192"], "at most"],
    [["-l", "1", "--fps", "-1"], 'Missing value for --fps (for a value starting with "-"'],
    [["-l", "1", "--fps=-1"], 'Invalid --fps "-1"'],
    [["-l", "1", "--fps", "fast"], 'Invalid --fps "fast"'],
    [["-l", "1", "-q", "0"], 'Invalid --quality "0": expected a whole number from 1 to 100'],
    [["-l", "1", "-q", "101"], "Invalid --quality"],
    [["-l", "1", "-q", "7.5"], "Invalid --quality"],
    [["-l", "1", "--frames", "0"], "Invalid --frames"],
    [["-l", "1", "--frames", "1e3"], "Invalid --frames"],
    [["-l", "1", "--duration", "0"], "Invalid --duration"],
    [["-l", "1", "--duration", "soon"], "Invalid --duration"],
    [["-l", "1", "--stats", "xml"], 'Unexpected argument "xml"'],
    [["-l", "1", "--stats=xml"], 'Invalid --stats "xml"'],
    [["-l", "1", "--name", ""], "Invalid --name: it is empty"],
    [["-l", "1", "--name", "a\u0007b"], "control characters"],
    [["-l", "1", "--name", "é".repeat(33)], "at most 64 bytes"],
    [["-l", "1", "--source", " "], 'Invalid --source " ": it is empty'],
    [["-l", "1", "--no-window=yes"], "--no-window takes no value"],
    [["-l", "1", "--no-self-view=no"], "--no-self-view takes no value"],
    [["-l", "1", "--snapshot-dir"], "Missing value for --snapshot-dir"],
    [["-l", "1", "--snapshot-dir", ""], "Invalid --snapshot-dir: it is empty"],
    [
      ["-l", "1", "--snapshot-dir", "a\nb"],
      "Invalid --snapshot-dir: it contains control characters",
    ],
    [["--list-sources=yes"], "--list-sources takes no value"],
    [["-l", "1", "--hud", "always"], 'Invalid --hud "always": expected auto, on or off'],
    [["-l", "1", "--stats", "text", "--stats-file", "s.jsonl"], "--stats-file writes json lines"],
    [["-l", "1", "--stats-file", ""], "Invalid --stats-file: it is empty"],
    [["-l", "1", "--view", "terminal", "--stats", "json"], "use --stats-file FILE"],
    [["--demo", "-l", "1"], "--demo makes its own connection"],
    [["-l", "1", "--degrade", "quality"], 'Invalid --degrade "quality"'],
    [["-l", "1", "--degrade", ""], 'Invalid --degrade ""'],
    [["-l", "1", "--degrade"], "Missing value for --degrade"],
    [["-l", "1", "--max-kbps", "63"], 'Invalid --max-kbps "63": expected a number from 64'],
    [["-l", "1", "--max-kbps", "10000001"], 'Invalid --max-kbps "10000001"'],
    [["-l", "1", "--max-kbps", "fast"], 'Invalid --max-kbps "fast"'],
    [["-l", "1", "--max-kbps", "0"], 'Invalid --max-kbps "0"'],
    [["-l", "1", "--max-kbps", "1e4"], 'Invalid --max-kbps "1e4"'],
    [["-l", "1", "--max-kbps"], "Missing value for --max-kbps"],
    [["-l", "1", "--no-adapt=yes"], "--no-adapt takes no value"],
    [["-l", "1", "--no-adapt", "--max-kbps", "500"], "--max-kbps needs the rate control"],
    [["-l", "1", "--max-kbps", "500", "--no-adapt"], "drop one of them"],
    [["-l", "1", "--no-adapt", "--degrade", "balanced"], "--degrade chooses how the rate"],
    [["-l", "1", "--degrade", "framerate", "--no-adapt"], "drop --no-adapt"],
  ];
  for (const [args, includes] of cases) usage(args, includes);
});

Deno.test("parseCommandLine() reads --secret, PEERCAM_SECRET and --secret new", () => {
  const code = "7kq2 m9xh 4tzr b8wd c3np";
  assertEquals(call("-l", "1", "--secret", code).code, "7KQ2M9XH4TZRB8WDC3NP");
  const fromEnv = parseCommandLine(["-p", "h:1"], { secret: "7KQ2-M9XH-4TZR-B8WD-C3NP" });
  assertEquals(fromEnv.kind === "call" && fromEnv.options.code, "7KQ2M9XH4TZRB8WDC3NP");
  const flagWins = parseCommandLine(["-p", "h:1", "--secret", code], { secret: "junk" });
  assertEquals(flagWins.kind === "call" && flagWins.options.code, "7KQ2M9XH4TZRB8WDC3NP");
  const fresh = call("-l", "1", "--secret", "new");
  assertEquals([fresh.code?.length, fresh.newCode], [20, true]);
  assertEquals(call("-l", "1").code, undefined);
  assertEquals(parseCommandLine(["--new-code"]).kind, "new-code");
});

Deno.test("parseCommandLine() refuses weak or malformed codes", () => {
  usage(["-l", "1", "--secret", "hunter2"], 'Invalid --secret: it contains "U"');
  usage(["-l", "1", "--secret", "ABCD"], "Invalid --secret: it has 4 characters, a code has 20");
  usage(["-p", "h:1", "--secret", "new"], "--secret new needs --listen");
  assertThrows(
    () => parseCommandLine(["-l", "1"], { secret: "short" }),
    UsageError,
    "Invalid PEERCAM_SECRET",
  );
});

Deno.test("HELP lists the window flags with their defaults", () => {
  const line = (flag: string): string => HELP.split("\n").find((l) => l.includes(flag)) ?? "";
  assertMatch(line("--no-self-view"), /default: shown/);
  assertMatch(HELP, /--no-self-view[^]*your own\s+video, mirrored, in the bottom-right corner/);
  assertMatch(HELP, /--no-self-view[^]*\(p toggles it, x the mirror\)/);
  assertMatch(line("--snapshot-dir DIR"), /where s saves the peer's frame as a JPEG/);
  assertMatch(HELP, /--snapshot-dir DIR[^\n]*\n[^\n]*\(default "\.", the current directory\)/);
  assertMatch(line("--list-sources"), /list the cameras/);
  assertMatch(line("--hud auto|on|off"), /the HUD/);
  assertMatch(HELP, /--hud auto\|on\|off[^]*\(default auto\); i shows or hides it/);
  assertMatch(line("--no-adapt"), /fixed quality, size and frame rate/);
  assertMatch(line("--max-kbps N"), /send at most N kbit\/s/);
  assertMatch(HELP, /--degrade balanced\|resolution\|framerate\n[^\n]*balanced \(default\)/);
});

Deno.test("HELP's keys block is the key table", () => {
  const lines = HELP.split("\n");
  const start = lines.indexOf("Keys in the window:");
  assert(start > 0, "no keys block");
  assertEquals(
    lines.slice(start + 1, start + 1 + KEYS.length),
    keyHelpLines().map((l) => `  ${l}`),
  );
  assert(!HELP.includes("In the window: q, Esc or Enter"), "the old hard-coded line is gone");
  for (const label of KEYS.flatMap((b) => b.keys)) assert(HELP.includes(label), label);
});
