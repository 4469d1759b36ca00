/**
 * `--serve` in a real call between two peercam processes, watched by real
 * clients: headless Chromium (puppeteer-core), ffmpeg, ffprobe and HTTP
 * readers that behave like VLC, a slow client and a stalled one.
 */

import puppeteer from "puppeteer-core";
import { CallServer } from "../src/serve/http_server.ts";
import { HEADLESS, listening, Peer, runPeer } from "./_peer.ts";
import { freePort, ROOT, run, sh } from "./_tools.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { isJpeg, MjpegReader, rssMb } from "./_mjpeg.ts";

const VIDEO = ["--no-window", "--source", "test", "--size", "640x480", "--fps", "30"];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Grey pixels of a PNG, decoded by ffmpeg. */
async function greyPixels(png: Uint8Array): Promise<Uint8Array> {
  const path = await Deno.makeTempFile({ suffix: ".png" });
  try {
    await Deno.writeFile(path, png);
    const out = await new Deno.Command("ffmpeg", {
      args: ["-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return out.stdout;
  } finally {
    await Deno.remove(path);
  }
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assertEquals(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function spread(a: Uint8Array): number {
  let min = 255, max = 0;
  for (const v of a) [min, max] = [Math.min(min, v), Math.max(max, v)];
  return max - min;
}

Deno.test("--serve: Chromium, ffmpeg and MJPEG clients watch a real call", async (t) => {
  const callPort = freePort();
  const web = freePort();
  const bobWeb = freePort();
  const alice = await listening(callPort, [...VIDEO, "--name", "alice", "--serve", `${web}`]);
  const bob = new Peer([
    "--peer",
    `127.0.0.1:${callPort}`,
    ...VIDEO,
    "--name",
    "bob",
    "--serve",
    `0.0.0.0:${bobWeb}`,
  ]);
  const base = `http://127.0.0.1:${web}`;
  try {
    await alice.waitFor("In a call");
    await bob.waitFor("In a call");
    assertMatch(alice.stderr, new RegExp(`Serving the call at http://127\\.0\\.0\\.1:${web}/ `));

    // Catches: framing ffmpeg's MJPEG demuxer cannot follow (boundary, lengths).
    await t.step("ffmpeg reads 30 frames from /stream", async () => {
      const out = await run("ffmpeg", [
        ...["-v", "error", "-f", "mpjpeg", "-i", `${base}/stream`],
        ...["-frames:v", "30", "-f", "framemd5", "-"],
      ]);
      const frames = out.split("\n").filter((l) => /^0,/.test(l));
      assertEquals(frames.length, 30);
      assert(new Set(frames.map((l) => l.split(",").at(-1))).size > 1, "the frames change");
    });

    // Catches: a snapshot of the wrong video, a partial JPEG, or no snapshot.
    await t.step("/snapshot and /?action=snapshot are JPEGs at the frame size", async () => {
      for (const path of ["/snapshot", "/?action=snapshot"]) {
        const file = await Deno.makeTempFile({ suffix: ".jpg" });
        const r = await fetch(base + path);
        assertEquals(r.headers.get("content-type"), "image/jpeg");
        await Deno.writeFile(file, new Uint8Array(await r.arrayBuffer()));
        const probe = await run("ffprobe", [
          ...["-v", "error", "-show_entries", "stream=codec_name,width,height"],
          ...["-of", "csv=p=0", file],
        ]);
        await Deno.remove(file);
        assertEquals(probe.trim(), "mjpeg,640,480");
      }
    });

    // Catches: clients that stall each other, or get torn or repeated frames.
    await t.step("20 clients at once all get fresh, whole frames", async () => {
      const seqs = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const r = await fetch(`${base}/${i % 2 ? "stream" : "?action=stream"}`);
        assertMatch(r.headers.get("cache-control") ?? "", /no-cache/);
        const reader = new MjpegReader(r.body!);
        const got: number[] = [];
        for (let n = 0; n < 5; n++) {
          const part = await reader.next();
          assert(isJpeg(part.jpeg), "a whole JPEG");
          assertEquals(Number(part.headers.get("content-length")), part.jpeg.length);
          assertMatch(part.headers.get("x-timestamp") ?? "", /^\d{10}\.\d{6}$/);
          got.push(Number(part.headers.get("x-sequence")));
        }
        await reader.cancel();
        return got;
      }));
      for (const got of seqs) {
        assert(got.every((s, i) => i === 0 || s > got[i - 1]!), `increasing: ${got}`);
      }
    });

    // Catches: a page that does not load its streams or its stats, or that
    // shows a still picture.
    await t.step("headless Chromium shows moving video, the names and stats", async () => {
      const profile = await Deno.makeTempDir();
      const browser = await puppeteer.launch({
        executablePath: "/usr/bin/chromium",
        headless: true,
        args: [
          ...["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
          ...["--disable-background-networking", "--disable-component-update", "--disable-sync"],
          `--user-data-dir=${profile}`,
        ],
      });
      try {
        const page = await browser.newPage();
        await page.setViewport({ width: 800, height: 600 });
        await page.goto(`${base}/`, { waitUntil: "domcontentloaded" });
        // A string, evaluated in the page (this file has no DOM types).
        await page.waitForFunction(
          `document.getElementById("peer").naturalWidth === 640 &&
           document.getElementById("self").naturalWidth === 640 &&
           /received [\\d.]+ fps/.test(document.getElementById("stats").textContent)`,
          { timeout: 15000 },
        );
        const title = await page.$eval("#title", (e) => e.textContent);
        assertEquals(title, "bob \u2194 alice");
        const peer = (await page.$("#peer"))!;
        const box = (await peer.boundingBox())!;
        assert(box.width > 300, `the video is shown (${box.width} px wide)`);
        const one = await greyPixels(await page.screenshot({ clip: box }));
        await sleep(1000);
        const two = await greyPixels(await page.screenshot({ clip: box }));
        assert(spread(one) > 100, "the video area shows a picture, not a blank");
        const diff = meanAbsDiff(one, two);
        assert(diff > 1, `the video moves (mean difference ${diff.toFixed(2)})`);
      } finally {
        await browser.close();
        await Deno.remove(profile, { recursive: true });
      }
    });

    // Catches: a non-loopback bind that serves without the token.
    await t.step("a 0.0.0.0 bind answers 403 without the token, 200 with it", async () => {
      const token = /Serving the call at http:\/\/\S+\/\?token=([A-Za-z0-9_-]{22}) /
        .exec(bob.stderr)?.[1];
      assert(token, `a token in the URL printed at start:\n${bob.stderr}`);
      const bobBase = `http://127.0.0.1:${bobWeb}`;
      for (const path of ["/", "/stream", "/snapshot", "/stats", "/?action=stream"]) {
        for (const bad of ["", `token=${token.slice(1)}`]) {
          const url = bobBase + path + (bad ? (path.includes("?") ? "&" : "?") + bad : "");
          const r = await fetch(url);
          assertEquals(r.status, 403, url);
          await r.body?.cancel();
        }
      }
      const r = await fetch(`${bobBase}/snapshot?token=${token}`);
      assertEquals(r.status, 200);
      assert(isJpeg(new Uint8Array(await r.arrayBuffer())));
    });
  } finally {
    alice.child.kill("SIGTERM");
    const [a, b] = await Promise.all([alice.exit(), bob.exit()]);
    assertEquals([a, b], [0, 0], `alice:\n${alice.stderr}\nbob:\n${bob.stderr}`);
  }
});

// Catches: a page whose video box follows the frames: it would grow when the
// stream starts, and jump (the stats line with it) when the peer's frames
// change shape; and a picture not scaled into the box when they shrink.
Deno.test("--serve page: the video keeps its place and size as the peer's frames change size", async () => {
  const dir = await Deno.makeTempDir();
  const sizes = ["640x480", "320x240", "640x360", "480x640", "640x480"];
  const frames = new Map<string, Uint8Array>();
  for (const size of new Set(sizes)) {
    await run("ffmpeg", [
      ...["-v", "error", "-f", "lavfi", "-i", `testsrc2=size=${size}`, "-frames:v", "1"],
      `${dir}/${size}.jpg`,
    ]);
    frames.set(size, await Deno.readFile(`${dir}/${size}.jpg`));
  }
  const server = CallServer.open({ hostname: "127.0.0.1", port: 0 }, {
    selfName: "alice",
    status: () => ({ peer: "bob", phase: "connected", stats: null }),
  });
  let current: string | null = null;
  let seq = 0;
  const feed = setInterval(() => {
    if (current === null) return;
    server.packet(frames.get(current)!, { seq: ++seq, peerTime: 0, localTime: Date.now() });
    server.ownFrame(frames.get("640x480")!, Date.now());
  }, 40);
  const profile = await Deno.makeTempDir();
  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${profile}`],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 800, height: 600 });
    await page.goto(server.url, { waitUntil: "domcontentloaded" });
    await page.waitForFunction(`document.getElementById("title").textContent.startsWith("bob")`);
    // Where the video and the stats line are, as [x, y, width, height].
    const layout = async () =>
      JSON.parse(
        await page.evaluate(`JSON.stringify(["peer", "stats"].map((id) => {
          const r = document.getElementById(id).getBoundingClientRect();
          return [r.x, r.y, r.width, r.height];
        }))`) as string,
      );
    const empty = await layout(); // no frame yet
    assert(empty[0][3] > 400, `a video box before the first frame: ${empty}`);
    for (const size of sizes) {
      current = size;
      const [w, h] = size.split("x");
      await page.waitForFunction(
        `document.getElementById("peer").naturalWidth === ${w} &&
         document.getElementById("peer").naturalHeight === ${h}`,
        { timeout: 10000 },
      );
      assertEquals(await layout(), empty, `the layout with ${size} frames`);
    }
    // The small frames were scaled up into the box, not shown at their size.
    current = "320x240";
    await page.waitForFunction(`document.getElementById("peer").naturalWidth === 320`);
    const box = (await (await page.$("#peer"))!.boundingBox())!;
    const grey = await greyPixels(await page.screenshot({ clip: box }));
    const width = Math.round(box.width), height = Math.round(box.height);
    // testsrc2's picture is bright to its right edge; a 320-pixel picture
    // in the middle of the box would leave its right quarter black. (Rows
    // above the self-view, in the bottom-right corner.)
    const [left, right, bottom] = [Math.floor(width * 0.8), Math.floor(width * 0.85), height >> 1];
    let lit = 0;
    for (let y = 0; y < bottom; y++) {
      for (let x = left; x < right; x++) if (grey[y * width + x]! > 40) lit++;
    }
    assert(lit > 0.5 * bottom * (right - left), `${lit} of ${bottom * (right - left)} lit`);
  } finally {
    clearInterval(feed);
    await browser.close();
    await server.close();
    await Deno.remove(profile, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

// Catches: a crash or stack trace on a port that cannot be bound, or a bad
// --serve accepted.
Deno.test("--serve on a busy port exits 1 with one line; a bad value exits 2", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const taken = await runPeer(["--listen", `${freePort()}`, ...HEADLESS, "--serve", `${port}`]);
    assertEquals(taken.code, 1);
    assertEquals(
      taken.stderr.trim(),
      `peercam: Cannot serve on 127.0.0.1:${port} (--serve): the port is in use ` +
        "(choose another with --serve)",
    );
    const bad = await runPeer(["--listen", "2000", "--serve", "http://x"]);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /^peercam: Invalid --serve "http:\/\/x"/);
  } finally {
    busy.close();
  }
});

// Linux grows a loopback connection's send buffer to 4 MB (tcp_wmem), some
// fifty 720p frames that no server can take back: a slow reader would see
// consecutive frames for a minute whatever the server does. The test runs
// the call in a network namespace whose send buffers stop at 256 KB, as on a
// real link where they follow the path's bandwidth-delay product.
const ns = `pcserve${Deno.pid}`;
const nsMade = await sh(
  `ip netns add ${ns} && ip -n ${ns} link set lo up && ` +
    `ip netns exec ${ns} sysctl -qw net.ipv4.tcp_wmem="4096 16384 262144"`,
);
await sh(`ip netns del ${ns}`);
if (!nsMade.ok) console.error(`serve_e2e_test: skipping the slow client: ${nsMade.out}`);

// Catches: a per-client queue (the slow client would see consecutive sequence
// numbers, and the server's memory would grow by the stalled client's backlog:
// 720p at quality 95 is ~75 KB a frame, ~2 MB/s at 30 fps).
Deno.test({
  name: "--serve: a slow client skips frames; a stalled one leaves memory flat",
  ignore: !nsMade.ok,
}, async () => {
  await sh(
    `ip netns add ${ns} && ip -n ${ns} link set lo up && ` +
      `ip netns exec ${ns} sysctl -qw net.ipv4.tcp_wmem="4096 16384 262144"`,
  );
  const inNs = ["ip", "netns", "exec", ns];
  const video = ["--no-window", "--source", "test", "--size", "1280x720", "-q", "95"];
  const web = 28080;
  const alice = new Peer(["--listen", "127.0.0.1:28000", ...video, "--serve", `${web}`], {}, inNs);
  const bob = new Peer(["--peer", "127.0.0.1:28000", ...video], {}, inNs);
  const client = (parts: number, interval: number) =>
    new Deno.Command(inNs[0]!, {
      args: [
        ...inNs.slice(1),
        "python3",
        `${ROOT}tests/_slow_mjpeg.py`,
        `${web}`,
        `${parts}`,
        `${interval}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  try {
    await alice.waitFor("In a call");
    const stalled = client(1, 60);
    const slow = client(12, 1);
    await sleep(2500); // both have connected and the buffers have filled
    const before = await rssMb(alice.child.pid);
    const out = await slow.output();
    const after = await rssMb(alice.child.pid);
    stalled.kill("SIGKILL");
    await stalled.output();
    const seqs = new TextDecoder().decode(out.stdout).trim().split("\n").map(Number);
    assertEquals(seqs.length, 12, new TextDecoder().decode(out.stderr));
    const gaps = seqs.slice(1).map((s, i) => s - seqs[i]!);
    // The socket buffers between the server and the client (the gate's Unix
    // socket, TCP) hold a few frames, so parts come in runs of consecutive
    // frames; between runs, the frames captured meanwhile are skipped. A
    // per-client queue would give consecutive numbers throughout.
    assert(gaps.some((g) => g > 5), `frames skipped: ${seqs}`);
    assert(seqs.at(-1)! - seqs[0]! > 3 * gaps.length, `frames skipped: ${seqs}`);
    assert(after - before < 8, `memory flat: ${before.toFixed(1)} -> ${after.toFixed(1)} MB`);
  } finally {
    alice.child.kill("SIGTERM");
    await Promise.all([alice.exit(), bob.exit()]);
    await sh(`ip netns del ${ns}`);
  }
});
