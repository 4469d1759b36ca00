/**
 * Test helpers for windows: a private Xvfb server, window lookup, key
 * presses and screenshots (XWD, parsed here so no image tool is needed).
 *
 * @module
 */

import { run } from "./_tools.ts";

/** A running Xvfb server on its own display number. */
export class Xvfb implements AsyncDisposable {
  static #started = 0;
  readonly display: string;
  #child: Deno.ChildProcess;

  private constructor(display: string, child: Deno.ChildProcess) {
    this.display = display;
    this.#child = child;
  }

  /** Starts Xvfb and waits for its socket. */
  static async start(): Promise<Xvfb> {
    for (let n = 90 + (Deno.pid % 50) + Xvfb.#started++ % 20;; n++) {
      try {
        Deno.statSync(`/tmp/.X11-unix/X${n}`);
        continue; // taken
      } catch { /* free */ }
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command("Xvfb", {
          args: [`:${n}`, "-screen", "0", "1600x900x24", "-nolisten", "tcp", "-noreset"],
          stdout: "null",
          stderr: "null",
        }).spawn();
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new Error(
            "Xvfb is not installed: run the README's test command, which installs it",
          );
        }
        throw error;
      }
      for (let i = 0; i < 100; i++) {
        try {
          Deno.statSync(`/tmp/.X11-unix/X${n}`);
          return new Xvfb(`:${n}`, child);
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      child.kill();
      await child.status;
      throw new Error(`Xvfb :${n} did not start`);
    }
  }

  /** Environment for programs that should use this display. */
  env(): Record<string, string> {
    return { DISPLAY: this.display };
  }

  /**
   * Starts a real window manager (openbox) on this display and waits until
   * it has taken over; Xvfb alone has none to act on fullscreen requests.
   *
   * @returns The window manager; dispose of it to stop it.
   */
  async windowManager(): Promise<AsyncDisposable> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command("openbox", {
        args: ["--sm-disable"],
        env: this.env(),
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(
          "openbox is not installed: run the README's test command, which installs it",
        );
      }
      throw error;
    }
    const stop = async (): Promise<void> => {
      try {
        child.kill();
      } catch { /* gone */ }
      await child.status;
    };
    for (let i = 0; i < 100; i++) {
      const root = await run("xprop", ["-root", "_NET_SUPPORTING_WM_CHECK"], this.env());
      if (/window id # 0x/.test(root)) return { [Symbol.asyncDispose]: stop };
      await new Promise((r) => setTimeout(r, 50));
    }
    await stop();
    throw new Error(`openbox did not take over display ${this.display}`);
  }

  /** Finds a top-level window by exact title; returns its id or undefined. */
  async findWindow(title: string): Promise<string | undefined> {
    const tree = await run("xwininfo", ["-root", "-tree"], this.env());
    const line = tree.split("\n").find((l) => l.includes(`"${title}"`));
    return line?.trim().split(/\s+/)[0];
  }

  /** Waits for a window with `title`. */
  async waitForWindow(title: string, timeoutMs = 15000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const id = await this.findWindow(title);
      if (id) return id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`No window titled "${title}" appeared`);
  }

  /** Sends a key press to a window (xdotool key names: q, Escape, Return). */
  async key(window: string, key: string): Promise<void> {
    await run("xdotool", ["key", "--window", window, key], this.env());
  }

  /** Asks a window to close, as the close button does under a window manager. */
  async close(window: string): Promise<void> {
    await run("python3", [new URL("./_wm_close.py", import.meta.url).pathname, window], this.env());
  }

  /** Captures a window's pixels. */
  async screenshot(window: string): Promise<Screenshot> {
    const out = await new Deno.Command("xwd", {
      args: ["-id", window, "-silent"],
      env: this.env(),
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`xwd failed: ${new TextDecoder().decode(out.stderr)}`);
    return parseXwd(out.stdout);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill();
    } catch { /* gone */ }
    await this.#child.status;
  }
}

/** An RGB image. */
export interface Screenshot {
  width: number;
  height: number;
  /** Packed RGB, 3 bytes a pixel. */
  rgb: Uint8Array;
}

/** Parses a 24/32-bit TrueColor XWD dump. */
export function parseXwd(bytes: Uint8Array): Screenshot {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = (i: number) => v.getUint32(i * 4);
  const [headerSize, , , , width, height, , byteOrder, , , , bpp, bytesPerLine] = Array.from(
    { length: 13 },
    (_, i) => f(i),
  ) as number[];
  const [redMask, greenMask, blueMask] = [f(14), f(15), f(16)];
  const ncolors = f(19);
  if (bpp !== 32) throw new Error(`unsupported XWD: ${bpp} bits per pixel`);
  const data = headerSize! + ncolors * 12;
  const shift = (mask: number) => Math.log2(mask & -mask);
  const rgb = new Uint8Array(width! * height! * 3);
  for (let y = 0; y < height!; y++) {
    for (let x = 0; x < width!; x++) {
      const p = v.getUint32(data + y * bytesPerLine! + x * 4, byteOrder === 0);
      const o = (y * width! + x) * 3;
      rgb[o] = (p & redMask) >>> shift(redMask);
      rgb[o + 1] = (p & greenMask) >>> shift(greenMask);
      rgb[o + 2] = (p & blueMask) >>> shift(blueMask);
    }
  }
  return { width: width!, height: height!, rgb };
}
