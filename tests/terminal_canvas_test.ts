// deno-lint-ignore-file no-control-regex -- the tests match terminal escape sequences
/**
 * ffi/terminal_canvas.ts over the real libchafa (libpeercam_chafa.so):
 * terminal detection, the output of each mode, row breaks, output growth
 * and bad arguments.
 */

import { ShimError } from "../ffi/error.ts";
import { envBlock, TerminalCanvas } from "../ffi/terminal_canvas.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";

// A 64x48 gradient, different in every channel.
function gradient(width: number, height: number): Uint8Array<ArrayBuffer> {
  const bgr = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      bgr[i] = (x * 4) & 0xff;
      bgr[i + 1] = (y * 5) & 0xff;
      bgr[i + 2] = ((x + y) * 3) & 0xff;
    }
  }
  return bgr;
}

const NO_BREAK = "\x1b[E";
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("TerminalCanvas detects kitty, sixel and plain terminals from TERM", () => {
  const caps = (env: Record<string, string>) => {
    using canvas = new TerminalCanvas(env);
    return canvas.capabilities;
  };
  assert(caps({ TERM: "xterm-kitty" }).kitty);
  assert(caps({ TERM: "foot" }).sixel);
  assert(caps({ TERM: "mlterm" }).sixel);
  const tmux = caps({ TERM: "tmux-256color", TMUX: "/tmp/tmux-0/default,1,0" });
  assert(!tmux.kitty && !tmux.sixel, "tmux shows no images");
  assert(!caps({ TERM: "linux" }).colors256);
});

Deno.test("TerminalCanvas.draw() writes each mode's own escapes", async () => {
  using canvas = new TerminalCanvas({ TERM: "xterm-256color" });
  const bgr = gradient(64, 48);
  const draw = async (graphics: "symbols" | "sixel" | "kitty", colors: "16" | "256" | "direct") => {
    canvas.configure({ graphics, colors, cols: 20, rows: 6, cellWidth: 10, cellHeight: 20 });
    return text(await canvas.draw(bgr, { width: 64, height: 48, rowBreak: NO_BREAK }));
  };
  const direct = await draw("symbols", "direct");
  assert(/\x1b\[[0-9;]*38;2;\d+;\d+;\d+/.test(direct) && !/38;5;/.test(direct));
  const indexed = await draw("symbols", "256");
  assert(/\x1b\[[0-9;]*38;5;\d+/.test(indexed) && !/38;2;/.test(indexed));
  const sixteen = await draw("symbols", "16");
  assert(!/38;[25];/.test(sixteen) && /\x1b\[[0-9;]*(9[0-7]|3[0-7])[;m]/.test(sixteen));
  assert((await draw("sixel", "direct")).startsWith("\x1bP"), "a sixel DCS");
  const kitty = await draw("kitty", "direct");
  assert(kitty.startsWith("\x1b_G") && kitty.includes("c=20,r=6"), kitty.slice(0, 60));
});

Deno.test("TerminalCanvas.draw() puts the row break between rows, never a line feed", async () => {
  using canvas = new TerminalCanvas({ TERM: "xterm-256color" });
  canvas.configure({
    graphics: "symbols",
    colors: "256",
    cols: 30,
    rows: 7,
    cellWidth: 10,
    cellHeight: 20,
  });
  const out = text(
    await canvas.draw(gradient(64, 48), { width: 64, height: 48, rowBreak: "<BR>" }),
  );
  const rows = out.split("<BR>");
  assertEquals(rows.length, 7);
  // Each row starts with its colours: nothing read past the row break's end.
  for (const row of rows) assert(row.startsWith("\x1b["), JSON.stringify(row.slice(0, 20)));
  assert(!out.includes("\n"));
});

Deno.test("TerminalCanvas.draw() grows its output buffer for a large picture", async () => {
  using canvas = new TerminalCanvas({ TERM: "xterm-256color" });
  // A 600x400-pixel sixel image of noise is well past the 256 KB first buffer.
  canvas.configure({
    graphics: "sixel",
    colors: "direct",
    cols: 60,
    rows: 20,
    cellWidth: 10,
    cellHeight: 20,
  });
  const noise = new Uint8Array(640 * 480 * 3);
  for (let i = 0; i < noise.length; i += 65536) {
    crypto.getRandomValues(noise.subarray(i, i + 65536));
  }
  const out = await canvas.draw(noise, { width: 640, height: 480, rowBreak: NO_BREAK });
  assert(out.length > 256 * 1024, `${out.length} bytes`);
  assert(text(out.subarray(out.length - 2)) === "\x1b\\", "the whole image, to its ST");
});

Deno.test("TerminalCanvas refuses bad sizes, short pixels and a draw before configure", async () => {
  using canvas = new TerminalCanvas({ TERM: "xterm" });
  const bgr = gradient(8, 8);
  await assertRejects(
    () => canvas.draw(bgr, { width: 8, height: 8, rowBreak: NO_BREAK }),
    ShimError,
    "not configured",
  );
  const setup = {
    graphics: "symbols",
    colors: "256",
    cols: 10,
    rows: 5,
    cellWidth: 10,
    cellHeight: 20,
  } as const;
  assertThrows(() => canvas.configure({ ...setup, cols: 0 }), ShimError, "invalid argument");
  assertThrows(() => canvas.configure({ ...setup, rows: 5000 }), ShimError, "invalid argument");
  assertThrows(() => canvas.configure({ ...setup, cellWidth: 0 }), ShimError, "invalid argument");
  canvas.configure(setup);
  await assertRejects(
    () => canvas.draw(bgr, { width: 16, height: 8, rowBreak: NO_BREAK }),
    RangeError,
  );
  canvas.close();
  canvas.close(); // a second close does nothing
  await assertRejects(
    () => canvas.draw(bgr, { width: 8, height: 8, rowBreak: NO_BREAK }),
    ShimError,
    "closed",
  );
});

Deno.test("envBlock() encodes NAME=value strings, each NUL-ended, then an empty one", () => {
  assertEquals(
    text(envBlock({ TERM: "xterm", COLORTERM: "truecolor" })),
    "TERM=xterm\0COLORTERM=truecolor\0\0",
  );
  assertEquals(text(envBlock({})), "\0");
  assertEquals(text(envBlock({ BAD: "a\0b", OK: "1" })), "OK=1\0\0");
});

Deno.test("ttySize() returns null for a file descriptor that is not a terminal", async () => {
  // A child whose stdin is a pipe (the tmux tests cover a real terminal).
  const module = new URL("../ffi/terminal_canvas.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { ttySize } from "${module}"; console.log(JSON.stringify(ttySize(0)));`,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn().output();
  assertEquals(new TextDecoder().decode(out.stdout).trim(), "null");
});
