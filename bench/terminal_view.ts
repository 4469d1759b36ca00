/**
 * The terminal view's costs (`--view terminal`): what its picture sink
 * takes on the main thread per received frame (copying the newest frame),
 * and what chafa takes per picture on its pool thread, per mode, for the
 * test pattern in a 120x40 terminal (a 104x39-cell picture).
 *
 *     deno run -A bench/terminal_view.ts
 *
 * @module
 */

import { Capture, Frame } from "../ffi/mod.ts";
import { TerminalCanvas } from "../ffi/terminal_canvas.ts";

function percentiles(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return `p50 ${at(0.5).toFixed(3)} ms, p95 ${at(0.95).toFixed(3)} ms`;
}

async function testPattern(width: number, height: number): Promise<Frame> {
  using capture = await Capture.open({ kind: "test", spec: "", width, height, fps: 0 });
  const frame = new Frame();
  for (let i = 0; i < 10; i++) capture.readSync(frame);
  return frame;
}

for (const [width, height] of [[640, 480], [1280, 720]] as const) {
  using frame = await testPattern(width, height);
  const kept = new Uint8Array(width * height * 3);
  const samples: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    frame.copyBGR(kept);
    samples.push(performance.now() - t0);
  }
  console.log(`picture sink, ${width}x${height}: ${percentiles(samples)} (main thread)`);
}

using frame = await testPattern(640, 480);
const bgr = frame.toBGR();
using canvas = new TerminalCanvas({ TERM: "xterm-256color" });
const rowBreak = "\x1b[E\x1b[9G";
const modes = [
  ["symbols", "256"],
  ["symbols", "direct"],
  ["sixel", "direct"],
  ["kitty", "direct"],
] as const;
for (const [graphics, colors] of modes) {
  // Kitty pictures are made no larger than the frame (drawingCell()).
  const cell = graphics === "kitty" ? { w: 6, h: 12 } : { w: 10, h: 20 };
  canvas.configure({
    graphics,
    colors,
    cols: 104,
    rows: 39,
    cellWidth: cell.w,
    cellHeight: cell.h,
  });
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    bytes = (await canvas.draw(bgr, { width: 640, height: 480, rowBreak })).length;
    samples.push(performance.now() - t0);
  }
  console.log(
    `chafa ${graphics} ${colors}, 640x480 into 104x39 cells: ${percentiles(samples)}, ` +
      `${(bytes / 1024).toFixed(0)} KB per picture (pool thread)`,
  );
}
