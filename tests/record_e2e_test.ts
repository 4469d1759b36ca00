/**
 * Recording a real call between two peercam processes, read back with the
 * real ffprobe and ffmpeg: `--record` from the call's start, the bytes the
 * peer sent, a recorder killed with SIGKILL, `r` in the window under Xvfb,
 * a path that cannot be written, and a disk that fills (a small tmpfs).
 */

import type { StatsLine } from "../src/stats.ts";
import { windowTitle } from "../src/view/call_window.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { LinkEmulator } from "./_link_emulator.ts";
import { decodeErrors, extractPackets, frameSizes, packetTimes, probe } from "./_mkv.ts";
import { listening, Peer, runPeer } from "./_peer.ts";
import { clipFrames, freePort, makeClip, median, run } from "./_tools.ts";
import { Xvfb } from "./_x11.ts";

const W = 320, H = 240;

/** A directory with a 2 s MJPEG clip (sent unchanged, in passthrough) and its frames. */
async function withClip(): Promise<{ dir: string; clip: string; frames: Set<string> }> {
  const dir = await Deno.makeTempDir();
  const clip = `${dir}/clip.avi`;
  await makeClip(clip, W, H, 50);
  await Deno.mkdir(`${dir}/clip-frames`);
  return { dir, clip, frames: await clipFrames(clip, `${dir}/clip-frames`) };
}

/** The status lines a peer wrote, without the `peercam: ` prefix. */
function statusLines(peer: Peer): string[] {
  return peer.stderr.split("\n").filter((l) => l.startsWith("peercam: ")).map((l) => l.slice(9));
}

Deno.test("--record: a 5 s call in Matroska, the peer's JPEGs as sent and yours, at their times", async () => {
  const { dir, clip, frames } = await withClip();
  const path = `${dir}/call.mkv`;
  const port = freePort();
  const alice = await listening(port, [
    "--no-window",
    "--source",
    "test",
    "--size",
    "480x360",
    "--duration",
    "5",
    "--stats",
    "json",
    "--record",
    path,
  ]);
  const bob = new Peer([
    "--peer",
    `127.0.0.1:${port}`,
    "--no-window",
    "--source",
    clip,
    "--size",
    `${W}x${H}`,
    "--duration",
    "5",
  ]);
  assertEquals([await alice.exit(), await bob.exit()], [0, 0], alice.stderr + bob.stderr);
  const summary = alice.summary();
  const lines = statusLines(alice);
  assertEquals(lines[0], `Recording to ${path}`, "claimed at start");
  assert(lines.some((l) => l.startsWith(`Saved the recording ${path} (`)), alice.stderr);

  const info = await probe(path);
  assertEquals(info.format, "matroska,webm");
  assertEquals(info.streams.map((s) => [s.codec, s.width, s.height]), [
    ["mjpeg", W, H], // track 1: the peer
    ["mjpeg", 480, 360], // track 2: what Alice sent
  ]);
  const [peer, own] = info.streams;
  assert(
    Math.abs(peer!.packets - summary.frames_decoded) <= 3,
    `${peer!.packets} packets for ${summary.frames_decoded} frames decoded`,
  );
  // Track 2 is every frame captured for sending; a few were replaced in
  // the sending slot by a newer one before they went out.
  assert(
    own!.packets >= summary.frames_sent - 3 &&
      own!.packets <= summary.frames_sent + summary.dropped_sending + 3,
    `${own!.packets} packets for ${summary.frames_sent} frames sent`,
  );
  assert(peer!.packets > 60, `${peer!.packets} packets`);
  assert(
    Math.abs(info.duration - summary.duration_s) <= 0.1 * summary.duration_s,
    `file ${info.duration} s, call ${summary.duration_s} s`,
  );
  // Real timing: the peer's frames spaced as it captured them, not as a burst or a fixed rate.
  const times = await packetTimes(path, 0);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const expected = (times.at(-1)! - times[0]!) / (times.length - 1);
  assert(Math.abs(median(gaps) - expected) < 0.3 * expected, `median gap ${median(gaps)} s`);
  assert(gaps.every((g) => g > 0), "rising times");
  assertEquals(await decodeErrors(path), "");
  // The bytes: every packet of track 1 is a frame of Bob's clip, unchanged.
  await Deno.mkdir(`${dir}/out`);
  const packets = await extractPackets(path, 0, `${dir}/out`);
  assertEquals(packets.length, peer!.packets);
  const foreign = packets.filter((p) => !frames.has(p.join(","))).length;
  assertEquals(foreign, 0, "packets that are not byte for byte a frame Bob sent");
  await Deno.remove(dir, { recursive: true });
});

// Catches: the frames a sender shrinks for a slow link recorded at their
// own size (the tracks would change size mid-file; ffmpeg, seeking into the
// stretch of half-size frames, pairs them into 320x480 "fields" and loses
// half), or left out of the file (the counts).
Deno.test("--record through a link that slows mid-call: every frame of both tracks at the call's size", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/call.mkv`;
  const port = freePort();
  const common = ["--no-window", "--source", "test", "--size", "640x480", "--stats", "json"];
  const alice = await listening(port, [...common, "--record", path]);
  const open = { kbps: null, delayMs: 10, queueBytes: 64 * 1024 };
  const link = LinkEmulator.start({ target: { hostname: "127.0.0.1", port }, up: open });
  const bob = new Peer(["--peer", link.address, ...common]);
  try {
    await bob.waitFor("In a call", 20000);
    await new Promise((r) => setTimeout(r, 3000));
    link.shape("both", { kbps: 600 }); // both sides drop to smaller frames
    await new Promise((r) => setTimeout(r, 7000));
    link.shape("both", { kbps: null }); // and come back to 640x480
    await new Promise((r) => setTimeout(r, 4000));
  } finally {
    bob.child.kill("SIGINT");
    alice.child.kill("SIGINT");
  }
  assertEquals([await alice.exit(), await bob.exit()], [0, 0], alice.stderr + bob.stderr);
  await link.close();
  const sent = (peer: Peer) =>
    peer.json().filter((l): l is StatsLine => l.type === "stats").map((l) => l.send_width);
  // Both sides did send smaller frames for a while, and full-size ones again.
  for (const peer of [alice, bob]) {
    const widths = sent(peer);
    assert(widths.some((w) => w !== null && w < 640), `sizes sent: ${widths}`);
    assertEquals(widths.at(-1), 640, `sizes sent: ${widths}`);
  }

  const info = await probe(path);
  assertEquals(info.streams.map((s) => [s.width, s.height]), [[640, 480], [640, 480]]);
  for (const [stream, { packets }] of info.streams.entries()) {
    assert(packets > 100, `stream ${stream}: ${packets} packets`);
    const sizes = await frameSizes(path, stream);
    assertEquals(sizes.length, packets, `stream ${stream}: a picture per packet`);
    assertEquals(sizes.filter((s) => s !== "640x480"), [], `stream ${stream}`);
  }
  assertEquals(await decodeErrors(path), "");
  // A player seeking anywhere, into the slow stretch too, decodes cleanly.
  for (let t = 1; t < info.duration; t++) {
    assertEquals(await decodeErrors(path, t), "", `at ${t} s`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--record: a recorder killed with SIGKILL leaves a file that reads up to the kill", async () => {
  const { dir, clip, frames } = await withClip();
  const path = `${dir}/killed.mkv`;
  const port = freePort();
  const alice = await listening(port, [
    "--no-window",
    "--source",
    "none",
    "--record",
    path,
    "--record-peer-only",
  ]);
  const bob = new Peer([
    "--peer",
    `127.0.0.1:${port}`,
    "--no-window",
    "--source",
    clip,
    "--size",
    `${W}x${H}`,
  ]);
  await alice.waitFor("In a call");
  const started = performance.now();
  await new Promise((r) => setTimeout(r, 2500));
  alice.child.kill("SIGKILL");
  const recordedS = (performance.now() - started) / 1000;
  await alice.child.status;
  bob.child.kill("SIGTERM");
  await bob.exit();

  const info = await probe(path);
  assertEquals(info.streams.map((s) => [s.codec, s.width, s.height]), [["mjpeg", W, H]]);
  const times = await packetTimes(path, 0);
  // Frames up to the last moments before the kill, not only a first cluster.
  assert(times.at(-1)! >= recordedS - 0.6, `last frame at ${times.at(-1)} s of ${recordedS} s`);
  assert(times.length >= 20 * (recordedS - 0.6), `${times.length} frames in ${recordedS} s`);
  assertEquals(await decodeErrors(path), "");
  await Deno.mkdir(`${dir}/out`);
  const packets = await extractPackets(path, 0, `${dir}/out`);
  assertEquals(packets.filter((p) => !frames.has(p.join(","))).length, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("r in the window stops the recording and starts a new file, never overwriting one", async () => {
  await using x = await Xvfb.start();
  const dir = await Deno.makeTempDir();
  const base = `${dir}/call.mkv`;
  await Deno.writeTextFile(base, "an older recording");
  const port = freePort();
  const size = ["--size", `${W}x${H}`];
  // Alice records with --record, from the start; Bob has no window.
  const alice = new Peer(
    ["--listen", `127.0.0.1:${port}`, "--name", "Alice", "--source", "test", ...size].concat(
      ["--record", base],
    ),
    x.env(),
  );
  await alice.waitFor("Waiting for the peer");
  const bob = new Peer([
    "--peer",
    `127.0.0.1:${port}`,
    "--name",
    "Bob",
    "--no-window",
    "--source",
    "test",
    ...size,
  ]);
  const window = await x.waitForWindow(windowTitle("Bob", false));
  await alice.waitFor("In a call");
  assert(alice.stderr.includes(`Recording to ${dir}/call-2.mkv`), "call.mkv exists: not reused");
  await new Promise((r) => setTimeout(r, 1000));
  await x.key(window, "r");
  await alice.waitFor(`Saved the recording ${dir}/call-2.mkv`);
  await x.key(window, "r");
  await alice.waitFor(`Recording to ${dir}/call-3.mkv`);
  await new Promise((r) => setTimeout(r, 1000));
  await x.key(window, "q");
  assertEquals([await alice.exit(), await bob.exit()], [0, 0], alice.stderr);
  assertEquals(await Deno.readTextFile(base), "an older recording");
  for (const name of ["call-2.mkv", "call-3.mkv"]) {
    const info = await probe(`${dir}/${name}`);
    assertEquals(info.streams.map((s) => [s.width, s.height]), [[W, H], [W, H]], name);
    assert(info.streams.every((s) => s.packets > 10), `${name}: ${JSON.stringify(info)}`);
    assertEquals(await decodeErrors(`${dir}/${name}`), "", name);
  }
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "call-2.mkv",
    "call-3.mkv",
    "call.mkv",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--record to a path that cannot be written fails at start in one line, exit 1", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/missing/call.mkv`;
  const { code, stderr } = await runPeer([
    "--listen",
    `127.0.0.1:${freePort()}`,
    "--no-window",
    "--source",
    "test",
    "--record",
    path,
  ]);
  assertEquals(code, 1);
  assertEquals(stderr.trim(), `peercam: Cannot record to "${path}": no such directory`);
  await Deno.remove(dir, { recursive: true });
});

const root = Deno.uid() === 0;
if (!root) console.log("record_e2e_test: skipping the full-disk test: mounting a tmpfs needs root");

Deno.test({
  name: "--record on a disk that fills: the recording stops with a status line, the call goes on",
  ignore: !root,
  async fn() {
    const dir = await Deno.makeTempDir();
    const disk = `${dir}/disk`;
    await Deno.mkdir(disk);
    await run("mount", ["-t", "tmpfs", "-o", "size=200k", "tmpfs", disk]);
    try {
      const path = `${disk}/call.mkv`;
      const port = freePort();
      const limits = ["--duration", "3", "--no-window", "--source", "test", "--size", "640x480"];
      const alice = await listening(port, [...limits, "--stats", "json", "--record", path]);
      const bob = new Peer(["--peer", `127.0.0.1:${port}`, ...limits]);
      assertEquals([await alice.exit(), await bob.exit()], [0, 0], alice.stderr);
      const stopped = statusLines(alice).find((l) => l.startsWith("Recording stopped"));
      assertMatch(
        stopped ?? alice.stderr,
        /^Recording stopped: cannot write the recording: No space left on device \(\/.*\/call\.mkv keeps what was written; the call goes on\)$/,
      );
      const summary = alice.summary();
      assertEquals(summary.end, "done");
      assert(summary.frames_decoded > 60, `${summary.frames_decoded} frames after the disk filled`);
      const info = await probe(path);
      assert(info.streams.some((s) => s.packets > 0), JSON.stringify(info));
      assertEquals(await decodeErrors(path), "");
    } finally {
      await run("umount", [disk]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
