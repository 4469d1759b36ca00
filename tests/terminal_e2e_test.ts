// deno-lint-ignore-file no-control-regex -- the tests match terminal escape sequences
/**
 * `--view terminal` under a real tmux: a headless peer sends the test
 * pattern, the receiver draws it in a 120x40 pane; the tests read the pane
 * as a user would see it (`capture-pane -e`), type keys into it, and check
 * the terminal's modes once peercam has gone.
 */

import { delay } from "../src/async.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { HEADLESS, listening, type Peer, runPeer } from "./_peer.ts";
import { TmuxPane, waitUntil } from "./_tmux.ts";
import { freePort, ROOT } from "./_tools.ts";

const ROWS = 40;

interface Call {
  pane: TmuxPane;
  sender: Peer;
  dir: string;
}

// The pane's script: peercam, then its exit status and the terminal's
// modes as the shell sees them afterwards; the pane stays open for checks.
async function startCall(
  env: Record<string, string | null>,
  args: string[] = [],
): Promise<Call> {
  const port = freePort();
  const sender = await listening(port, HEADLESS);
  const dir = await Deno.makeTempDir({ prefix: "peercam-term-" });
  const exports = Object.entries(env)
    .map(([name, value]) => value === null ? `unset ${name}` : `export ${name}='${value}'`)
    .join("; ");
  const peercam = [
    Deno.execPath(),
    "run",
    "-A",
    `${ROOT}main.ts`,
    "--peer",
    `127.0.0.1:${port}`,
    "--source",
    "none",
    "--view",
    "terminal",
    "--snapshot-dir",
    dir,
    ...args,
  ].map((a) => `'${a}'`).join(" ");
  const script = `cd '${dir}'; ${exports}; ${peercam} 2>'${dir}/stderr'; ` +
    `echo $? >'${dir}/rc'; stty -a >'${dir}/stty'; exec sleep 120`;
  const pane = await TmuxPane.start(script, { cols: 120, rows: ROWS });
  return { pane, sender, dir };
}

async function endCall(call: Call): Promise<void> {
  await call.pane.kill();
  try {
    call.sender.child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await call.sender.exit(10_000).catch(() => {});
  await Deno.remove(call.dir, { recursive: true });
}

// The picture's rows (all but the status line).
function pictureRows(screen: string[]): string {
  return screen.slice(0, ROWS - 1).join("\n");
}

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

const SGR_256 = /\x1b\[[0-9;]*38;5;\d+/g;
const SGR_DIRECT = /\x1b\[[0-9;]*38;2;\d+;\d+;\d+/g;

// Waits until the pane shows a picture drawn with `colours`.
async function waitForPicture(pane: TmuxPane, colours: RegExp): Promise<string> {
  return await waitUntil("a coloured picture in the pane", async () => {
    const picture = pictureRows(await pane.capture());
    return count(picture, colours) > 200 ? picture : undefined;
  });
}

async function exitStatus(dir: string): Promise<string> {
  return await waitUntil("peercam to exit", async () => {
    try {
      const text = (await Deno.readTextFile(`${dir}/stty`)).trim();
      return text === "" ? undefined : (await Deno.readTextFile(`${dir}/rc`)).trim();
    } catch {
      return undefined;
    }
  });
}

// After peercam: cursor shown, normal screen, and the shell's line
// discipline back (canonical input and echo).
async function assertRestored(call: Call): Promise<void> {
  assertEquals(await call.pane.display("#{cursor_flag} #{alternate_on}"), "1 0");
  const stty = await Deno.readTextFile(`${call.dir}/stty`);
  assertMatch(stty, /(^|\s)icanon(\s|$)/, stty);
  assertMatch(stty, /(^|\s)echo(\s|$)/, stty);
  assertMatch(stty, /(^|\s)isig(\s|$)/, stty);
}

Deno.test("--view terminal draws the peer's video in 256 colours in tmux; v, ? and q work; the terminal is given back", async () => {
  const call = await startCall({ TERM: "xterm-256color", COLORTERM: null });
  try {
    const first = await waitForPicture(call.pane, SGR_256);
    assertEquals(count(first, SGR_DIRECT), 0, "24-bit colours without COLORTERM");
    await delay(1000);
    const second = pictureRows(await call.pane.capture());
    assert(second !== first, "the picture did not change in a second");
    assert(count(second, SGR_256) > 200);
    const screen = await call.pane.capture();
    // 320x240 in 120x39 cells of 1:2 is 104x39, centred: every row is 8 untouched
    // cells (after tmux's own colour resets), then the picture's colours (tmux
    // leaves out trailing blanks).
    for (const row of screen.slice(0, ROWS - 1)) {
      assert(/^(\x1b\[(39|49|0)?m)* {8}\x1b\[/.test(row), JSON.stringify(row.slice(0, 40)));
      assert([...row.replace(/\x1b\[[0-9;]*m/g, "")].length <= 112, JSON.stringify(row));
    }
    // Status messages go to the last row, not over the picture.
    assertEquals(screen.slice(0, ROWS - 1).filter((row) => row.includes("peercam:")).length, 0);
    assertMatch(screen[ROWS - 1]!, /In a call with|fps|q quit/);
    assertEquals(await call.pane.display("#{cursor_flag} #{alternate_on}"), "0 1");

    // v and ? answer on the status line.
    await call.pane.sendKeys("v");
    await waitUntil("the pause on the status line", async () => {
      const last = (await call.pane.capture())[ROWS - 1]!;
      return last.includes("You paused your video") ? true : undefined;
    });
    await call.pane.sendKeys("?");
    await waitUntil("the keys on the status line", async () => {
      const last = (await call.pane.capture())[ROWS - 1]!;
      return last.includes("q quit") ? true : undefined;
    });

    await call.pane.sendKeys("q");
    assertEquals(await exitStatus(call.dir), "0");
    await assertRestored(call);
    const stderr = await Deno.readTextFile(`${call.dir}/stderr`);
    // What the status line showed during the call is printed once the view is gone.
    assertMatch(stderr, /peercam: In a call with .*\n(.*\n)*peercam: You ended the call/);
    assertEquals(await call.sender.exit(10_000), 0);
  } finally {
    await endCall(call);
  }
});

Deno.test("--view terminal uses 24-bit colour with COLORTERM=truecolor; s saves a snapshot; Ctrl-C ends the call", async () => {
  const call = await startCall({ TERM: "xterm-256color", COLORTERM: "truecolor" });
  try {
    const first = await waitForPicture(call.pane, SGR_DIRECT);
    assertEquals(count(first, SGR_256), 0, "256 colours with COLORTERM=truecolor");
    // The peer sends 30 frames a second; the view draws at most 15 pictures a
    // second, each starting at the picture's top-left cell (row 1, column 9).
    const raw = `${call.dir}/raw`;
    await call.pane.tmux("pipe-pane", "-o", `cat >> '${raw}'`);
    await delay(2000);
    await call.pane.tmux("pipe-pane");
    const pictures = count(await Deno.readTextFile(raw), /\x1b\[1;9H/g);
    assert(pictures >= 4 && pictures <= 2 * 15 + 2, `${pictures} pictures in 2 s`);
    await call.pane.sendKeys("s");
    const saved = await waitUntil("a snapshot", async () => {
      for await (const entry of Deno.readDir(call.dir)) {
        if (entry.name.endsWith(".jpg")) return entry.name;
      }
      return undefined;
    });
    assertMatch(saved, /\.jpg$/);
    await waitUntil("the snapshot's status line", async () => {
      const screen = await call.pane.capture();
      return screen[ROWS - 1]!.includes("Saved a snapshot") ? true : undefined;
    });

    await call.pane.sendKeys("C-c");
    assertEquals(await exitStatus(call.dir), "0");
    await assertRestored(call);
    assertMatch(await Deno.readTextFile(`${call.dir}/stderr`), /Interrupted \(Ctrl-C\)/);
  } finally {
    await endCall(call);
  }
});

Deno.test("--view terminal --term-graphics symbols overrides kitty; follows a resize; SIGTERM gives the terminal back", async () => {
  // TERM=xterm-kitty alone would pick kitty images, which tmux does not show.
  const call = await startCall({ TERM: "xterm-kitty", COLORTERM: null, DISPLAY: null }, [
    "--term-graphics",
    "symbols",
  ]);
  try {
    await waitForPicture(call.pane, SGR_DIRECT);
    // Narrower: the picture must fit 60 columns, and the status line moves to row 30.
    await call.pane.tmux("resize-window", "-x", "60", "-y", "30");
    await waitUntil("the picture redrawn at 60x30", async () => {
      const screen = await call.pane.capture();
      const rows = screen.slice(0, 29);
      // 640x480 in 60 columns of 1:2 cells is 23 rows, centred in the 29 above the status line.
      const coloured = rows.map((row) => count(row, SGR_DIRECT) > 5);
      return coloured.filter(Boolean).length === 23 && coloured.indexOf(true) === 3 &&
          /fps|In a call|q quit/.test(screen[29]!)
        ? true
        : undefined;
    });
    const pid = (await call.pane.tmux("list-panes", "-F", "#{pane_pid}")).trim();
    const child = await new Deno.Command("pgrep", { args: ["-P", pid] }).output();
    const peercamPid = Number(new TextDecoder().decode(child.stdout).trim().split("\n")[0]);
    assert(peercamPid > 0, "peercam's pid");
    // No display needed, and none of highgui or Qt loaded; libchafa is.
    const maps = await Deno.readTextFile(`/proc/${peercamPid}/maps`);
    assert(maps.includes("/libpeercam_chafa.so"), "the chafa shim is loaded");
    assert(!maps.includes("libopencv_highgui") && !maps.includes("libQt"), "no highgui, no Qt");
    assert(!maps.includes("/libpeercam_window.so"), "no window library");
    Deno.kill(peercamPid, "SIGTERM");
    assertEquals(await exitStatus(call.dir), "0");
    await assertRestored(call);
  } finally {
    await endCall(call);
  }
});

Deno.test("--view terminal ends when the peer hangs up and gives the terminal back", async () => {
  const call = await startCall({ TERM: "xterm-256color", COLORTERM: null });
  try {
    await waitForPicture(call.pane, SGR_256);
    call.sender.child.kill("SIGTERM");
    // The peer said goodbye: the call ends normally.
    assertEquals(await exitStatus(call.dir), "0");
    await assertRestored(call);
    assertMatch(await Deno.readTextFile(`${call.dir}/stderr`), /ended the call|hung up/);
  } finally {
    await endCall(call);
  }
});

Deno.test("--view terminal shows the waiting card while no peer answers; Esc ends the call", async () => {
  const dir = await Deno.makeTempDir({ prefix: "peercam-term-" });
  const port = freePort(); // nobody listens there
  const script = `cd '${dir}'; export TERM=xterm-256color; '${Deno.execPath()}' run -A ` +
    `'${ROOT}main.ts' --peer 127.0.0.1:${port} --source none --view terminal 2>'${dir}/stderr'; ` +
    `echo $? >'${dir}/rc'; stty -a >'${dir}/stty'; exec sleep 120`;
  const pane = await TmuxPane.start(script, { cols: 120, rows: ROWS });
  try {
    await waitUntil("the waiting card", async () => {
      const screen = await pane.capture();
      const row = screen.findIndex((line) => line.includes("Waiting for the peer..."));
      // Centred in the picture area: the middle row, not the status line.
      return row === Math.floor((ROWS - 1) / 2) ? true : undefined;
    });
    await pane.sendKeys("Escape");
    assertEquals(await exitStatus(dir), "0");
    await assertRestored({ pane, dir, sender: undefined as unknown as Peer });
  } finally {
    await pane.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--view terminal: a second Ctrl-C exits at once and still gives the terminal back", async () => {
  const call = await startCall({ TERM: "xterm-256color", COLORTERM: null });
  try {
    await waitForPicture(call.pane, SGR_256);
    // A frozen peer: the first Ctrl-C's goodbye waits for it.
    call.sender.child.kill("SIGSTOP");
    await call.pane.sendKeys("C-c");
    await delay(300);
    await call.pane.sendKeys("C-c");
    assertEquals(await exitStatus(call.dir), "1");
    await assertRestored(call);
    assertMatch(await Deno.readTextFile(`${call.dir}/stderr`), /Interrupted again/);
  } finally {
    call.sender.child.kill("SIGCONT");
    await endCall(call);
  }
});

Deno.test("--view terminal without a terminal on stdin and stdout fails in one line, exit 1", async () => {
  const { code, stderr } = await runPeer([
    "--peer",
    "127.0.0.1:9",
    "--source",
    "none",
    "--view",
    "terminal",
  ]);
  assertEquals(code, 1);
  assertEquals(
    stderr.trim(),
    "peercam: --view terminal needs a terminal on stdin and stdout: run it in a terminal, " +
      "or use --view none to receive without showing video",
  );
});

Deno.test("--view terminal without libpeercam_chafa.so says how to get it, exit 1, terminal untouched", async () => {
  // A shim directory with every library but the terminal one.
  const shim = await Deno.makeTempDir({ prefix: "peercam-shim-" });
  const dir = await Deno.makeTempDir({ prefix: "peercam-term-" });
  for (const file of ["libpeercam.so", "libpeercam_capture.so", "libpeercam_window.so"]) {
    await Deno.copyFile(`${ROOT}shim/build/${file}`, `${shim}/${file}`);
  }
  const script = `export TERM=xterm-256color PEERCAM_SHIM='${shim}/libpeercam.so'; ` +
    `'${Deno.execPath()}' run -A '${ROOT}main.ts' --peer 127.0.0.1:9 --source none ` +
    `--view terminal 2>'${dir}/stderr'; echo $? >'${dir}/rc'; stty -a >'${dir}/stty'; exec sleep 120`;
  const pane = await TmuxPane.start(script);
  try {
    assertEquals(await exitStatus(dir), "1");
    const stderr = (await Deno.readTextFile(`${dir}/stderr`)).trim();
    assertEquals(stderr.split("\n").length, 1, stderr);
    assertMatch(stderr, /libpeercam_chafa\.so.*sudo apt-get install libchafa-dev libglib2\.0-dev/);
    await assertRestored({ pane, dir, sender: undefined as unknown as Peer });
  } finally {
    await pane.kill();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(shim, { recursive: true });
  }
});

Deno.test("--view terminal shows the reconnecting card, then gives the terminal back on an error", async () => {
  const call = await startCall({ TERM: "xterm-256color", COLORTERM: null }, [
    "--reconnect-timeout",
    "2",
  ]);
  try {
    await waitForPicture(call.pane, SGR_256);
    call.sender.child.kill("SIGKILL"); // no goodbye: the receiver tries to reconnect
    await waitUntil("the reconnecting card", async () => {
      const screen = await call.pane.capture();
      const row = screen.findIndex((line) => line.includes("Reconnecting to"));
      return row === Math.floor((ROWS - 1) / 2) ? true : undefined;
    });
    // The peer does not come back within --reconnect-timeout: a runtime failure.
    assertEquals(await exitStatus(call.dir), "1");
    await assertRestored(call);
    const stderr = (await Deno.readTextFile(`${call.dir}/stderr`)).trim().split("\n");
    assertMatch(stderr.at(-1)!, /^peercam: The peer did not come back within 2 s/);
  } finally {
    await endCall(call);
  }
});

Deno.test("--view terminal on both sides: v on one shows the paused card on the other, and back", async () => {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "peercam-term-" });
  const side = (name: string, args: string) =>
    `cd '${dir}'; export TERM=xterm-256color; unset COLORTERM; '${Deno.execPath()}' run -A ` +
    `'${ROOT}main.ts' --name ${name} --source test --size 320x240 --view terminal ${args} ` +
    `2>'${dir}/${name}.stderr'; echo $? >'${dir}/${name}.rc'; exec sleep 120`;
  const alice = await TmuxPane.start(side("alice", `--listen 127.0.0.1:${port}`));
  let bob: TmuxPane | undefined;
  try {
    await waitUntil("alice's waiting card", async () => {
      return (await alice.capture()).some((row) => row.includes("Waiting for the peer..."))
        ? true
        : undefined;
    });
    bob = await TmuxPane.start(side("bob", `--peer 127.0.0.1:${port}`));
    await waitForPicture(bob, SGR_256);
    await alice.sendKeys("v");
    await waitUntil("bob's paused card", async () => {
      const screen = await bob!.capture();
      return screen[Math.floor((ROWS - 1) / 2)]!.includes("alice paused their video")
        ? true
        : undefined;
    });
    await alice.sendKeys("v");
    await waitForPicture(bob, SGR_256);
    await bob.sendKeys("q");
    const rc = (name: string) =>
      waitUntil(`${name} to exit`, async () => {
        try {
          const text = (await Deno.readTextFile(`${dir}/${name}.rc`)).trim();
          return text === "" ? undefined : text;
        } catch {
          return undefined;
        }
      });
    assertEquals(await rc("bob"), "0");
    assertEquals(await rc("alice"), "0");
    for (const pane of [alice, bob]) {
      assertEquals(await pane.display("#{cursor_flag} #{alternate_on}"), "1 0");
    }
  } finally {
    await alice.kill();
    await bob?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});
