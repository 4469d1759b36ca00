/**
 * The program's exit statuses and one-line failures, through real processes.
 */

import { VERSION } from "../src/version.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { runPeer } from "./_peer.ts";

function assertOneLine(stderr: string, includes: string): void {
  const lines = stderr.trim().split("\n");
  assert(lines.at(-1)!.startsWith("peercam: ") && lines.at(-1)!.includes(includes), stderr);
  assert(!/^\s+at /m.test(stderr), `stack trace in:\n${stderr}`);
}

Deno.test("main: usage errors exit 2 with one line", async () => {
  for (
    const [args, text] of [
      [["--fps", "x", "-l", "1"], 'Invalid --fps "x"'],
      [[], "Missing --listen or --peer"],
      [["--nope"], 'Unknown option "--nope"'],
    ] as const
  ) {
    const r = await runPeer([...args]);
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertOneLine(r.stderr, text);
  }
});

Deno.test("main: --help and --version print to stdout and exit 0", async () => {
  const help = await runPeer(["--help"]);
  assertEquals(help.code, 0);
  for (
    const flag of [
      "--listen",
      "--peer",
      "--source",
      "--size",
      "--fps",
      "--quality",
      "--no-window",
      "--frames",
      "--duration",
      "--stats",
      "--name",
      "--version",
      "--secret",
      "--new-code",
      "--reconnect-timeout",
      "--no-self-view",
      "--snapshot-dir",
      "--list-sources",
      "Keys in the window:",
    ]
  ) {
    assert(help.stdout.includes(flag), `help lacks ${flag}`);
  }
  const version = await runPeer(["-V"]);
  assertEquals([version.code, version.stdout.trim()], [0, `peercam ${VERSION}`]);
});

Deno.test("main: no display gives one line that suggests --no-window (no Qt abort)", async () => {
  const r = await runPeer(["--listen", "127.0.0.1:0", "--source", "test"], {
    DISPLAY: "",
    WAYLAND_DISPLAY: "",
  });
  assertEquals(r.code, 1, r.stderr);
  assertOneLine(r.stderr, "No display found");
  assertMatch(r.stderr, /--no-window/);
  const gone = await runPeer(["--listen", "127.0.0.1:0", "--source", "test"], { DISPLAY: ":4242" });
  assertEquals(gone.code, 1, gone.stderr);
  assertOneLine(gone.stderr, "No display found");
});

Deno.test("main: a missing camera says how to choose a source and mentions --source test", async () => {
  const r = await runPeer(["--listen", "127.0.0.1:0", "--no-window", "--source", "/dev/video97"]);
  assertEquals(r.code, 1, r.stderr);
  assertOneLine(r.stderr, "Cannot open device /dev/video97: no such camera or it is busy");
  assertMatch(r.stderr, /--source test/);
  const cam = await runPeer(["--listen", "127.0.0.1:0", "--no-window"]);
  assertEquals(cam.code, 1, cam.stderr);
  assertOneLine(cam.stderr, "Cannot open camera 0");
  assertMatch(cam.stderr, /list cameras with --list-sources/);
  const file = await runPeer([
    "--listen",
    "127.0.0.1:0",
    "--no-window",
    "--source",
    "/no/such.mp4",
  ]);
  assertEquals(file.code, 1);
  assertOneLine(file.stderr, 'Cannot open file "/no/such.mp4": no such file');
});

Deno.test("main: --list-sources on a machine without a camera exits 0 with the hint", async () => {
  const cameras = Array.from(Deno.readDirSync("/dev")).filter((e) => /^video\d+$/.test(e.name));
  assertEquals(cameras.map((e) => e.name), [], "this test expects a machine without a camera");
  const r = await runPeer(["--list-sources"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stderr, "");
  assertMatch(r.stdout, /^No cameras found \(no \/dev\/video\* devices\)\n/);
  assertMatch(r.stdout, /--source test/);
});

Deno.test("main: a shim that cannot be loaded says how to build it", async () => {
  const r = await runPeer(["--listen", "127.0.0.1:0", "--no-window", "--source", "test"], {
    PEERCAM_SHIM: "/nonexistent/libpeercam.so",
  });
  assertEquals(r.code, 1, r.stderr);
  assertOneLine(r.stderr, "Cannot load the native shim: tried /nonexistent/libpeercam.so");
  assertMatch(r.stderr, /deno task build:shim/);
});

Deno.test("main: --demo runs two peers headless and shows the stats line", async () => {
  const r = await runPeer(["--demo", "--no-window", "--duration", "2", "--size", "320x240"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /Demo: two peers on 127\.0\.0\.1:\d+/);
  assertMatch(r.stderr, /received [\d.]+ fps/);
  assertMatch(r.stderr, /Demo finished/);
});

Deno.test("main: --stats-file takes the json lines and the summary off stdout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/stats.jsonl`;
    const r = await runPeer([
      "--demo",
      "--no-window",
      "--duration",
      "2",
      "--size",
      "320x240",
      "--stats-file",
      file,
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "", "nothing on stdout");
    const lines = Deno.readTextFileSync(file).trim().split("\n").map((l) => JSON.parse(l));
    assert(lines.some((l) => l.type === "stats"), "the once-a-second lines");
    assertEquals(lines.at(-1).type, "summary");
    assert(lines.at(-1).frames_decoded > 10, JSON.stringify(lines.at(-1)));

    const bad = await runPeer(["--demo", "--no-window", "--stats-file", `${dir}/no/such/x`]);
    assertEquals(bad.code, 1);
    assertMatch(
      bad.stderr,
      /^peercam: Cannot write --stats-file "[^"]+": no such file or directory/m,
    );
    assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
