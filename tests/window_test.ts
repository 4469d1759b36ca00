/**
 * Windows under Xvfb: two real peers show each other's video, the window is
 * titled with the peer's name, and q, Esc or Enter ends the call for both.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { Peer } from "./_peer.ts";
import { freePort } from "./_tools.ts";
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
    const win = await x.waitForWindow("peercam: Bob");
    await y.waitForWindow("peercam: Alice");
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
    assertEquals(await x.findWindow("peercam: Bob"), undefined, "window closed");
  });
}
