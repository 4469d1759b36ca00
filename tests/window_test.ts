/**
 * Windows under Xvfb: two real peers show each other's video, the window is
 * titled with the peer's name, and q, Esc or Enter ends the call for both;
 * a window goes fullscreen and back, and can be retitled.
 */

import { windowTitle } from "../src/view/call_window.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { Peer } from "./_peer.ts";
import { freePort, ROOT, run } from "./_tools.ts";
import { type Screenshot, Xvfb } from "./_x11.ts";

/** Share of pixels close to the test pattern's ball colour (BGR 40,200,255). */
function ballShare(shot: Screenshot): number {
  let n = 0;
  for (let i = 0; i < shot.rgb.length; i += 3) {
    const r = shot.rgb[i]!, g = shot.rgb[i + 1]!, b = shot.rgb[i + 2]!;
    if (r > 220 && g > 170 && g < 230 && b < 90) n++;
  }
  return n / (shot.width * shot.height);
}

for (const key of ["q", "Escape", "Return", "close button"]) {
  Deno.test(`windows show the peer's video and ${key} in a window ends the call for both`, async () => {
    // One display per peer, as on two machines (and no overlapping windows).
    await using x = await Xvfb.start();
    await using y = await Xvfb.start();
    const port = freePort();
    const common = ["--source", "test", "--size", "320x240", "--stats", "json"];
    const a = new Peer(["--listen", `127.0.0.1:${port}`, "--name", "Alice", ...common], x.env());
    await a.waitFor("Waiting for the peer");
    const b = new Peer(["--peer", `127.0.0.1:${port}`, "--name", "Bob", ...common], y.env());
    // Alice's window shows Bob's video, titled with Bob's name.
    const win = await x.waitForWindow(windowTitle("Bob", false));
    await y.waitForWindow(windowTitle("Alice", false));
    await b.waitFor("In a call");
    await new Promise((r) => setTimeout(r, 1500));
    const shot = await x.screenshot(win);
    assertEquals([shot.width, shot.height], [320, 240], "window fits the frame");
    const share = ballShare(shot);
    if (Deno.env.get("PEERCAM_SAVE_SHOTS")) {
      const header = new TextEncoder().encode(`P6 ${shot.width} ${shot.height} 255\n`);
      await Deno.writeFile(
        `/tmp/peercam-window-${key}.ppm`,
        new Uint8Array([...header, ...shot.rgb]),
      );
    }
    assert(share > 0.01, `test pattern not visible (ball share ${share})`);
    if (key === "close button") await x.close(win);
    else await x.key(win, key);
    assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
    assertMatch(a.stderr, key === "close button" ? /You closed the window/ : /You ended the call/);
    assertMatch(b.stderr, /"Alice" ended the call/);
    assert(a.summary().frames_decoded > 10 && b.summary().frames_decoded > 10);
    assertEquals(await x.findWindow(windowTitle("Bob", false)), undefined, "window closed");
  });
}

Deno.test("Window: fullscreen covers the screen and switches back; title retitles the window", async () => {
  await using x = await Xvfb.start();
  // A real window manager acts on Qt's fullscreen request (Xvfb alone has none).
  await using _wm = await x.windowManager();
  const probe = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}tests/_window_probe.ts`],
    env: x.env(),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(probe.stderr).text();
  try {
    const out = lines(probe.stdout);
    const stdin = probe.stdin.getWriter();
    const stage = async (): Promise<Stage> => {
      const { value } = await out.next();
      if (value === undefined) throw new Error(`the probe ended early: ${await stderr}`);
      return JSON.parse(value);
    };
    const geometry = async (): Promise<string> => {
      const id = await x.findWindow("peercam probe: retitled");
      assert(id, "the window was retitled");
      const info = await run("xwininfo", ["-id", id], x.env());
      const get = (key: string) =>
        /: *(-?\d+)/.exec(info.split("\n").find((l) => l.includes(key))!)![1];
      const size = `${get("Width:")}x${get("Height:")}`;
      // Fullscreen has no decorations: the window itself sits at the corner.
      return size === "1600x900"
        ? `${size}+${get("Absolute upper-left X:")}+${get("Absolute upper-left Y:")}`
        : size;
    };

    // The window manager places a normal window where it likes: only its size is fixed.
    const normal = await stage();
    assertEquals(
      [normal.stage, normal.fullscreen, normal.rect.width, normal.rect.height],
      ["normal", false, 320, 240],
    );
    assertEquals(await geometry(), "320x240");
    await stdin.write(new TextEncoder().encode("\n"));

    const full = await stage();
    assertEquals([full.stage, full.fullscreen], ["fullscreen", true]);
    assertEquals(await geometry(), "1600x900+0+0", "the window covers the 1600x900 screen");
    // The image keeps its 4:3 shape: full height, centred across.
    assertEquals(full.rect, { x: 200, y: 0, width: 1200, height: 900 });
    await stdin.write(new TextEncoder().encode("\n"));

    const back = await stage();
    assertEquals(
      [back.stage, back.fullscreen, back.rect.width, back.rect.height],
      ["normal again", false, 320, 240],
    );
    assertEquals(await geometry(), "320x240");
    await stdin.write(new TextEncoder().encode("\n"));
    await stdin.close();
    assertEquals((await probe.status).code, 0, await stderr);
  } finally {
    try {
      probe.kill();
    } catch { /* exited */ }
    await Promise.all([probe.status, stderr]);
  }
});

interface Stage {
  stage: string;
  fullscreen: boolean;
  rect: { x: number; y: number; width: number; height: number };
}

// The lines of a child's output, as they come.
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    for (let end; (end = buffered.indexOf("\n")) >= 0;) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered) yield buffered;
}
