// For tests/window_test.ts, run with DISPLAY set to a private Xvfb: opens a
// window showing a frame, retitles it, switches it to fullscreen and back,
// and prints one JSON line per stage ({ stage, fullscreen, rect }), waiting
// for a line on stdin before going on so the test can look at the screen.
import { fillFrame, Frame, Window } from "../ffi/mod.ts";

const input = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
let buffered = "";
async function nextLine(): Promise<void> {
  while (!buffered.includes("\n")) {
    const { value, done } = await input.read();
    if (done) Deno.exit(1);
    buffered += value;
  }
  buffered = buffered.slice(buffered.indexOf("\n") + 1);
}

using win = new Window(`probe:${Deno.pid}`, "peercam probe");
using frame = new Frame();
fillFrame(frame, 320, 240, [0, 160, 0]);
win.resize(320, 240);
win.show(frame);

// Runs the GUI loop until `done` holds (or 3 s pass), for the window
// manager-less X server to map, resize and expose the window.
function pump(done: () => boolean): void {
  const deadline = Date.now() + 3000;
  for (let i = 0; Date.now() < deadline; i++) {
    win.show(frame);
    win.pollKey(10);
    if (i >= 10 && done()) return;
  }
}

async function stage(name: string): Promise<void> {
  console.log(JSON.stringify({ stage: name, fullscreen: win.fullscreen, rect: win.imageRect() }));
  await nextLine();
}

pump(() => win.imageRect().width === 320);
win.title = "peercam probe: retitled";
pump(() => true);
await stage("normal");
win.fullscreen = true;
pump(() => win.imageRect().width > 320);
await stage("fullscreen");
win.fullscreen = false;
pump(() => win.imageRect().width < 1600);
await stage("normal again");
