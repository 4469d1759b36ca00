// deno-lint-ignore-file no-control-regex -- the tests match terminal escape sequences
/**
 * The terminal view's pure parts (src/view/terminal_screen.ts) and the
 * status line routing (src/terminal.ts): no terminal, no permissions.
 */

import { parseCommandLine } from "../src/cli.ts";
import { HELP } from "../src/help.ts";
import { UsageError } from "../src/errors.ts";
import { Terminal } from "../src/terminal.ts";
import {
  centredText,
  chooseMode,
  clearPictureArea,
  drawingCell,
  ENTER_SEQUENCE,
  fitPicture,
  keysFrom,
  restoreSequence,
  rowBreak,
  statusLine,
  terminalProblem,
} from "../src/view/terminal_screen.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

const NONE = { permissions: "none" } as const;
const PLAIN = { kitty: false, sixel: false, colors256: true };
const CELL = { width: 10, height: 20 };

Deno.test("chooseMode() takes kitty, then sixel, from the terminal database", NONE, () => {
  const kitty = { kitty: true, sixel: true, colors256: true };
  assertEquals(chooseMode({ TERM: "xterm-kitty" }, { detected: kitty }).graphics, "kitty");
  const sixel = { kitty: false, sixel: true, colors256: true };
  assertEquals(chooseMode({ TERM: "foot" }, { detected: sixel }).graphics, "sixel");
  assertEquals(chooseMode({ TERM: "xterm" }, { detected: PLAIN }).graphics, "symbols");
});

Deno.test("chooseMode() lets --term-graphics override what was detected", NONE, () => {
  const kitty = { kitty: true, sixel: false, colors256: true };
  const forced = chooseMode({ TERM: "xterm-kitty" }, { detected: kitty, forced: "symbols" });
  // Kitty always has 24-bit colour, forced to symbols or not.
  assertEquals(forced, { graphics: "symbols", colors: "direct" });
  assertEquals(
    chooseMode({ TERM: "xterm" }, { detected: PLAIN, forced: "sixel" }).graphics,
    "sixel",
  );
});

Deno.test("chooseMode() picks 24-bit colour only from COLORTERM or a -direct TERM", NONE, () => {
  const colors = (env: Record<string, string>) => chooseMode(env, { detected: PLAIN }).colors;
  assertEquals(colors({ TERM: "xterm-256color" }), "256");
  assertEquals(colors({ TERM: "xterm-256color", COLORTERM: "truecolor" }), "direct");
  assertEquals(colors({ TERM: "xterm-256color", COLORTERM: "24bit" }), "direct");
  assertEquals(colors({ TERM: "xterm-direct" }), "direct");
  assertEquals(colors({ TERM: "screen-256color", COLORTERM: "" }), "256");
  assertEquals(colors({ TERM: "linux" }), "16");
  assertEquals(
    chooseMode({ TERM: "vt100" }, { detected: { ...PLAIN, colors256: false } }).colors,
    "16",
  );
});

Deno.test("terminalProblem() refuses an unset or dumb TERM only", NONE, () => {
  assert(terminalProblem({})?.includes("not set"));
  assert(terminalProblem({ TERM: "dumb" })?.includes('"dumb"'));
  assertEquals(terminalProblem({ TERM: "xterm-256color" }), null);
  assertEquals(terminalProblem({ TERM: "linux" }), null);
});

Deno.test(
  "fitPicture() fits 4:3 into 120x40 by height, centred, above the status line",
  NONE,
  () => {
    const layout = fitPicture({ cols: 120, rows: 40 }, { width: 640, height: 480, cell: CELL });
    // 39 rows of 1:2 cells hold 39 * 2 * 4/3 = 104 columns.
    assertEquals(layout, { cols: 104, rows: 39, left: 8, top: 0 });
  },
);

Deno.test("fitPicture() fits a wide frame by width and centres it vertically", NONE, () => {
  const layout = fitPicture({ cols: 80, rows: 40 }, { width: 1280, height: 720, cell: CELL });
  // 80 columns of 16:9 are 80 * 9/16 / 2 = 22.5 rows.
  assertEquals(layout, { cols: 80, rows: 23, left: 0, top: 8 });
  assert(layout!.top + layout!.rows <= 39, "never on the status line");
});

Deno.test("fitPicture() uses the cell shape the terminal reports", NONE, () => {
  const square = fitPicture({ cols: 120, rows: 40 }, {
    width: 640,
    height: 480,
    cell: { width: 10, height: 10 },
  });
  assertEquals(square, { cols: 52, rows: 39, left: 34, top: 0 });
});

Deno.test("fitPicture() returns null without room, and at least one cell otherwise", NONE, () => {
  const frame = { width: 640, height: 480, cell: CELL };
  assertEquals(fitPicture({ cols: 120, rows: 1 }, frame), null);
  assertEquals(fitPicture({ cols: 0, rows: 40 }, frame), null);
  assertEquals(fitPicture({ cols: 1, rows: 2 }, frame), { cols: 1, rows: 1, left: 0, top: 0 });
  const tall = fitPicture({ cols: 200, rows: 3 }, { width: 16, height: 8192, cell: CELL });
  assertEquals(tall, { cols: 1, rows: 2, left: 99, top: 0 });
});

Deno.test(
  "drawingCell() keeps the terminal's cell for sixel and symbols, and shrinks kitty's to the frame",
  NONE,
  () => {
    const options = {
      cell: CELL,
      picture: { cols: 104, rows: 39 },
      frame: { width: 320, height: 240 },
    };
    assertEquals(drawingCell("sixel", options), CELL);
    assertEquals(drawingCell("symbols", options), CELL);
    // 104x39 cells of 10x20 are 1040x780 pixels; the frame has 320x240.
    assertEquals(drawingCell("kitty", options), { width: 3, height: 6 });
    const big = { ...options, frame: { width: 4096, height: 3072 } };
    assertEquals(drawingCell("kitty", big), CELL, "never larger than the cell");
  },
);

Deno.test(
  "ENTER_SEQUENCE takes the alternate screen, hides the cursor and stops wrapping",
  NONE,
  () => {
    for (const part of ["\x1b[?1049h", "\x1b[?25l", "\x1b[?7l"]) {
      assert(
        ENTER_SEQUENCE.includes(part),
      );
    }
  },
);

Deno.test(
  "restoreSequence() undoes every mode ENTER_SEQUENCE set, normal screen last",
  NONE,
  () => {
    for (const graphics of ["symbols", "sixel", "kitty"] as const) {
      const restore = restoreSequence(graphics);
      for (const part of ["\x1b[0m", "\x1b[?7h", "\x1b[?25h", "\x1b[?1049l"]) {
        assert(restore.includes(part), `${graphics}: ${JSON.stringify(part)}`);
      }
      // CAN first: an escape sequence cut short by an exit ends before the reset.
      assert(restore.startsWith("\x18"));
      assert(restore.endsWith("\x1b[?1049l"));
      assertEquals(restore.includes("\x1b_Ga=d"), graphics === "kitty");
    }
  },
);

Deno.test("rowBreak() moves to the next line and back to the picture's left edge", NONE, () => {
  assertEquals(rowBreak(0), "\x1b[E");
  assertEquals(rowBreak(8), "\x1b[E\x1b[9G");
  assert(!rowBreak(8).includes("\n"), "a line feed would scroll at the bottom");
});

Deno.test("statusLine() writes the last row, cut to leave the last column empty", NONE, () => {
  const line = statusLine("x".repeat(200), { cols: 120, rows: 40 });
  assert(line.startsWith("\x1b[40;1H"));
  const text = line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  assertEquals([...text].length, 119);
  assert(text.endsWith("…"));
});

Deno.test(
  "statusLine() and centredText() turn a peer's control characters into spaces",
  NONE,
  () => {
    const hostile = "bob\x1b[2J\x07\x9b31m";
    for (
      const out of [
        statusLine(hostile, { cols: 80, rows: 24 }),
        centredText(hostile, { cols: 80, rows: 24 }),
      ]
    ) {
      assert(!out.includes("\x1b[2J"), JSON.stringify(out));
      assert(!out.includes("\x07") && !out.includes("\x9b"));
    }
  },
);

Deno.test("centredText() puts the card in the middle of the picture area", NONE, () => {
  assert(centredText("Waiting...", { cols: 120, rows: 40 }).startsWith("\x1b[20;56H"));
});

Deno.test("clearPictureArea() clears every row but the status line", NONE, () => {
  const out = clearPictureArea({ cols: 80, rows: 5 });
  assertEquals([...out.matchAll(/\x1b\[(\d+);1H\x1b\[2K/g)].map((m) => Number(m[1])), [1, 2, 3, 4]);
  assert(!out.includes("\x1b[2J"));
});

Deno.test(
  "keysFrom() maps q, Esc, Enter to quit, v to pause, s to snapshot, Ctrl-C to interrupt",
  NONE,
  () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    assertEquals(keysFrom(bytes("q")), ["quit"]);
    assertEquals(keysFrom(bytes("\x1b")), ["quit"]);
    assertEquals(keysFrom(bytes("\r")), ["quit"]);
    assertEquals(keysFrom(bytes("vsr?")), ["pause", "snapshot", "record", "help"]);
    assertEquals(keysFrom(bytes("\x03\x03")), ["interrupt", "interrupt"]);
  },
);

Deno.test("keysFrom() skips whole escape sequences, so an arrow key never quits", NONE, () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  assertEquals(keysFrom(bytes("\x1b[A\x1b[1;5D\x1bOP\x1b[15~")), []); // Up, Ctrl-Left, F1, F5
  assertEquals(keysFrom(bytes("\x1bq")), []); // Alt+q
  assertEquals(keysFrom(bytes("v\x1b[Bs")), ["pause", "snapshot"]);
  assertEquals(keysFrom(bytes("\x1b\x1b")), ["quit", "quit"]);
});

Deno.test("keysFrom() ignores the window's keys that mean nothing in a terminal", NONE, () => {
  assertEquals(keysFrom(new TextEncoder().encode("fpxiQ")), []);
});

Deno.test(
  "Terminal.route() sends status and live lines to the view until routed back",
  NONE,
  () => {
    const seen: string[] = [];
    const terminal = new Terminal(false);
    terminal.route({
      status: (message) => seen.push(`status:${message}`),
      live: (line) => seen.push(`live:${line}`),
    });
    terminal.status("In a call");
    terminal.live("30 fps");
    // Held messages are printed to stderr here (not observable without a process).
    terminal.route(null);
    terminal.live("back on stderr");
    assertEquals(seen, ["status:In a call", "live:30 fps"]);
  },
);

function callOptions(...args: string[]) {
  const command = parseCommandLine(["--peer", "h:1", ...args]);
  if (command.kind !== "call") throw new Error(`expected a call, got ${command.kind}`);
  return command.options;
}

Deno.test("--view: window by default, --no-window is none, terminal opens no window", NONE, () => {
  const pick = (...args: string[]) => {
    const o = callOptions(...args);
    return { view: o.view, window: o.window, termGraphics: o.termGraphics };
  };
  assertEquals(pick(), { view: "window", window: true, termGraphics: undefined });
  assertEquals(pick("--no-window"), { view: "none", window: false, termGraphics: undefined });
  assertEquals(pick("--view", "none"), { view: "none", window: false, termGraphics: undefined });
  assertEquals(pick("--view", "terminal"), {
    view: "terminal",
    window: false,
    termGraphics: undefined,
  });
  assertEquals(pick("--view", "terminal", "--term-graphics", "sixel"), {
    view: "terminal",
    window: false,
    termGraphics: "sixel",
  });
});

Deno.test("--view and --term-graphics refuse bad values and combinations in one line", NONE, () => {
  const refuse = (includes: string, ...args: string[]) =>
    assertThrows(() => callOptions(...args), UsageError, includes);
  refuse('Invalid --view "tty": expected window, terminal or none', "--view", "tty");
  refuse("--no-window means --view none", "--no-window", "--view", "terminal");
  refuse('Invalid --term-graphics "ascii"', "--view", "terminal", "--term-graphics", "ascii");
  refuse("--term-graphics needs --view terminal", "--term-graphics", "kitty");
  refuse("--stats json writes to stdout", "--view", "terminal", "--stats", "json");
  assertThrows(
    () => parseCommandLine(["--demo", "--view", "terminal"]),
    UsageError,
    "--view terminal draws one call",
  );
  assertEquals(callOptions("--view", "terminal", "--stats").stats, "text");
});

Deno.test("--help describes --view and --term-graphics", NONE, () => {
  assert(HELP.includes("--view window|terminal|none"));
  assert(HELP.includes("--term-graphics kitty|sixel|symbols"));
});
