/**
 * The recording's parts on their own: file names, the JPEG size reader,
 * the native Matroska writer read back with the real ffprobe and ffmpeg,
 * and the worker's bounded hand-off.
 */

import { type Frame, MkvRecorder, ShimError } from "../ffi/mod.ts";
import { parseCommandLine } from "../src/cli.ts";
import { CallError, UsageError } from "../src/errors.ts";
import { fitRect } from "../src/record/fit_frame.ts";
import { jpegSize } from "../src/record/jpeg_size.ts";
import { claimRecordingPath, recordingName } from "../src/record/naming.ts";
import { FrameRing } from "../src/record/frame_ring.ts";
import { Recorder } from "../src/record/recorder.ts";
import { Recording } from "../src/record/recording.ts";
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "./_assert.ts";
import {
  decodeErrors,
  extractPackets,
  frameSizes,
  greyFrames,
  packetTimes,
  probe,
} from "./_mkv.ts";
import { psnr, run } from "./_tools.ts";

/** JPEG frames made by ffmpeg: `count` moving frames of `w`x`h`. */
async function jpegs(
  dir: string,
  w: number,
  h: number,
  count: number,
): Promise<Uint8Array<ArrayBuffer>[]> {
  await Deno.mkdir(`${dir}/src-${w}x${h}`);
  await run("ffmpeg", [
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${w}x${h}:rate=25`,
    "-frames:v",
    String(count),
    "-q:v",
    "5",
    "-f",
    "image2",
    `${dir}/src-${w}x${h}/%03d.jpg`,
  ]);
  return [...Deno.readDirSync(`${dir}/src-${w}x${h}`)].map((e) => e.name).sort().map((n) =>
    Deno.readFileSync(`${dir}/src-${w}x${h}/${n}`)
  );
}

Deno.test({
  name: "recordingName() numbers later files before the extension",
  permissions: "none",
  fn() {
    assertEquals(recordingName("call.mkv", 1), "call.mkv");
    assertEquals(recordingName("call.mkv", 2), "call-2.mkv");
    assertEquals(recordingName("/a.b/call.v1.mkv", 12), "/a.b/call.v1-12.mkv");
    assertEquals(recordingName("/a.b/call", 3), "/a.b/call-3");
    assertEquals(recordingName("/a.b/.mkv", 2), "/a.b/.mkv-2");
  },
});

Deno.test("claimRecordingPath() never reuses an existing file, and says why a path cannot be written", async () => {
  const dir = await Deno.makeTempDir();
  const base = `${dir}/call.mkv`;
  await Deno.writeTextFile(base, "someone else's");
  await Deno.writeTextFile(`${dir}/call-3.mkv`, "and this");
  assertEquals(await claimRecordingPath(base), { path: `${dir}/call-2.mkv`, n: 2 });
  assertEquals(await claimRecordingPath(base, 3), { path: `${dir}/call-4.mkv`, n: 4 });
  assertEquals(await Deno.readTextFile(base), "someone else's");
  assertEquals(await Deno.readTextFile(`${dir}/call-3.mkv`), "and this");
  assertEquals((await Deno.stat(`${dir}/call-2.mkv`)).size, 0);

  const missing = await assertRejects(() => claimRecordingPath(`${dir}/no/x.mkv`), CallError);
  assertEquals(missing.message, `Cannot record to "${dir}/no/x.mkv": no such directory`);
  const underFile = await assertRejects(() => claimRecordingPath(`${base}/x.mkv`), CallError);
  assertMatch(underFile.message, /^Cannot record to ".*\/call\.mkv\/x\.mkv": not a directory$/);
  // chmod does not stop root; sysfs refuses new files to everyone.
  const sys = await assertRejects(() => claimRecordingPath("/sys/call.mkv"), CallError);
  assertMatch(sys.message, /^Cannot record to "\/sys\/call\.mkv": [a-z][^\n]*[a-z]$/);
  await Deno.mkdir(`${dir}/d.mkv`);
  assertEquals(
    (await claimRecordingPath(`${dir}/d.mkv`)).path,
    `${dir}/d-2.mkv`,
    "a directory is taken",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "parseCommandLine() takes --record FILE.mkv and --record-peer-only, and refuses other names",
  permissions: "none",
  fn() {
    const call = (...a: string[]) => {
      const c = parseCommandLine(["-l", "1", ...a]);
      if (c.kind !== "call") throw new Error(c.kind);
      return c.options;
    };
    assertEquals([call().record, call().recordPeerOnly], [undefined, false]);
    const o = call("--record", "out/Call.MKV", "--record-peer-only");
    assertEquals([o.record, o.recordPeerOnly], ["out/Call.MKV", true]);
    const bad = assertThrows(() => call("--record", "call.avi"), UsageError);
    assertEquals(bad.message, 'Invalid --record "call.avi": expected a file name ending in .mkv');
    assertThrows(() => call("--record", "dir.mkv/"), UsageError);
    assertThrows(() => call("--record", "a\nb.mkv"), UsageError, "control characters");
  },
});

Deno.test("jpegSize() reads the size from real JPEGs and refuses what is not one", async () => {
  const dir = await Deno.makeTempDir();
  const [wide] = await jpegs(dir, 320, 240, 1);
  const [tall] = await jpegs(dir, 48, 96, 1);
  assertEquals(jpegSize(wide!), [320, 240]);
  assertEquals(jpegSize(tall!), [48, 96]);
  assertEquals(jpegSize(wide!.subarray(0, 20)), null, "cut before the frame header");
  assertEquals(jpegSize(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2])), null, "scan first");
  assertEquals(jpegSize(new TextEncoder().encode("not a jpeg at all")), null);
  assertEquals(jpegSize(new Uint8Array(0)), null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("MkvRecorder writes the JPEGs unchanged with their times, two tracks, frames of changing size", async () => {
  const dir = await Deno.makeTempDir();
  const small = await jpegs(dir, 160, 120, 6);
  const large = await jpegs(dir, 320, 240, 4);
  // A colon in the name: a file, not an FFmpeg protocol.
  const path = `${dir}/a:b.mkv`;
  // Irregular times (variable frame rate), stamps too close or going back
  // (moved 2 ms after the one before) and the size changing mid-track.
  const peer = [0, 40, 95, 100, 250, 251];
  const own = [10, 43_000, 43_033, 43_090];
  {
    using rec = MkvRecorder.open(path, { sizes: [[160, 120], [320, 240]] });
    small.forEach((jpeg, i) => rec.writeSync(0, i === 5 ? large[0]! : jpeg, peer[i]! * 1000));
    rec.writeSync(0, small[0]!, 200_000); // earlier than 251 ms
    large.forEach((jpeg, i) => rec.writeSync(1, jpeg, own[i]! * 1000));
    rec.finishSync();
    assertThrows(() => rec.writeSync(0, small[0]!, 300_000), ShimError, "closed");
  }
  const info = await probe(path);
  assertEquals(info.format, "matroska,webm");
  assertEquals(info.streams, [
    { codec: "mjpeg", width: 160, height: 120, packets: 7 },
    { codec: "mjpeg", width: 320, height: 240, packets: 4 },
  ]);
  assertEquals(await packetTimes(path, 0), [0, 0.04, 0.095, 0.1, 0.25, 0.252, 0.254]);
  assertEquals(await packetTimes(path, 1), [0.01, 43, 43.033, 43.09]);
  await Deno.mkdir(`${dir}/out0`);
  const out = await extractPackets(path, 0, `${dir}/out0`);
  assertEquals(out, [...small.slice(0, 5), large[0]!, small[0]!], "the bytes, as written");
  // ffmpeg rounds times to the declared rate: every frame keeps its own.
  assertEquals(await decodeErrors(path), "");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("MkvRecorder: a killed writer leaves every frame written readable", async () => {
  const dir = await Deno.makeTempDir();
  const frames = await jpegs(dir, 160, 120, 20);
  const path = `${dir}/killed.mkv`;
  // A child process writes 20 frames, says so, then waits to be killed.
  const code = `
    import { MkvRecorder } from "${new URL("../ffi/mod.ts", import.meta.url)}";
    const rec = MkvRecorder.open(${JSON.stringify(path)}, { sizes: [[160, 120]] });
    for (let i = 1; i <= 20; i++) {
      const name = ${JSON.stringify(`${dir}/src-160x120/`)} + String(i).padStart(3, "0") + ".jpg";
      rec.writeSync(0, Deno.readFileSync(name), i * 33_000);
    }
    console.log("written");
    await new Promise(() => setInterval(() => {}, 1000));
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assertEquals((await reader.read()).value?.trim(), "written");
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
  const info = await probe(path);
  assertEquals(info.streams.map((s) => s.packets), [20]);
  await Deno.mkdir(`${dir}/out`);
  assertEquals(await extractPackets(path, 0, `${dir}/out`), frames);
  assertEquals(await decodeErrors(path), "");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("MkvRecorder reports bad arguments and unwritable paths as ShimError, not a crash", async () => {
  const dir = await Deno.makeTempDir();
  const [jpeg] = await jpegs(dir, 160, 120, 1);
  const nowhere = assertThrows(
    () => MkvRecorder.open(`${dir}/no/x.mkv`, { sizes: [[160, 120]] }),
    ShimError,
  );
  assertEquals(nowhere.message, "cannot create the file: No such file or directory");
  assertThrows(
    () => MkvRecorder.open(`${dir}/x.mkv`, { sizes: [] }),
    ShimError,
    "invalid argument",
  );
  assertThrows(
    () => MkvRecorder.open(`${dir}/x.mkv`, { sizes: [[1, 1], [1, 1], [1, 1], [1, 1], [1, 1]] }),
    ShimError,
    "invalid argument",
  );
  using rec = MkvRecorder.open(`${dir}/x.mkv`, { sizes: [[160, 120]] });
  assertThrows(() => rec.writeSync(1, jpeg!, 0), ShimError, "invalid argument");
  assertThrows(() => rec.writeSync(-1, jpeg!, 0), ShimError, "invalid argument");
  assertThrows(() => rec.writeSync(0, new Uint8Array(0), 0), ShimError, "invalid argument");
  assertThrows(() => rec.writeSync(0, jpeg!, -1), ShimError, "invalid argument");
  rec.writeSync(0, jpeg!, 0); // still usable after refusals
  rec.finishSync();
  rec.close();
  rec.close(); // harmless twice
  assertEquals((await probe(`${dir}/x.mkv`)).streams[0]!.packets, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "FrameRing carries frames of any size in order through many wraps, and refuses what does not fit",
  permissions: "none",
  fn() {
    const memory = FrameRing.memory(4096);
    const producer = new FrameRing(memory);
    const consumer = new FrameRing(memory);
    assertEquals(consumer.take(0), "timeout");
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const sent: Array<{ track: number; at: number; bytes: Uint8Array }> = [];
    let received = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 1500)).map(() => random() * 256);
      const frame = { track: i % 3, at: 1.7e12 + i * 33.25, bytes };
      if (producer.put(frame.track, frame.bytes, frame.at)) sent.push(frame);
      // The consumer keeps up about half the time: the ring fills and wraps.
      while (random() < 0.45 && received < sent.length) {
        const got = consumer.take(0);
        if (typeof got === "string") throw new Error(got);
        const want = sent[received++]!;
        assertEquals([got.track, got.at, [...got.bytes]], [want.track, want.at, [...want.bytes]]);
      }
    }
    assert(sent.length < 3000 && sent.length > 1000, `${sent.length} of 3000 taken`);
    // Full: a frame that does not fit is refused; once the consumer frees room it fits.
    const big = new Uint8Array(2000);
    while (producer.put(0, big, 0)) sent.push({ track: 0, at: 0, bytes: big });
    assertEquals(producer.put(0, new Uint8Array(4096), 0), false, "larger than the ring");
    producer.close();
    while (true) {
      const got = consumer.take(0);
      if (got === "closed") break;
      if (got === "timeout") throw new Error("a frame went missing");
      assertEquals(got.bytes.length, sent[received++]!.bytes.length);
    }
    assertEquals(received, sent.length);
  },
});

Deno.test("Recording.offer() never waits: with the ring full, frames are skipped and counted", async () => {
  const dir = await Deno.makeTempDir();
  const [jpeg] = await jpegs(dir, 320, 240, 1);
  const path = `${dir}/burst.mkv`;
  await Deno.writeFile(path, new Uint8Array(0));
  const failures: string[] = [];
  const recording = await Recording.open(path, {
    tracks: 1,
    onFailed: (m) => failures.push(m),
    ringBytes: 4 * jpeg!.length,
  });
  // A burst far faster than the worker writes (each frame is flushed to
  // the file): the ring fills and the rest of the burst is skipped.
  const taken = Array.from({ length: 500 }, (_, i) => recording.offer(0, jpeg!, 1000 + i * 10));
  const result = await recording.close();
  const n = taken.filter(Boolean).length;
  assert(result.skipped > 0 && n > 0, `${n} taken, ${result.skipped} skipped`);
  assertEquals(n + result.skipped, 500);
  assertEquals(result.frames, [n], "every frame taken is written");
  assertEquals(failures, []);
  assertEquals((await probe(path)).streams.map((s) => s.packets), [n]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Recording: a track with no frame yet takes the other's size; no frame at all removes the file", async () => {
  const dir = await Deno.makeTempDir();
  const frames = await jpegs(dir, 160, 120, 3);
  const path = `${dir}/one-sided.mkv`;
  await Deno.writeFile(path, new Uint8Array(0));
  const recording = await Recording.open(path, { tracks: 2, onFailed: () => {} });
  frames.forEach((jpeg, i) => recording.offer(0, jpeg, 5000 + i * 40));
  await new Promise((r) => setTimeout(r, 1300)); // past the hold for track 2's first frame
  const result = await recording.close();
  assertEquals(result.frames, [3, 0]);
  const info = await probe(path);
  assertEquals(info.streams.map((s) => [s.width, s.height, s.packets]), [[160, 120, 3], [
    160,
    120,
    0,
  ]]);
  assertEquals(await packetTimes(path, 0), [0, 0.04, 0.08], "time 0 is the first frame");

  const empty = `${dir}/empty.mkv`;
  await Deno.writeFile(empty, new Uint8Array(0));
  const none = await (await Recording.open(empty, { tracks: 2, onFailed: () => {} })).close();
  assertEquals([none.removed, none.frames], [true, [0, 0]]);
  await assertRejects(() => Deno.stat(empty), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

// Catches: a picture stretched to another shape, or a bar a pixel or two
// wide left by the sender's sizes being rounded to even numbers.
Deno.test({
  name: "fitRect() fills the box with a picture of its shape and letterboxes another shape",
  permissions: "none",
  fn() {
    const box = { width: 640, height: 480 };
    const whole = { x: 0, y: 0, width: 640, height: 480 };
    assertEquals(fitRect({ width: 320, height: 240 }, box), whole);
    assertEquals(fitRect({ width: 480, height: 360 }, box), whole);
    assertEquals(fitRect({ width: 1280, height: 960 }, box), whole);
    // A 350x262 call's half size, 176x132 (rounded to even): within 1%.
    assertEquals(fitRect({ width: 176, height: 132 }, { width: 350, height: 262 }), {
      x: 0,
      y: 0,
      width: 350,
      height: 262,
    });
    assertEquals(fitRect({ width: 640, height: 360 }, box), {
      x: 0,
      y: 60,
      width: 640,
      height: 360,
    });
    assertEquals(fitRect({ width: 1280, height: 720 }, box), {
      x: 0,
      y: 60,
      width: 640,
      height: 360,
    });
    assertEquals(fitRect({ width: 480, height: 640 }, box), {
      x: 140,
      y: 0,
      width: 360,
      height: 480,
    });
  },
});

// Catches: frames of another size written as they came (ffmpeg's decoder,
// opened on the 640x480 track at a seek into the 320x240 stretch, takes
// each small picture for one field of an interlaced frame: 320x480
// pictures, "No JPEG data found in image", half of them lost), frames at the
// track's size re-encoded (not byte for byte), scaled frames dropped (the
// count), another shape stretched (the bars), a garbled picture (the PSNR).
Deno.test("Recording: frames of another size than the track's are scaled to it, the rest go in byte for byte", async () => {
  const dir = await Deno.makeTempDir();
  const full = await jpegs(dir, 640, 480, 12);
  const half = await jpegs(dir, 320, 240, 8);
  const threeQuarters = await jpegs(dir, 480, 360, 4);
  const [wide] = await jpegs(dir, 640, 360, 1);
  // A sender adapting to a slow link: full size, then 1/2, then 3/4, then
  // full again; and one frame of another shape (a peer that came back with
  // another --size).
  const input = [
    ...full.slice(0, 6),
    ...half,
    ...threeQuarters,
    ...full.slice(6, 10),
    wide!,
    ...full.slice(10),
  ];
  const path = `${dir}/adapted.mkv`;
  await Deno.writeFile(path, new Uint8Array(0));
  const failures: string[] = [];
  const recording = await Recording.open(path, { tracks: 1, onFailed: (m) => failures.push(m) });
  input.forEach((jpeg, i) => assert(recording.offer(0, jpeg, 5000 + i * 40)));
  const result = await recording.close();
  assertEquals([result.frames, failures], [[input.length], []]);

  const info = await probe(path);
  assertEquals(info.streams, [{ codec: "mjpeg", width: 640, height: 480, packets: input.length }]);
  const every = input.map(() => "640x480");
  assertEquals(await frameSizes(path, 0), every, "every picture, at the track's size");
  assertEquals(await decodeErrors(path), "");
  // A player that starts (or seeks) in the stretch of small frames: the
  // decoder's first picture is one that was 320x240.
  assertEquals(await decodeErrors(path, 0.3), "");
  const fromSeek = await frameSizes(path, 0, 0.3);
  assertEquals(fromSeek, every.slice(every.length - fromSeek.length), "every picture from 0.3 s");
  assert(fromSeek.length >= input.length - 8, `${fromSeek.length} pictures from 0.3 s`);

  await Deno.mkdir(`${dir}/out`);
  const packets = await extractPackets(path, 0, `${dir}/out`);
  assertEquals(packets.length, input.length);
  // What each scaled frame should look like: its source, scaled up by ffmpeg.
  const expected = [
    ...await greyFrames(`${dir}/src-320x240/%03d.jpg`, 640, 480, true),
    ...await greyFrames(`${dir}/src-480x360/%03d.jpg`, 640, 480, true),
  ];
  const [wideGrey] = await greyFrames(`${dir}/src-640x360/%03d.jpg`, 640, 360);
  const pictures = await greyFrames(path, 640, 480);
  assertEquals(pictures.length, input.length);
  for (const [i, packet] of packets.entries()) {
    const source = input[i]!;
    if (jpegSize(source)!.join("x") === "640x480") {
      assertEquals(packet, source, `frame ${i}: at the track's size, byte for byte`);
      continue;
    }
    assertEquals(jpegSize(packet), [640, 480], `frame ${i}`);
    const got = pictures[i]!;
    if (source === wide) {
      // Letterboxed: black bars of 60 rows above and below, the picture between.
      const bars = [...got.subarray(0, 60 * 640), ...got.subarray(420 * 640)];
      assert(bars.every((v) => v < 24), "black bars above and below");
      const db = psnr(got.subarray(60 * 640, 420 * 640), wideGrey!);
      assert(db > 38, `frame ${i}: ${db.toFixed(1)} dB against the source`);
    } else {
      const db = psnr(got, expected.shift()!);
      assert(db > 38, `frame ${i}: ${db.toFixed(1)} dB against the source scaled up`);
    }
  }
  assertEquals(expected.length, 0, "every smaller frame compared");
  await Deno.remove(dir, { recursive: true });
});

// Catches: a frame that needs scaling but does not decode written anyway
// (ffmpeg then reports it), or the recording stopping because of it.
Deno.test("Recording: a frame of another size that does not decode is left out, the recording goes on", async () => {
  const dir = await Deno.makeTempDir();
  const full = await jpegs(dir, 320, 240, 3);
  const [small] = await jpegs(dir, 160, 120, 1);
  const cut = small!.subarray(0, small!.length >> 1); // its header says 160x120
  assertEquals(jpegSize(cut), [160, 120]);
  const path = `${dir}/cut.mkv`;
  await Deno.writeFile(path, new Uint8Array(0));
  const failures: string[] = [];
  const recording = await Recording.open(path, { tracks: 1, onFailed: (m) => failures.push(m) });
  [full[0]!, cut, full[1]!, small!, full[2]!].forEach((jpeg, i) =>
    recording.offer(0, jpeg, i * 40)
  );
  const result = await recording.close();
  assertEquals([result.frames, failures], [[4], []]);
  assertEquals(await frameSizes(path, 0), ["320x240", "320x240", "320x240", "320x240"]);
  assertEquals(await decodeErrors(path), "");
  await Deno.remove(dir, { recursive: true });
});

// Catches: a recording started during a stretch of smaller frames taking
// their size for its track: the header would say 320x240 and the frames at
// the call's size that follow would be shrunk (not byte for byte).
Deno.test("Recorder: started while both sides send smaller frames, it records at the call's sizes", async () => {
  const dir = await Deno.makeTempDir();
  const full = await jpegs(dir, 640, 480, 4);
  const half = await jpegs(dir, 320, 240, 4);
  const own = await jpegs(dir, 480, 360, 2);
  const ownHalf = await jpegs(dir, 240, 180, 3);
  const lines: string[] = [];
  const recorder = new Recorder({
    path: `${dir}/call.mkv`,
    peerOnly: false,
    keys: false,
    status: (line) => lines.push(line),
    sentSize: [480, 360], // this side's --size
  });
  const t0 = 1_700_000_000_000;
  const at = (i: number) => ({ seq: i, peerTime: 0, localTime: t0 + i * 40 });
  // The call at its sizes: the peer's 640x480 (as the fan-out shows them,
  // decoded), this side's 480x360.
  full.forEach((jpeg, i) => {
    recorder.packet(jpeg, at(i));
    recorder.picture({ width: 640, height: 480 } as Frame, at(i));
  });
  own.forEach((jpeg, i) => recorder.sent(jpeg, t0 + i * 40));
  // A peer frame whose header claims 8192x4320 and that never decodes (no
  // picture follows): it must not make the peer's track that large.
  const liar = full[0]!.slice();
  const sof = liar.findIndex((b, i) => b === 0xff && liar[i + 1] === 0xc0);
  liar.set([0x10, 0xe0, 0x20, 0x00], sof + 5); // height 4320, width 8192
  recorder.packet(liar, at(5));
  // The link slows, both sides send half-size frames, and `r` starts a recording.
  const path = await recorder.start();
  half.forEach((jpeg, i) => recorder.packet(jpeg, at(10 + i)));
  ownHalf.forEach((jpeg, i) => recorder.sent(jpeg, t0 + (10 + i) * 40));
  full.forEach((jpeg, i) => recorder.packet(jpeg, at(20 + i))); // and the peer's link recovers
  await recorder.close();
  assertMatch(lines.at(-1)!, /^Saved the recording .* \(11 frames\)$/);

  const info = await probe(path);
  assertEquals(info.streams.map((s) => [s.width, s.height, s.packets]), [
    [640, 480, 8],
    [480, 360, 3],
  ]);
  assertEquals(await frameSizes(path, 0), new Array(8).fill("640x480"));
  assertEquals(await frameSizes(path, 1), new Array(3).fill("480x360"));
  assertEquals(await decodeErrors(path), "");
  await Deno.mkdir(`${dir}/out`);
  const packets = await extractPackets(path, 0, `${dir}/out`);
  assertEquals(packets.slice(4), full, "the frames at the call's size, byte for byte");
  await Deno.remove(dir, { recursive: true });
});
