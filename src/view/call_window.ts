/**
 * {@linkcode CallWindow}: the window a call shows — the peer's video, your
 * self-view in the corner, the HUD, placeholder cards while there is no
 * live video, the help card, and the keys. A picture sink of the receive
 * fan-out; every call here is a synchronous call on the main thread, as Qt
 * requires.
 *
 * @module
 */

import {
  type Bgr,
  drawRect,
  drawText,
  fillFrame,
  Frame,
  measureText,
  overlayScaled,
  type Rect,
  shadeRect,
  Window,
} from "../../ffi/mod.ts";
import type { FrameInfo } from "../receive/fanout.ts";
import type { CallView } from "./call_view.ts";
import { type CardKind, cardText } from "./cards.ts";
import { type HudInfo, hudLines, hudVisible } from "./hud.ts";
import { actionForKey, type KeyAction, keyHelpLines } from "./keys.ts";
import { SELF_VIEW_SHARE, SelfView } from "./self_view.ts";
import { textHeight, TextPanel } from "./text_panel.ts";

/** Largest initial window edge; bigger frames are shown scaled down. */
export const MAX_WINDOW_EDGE = 1280;

/** How often the window is pumped for keys and redrawn while it shows a card, ms. */
export const PUMP_MS = 20;

/** How often a card is redrawn (its self-view and HUD move), ms. */
export const CARD_REDRAW_MS = 100;

const BLACK: Bgr = [0, 0, 0];
const CARD_COLOR: Bgr = [38, 34, 32];
const HELP_LINES = ["Keys", ...keyHelpLines()];
const TEXT_COLOR: Bgr = [240, 240, 240];

/** Options for {@linkcode CallWindow}. */
export interface CallWindowOptions {
  /** A unique window id. */
  id: string;
  /** Where to put the window's top-left corner. */
  at?: [number, number];
  /** The size to show cards at before the peer's first frame. */
  size: { width: number; height: number };
  /** Whether the self-view starts shown. */
  selfView: boolean;
  /** When the HUD shows until `i` is pressed. */
  hud: "auto" | "on" | "off";
  /** Keys the window does not handle itself: quit, pause, snapshot. */
  onAction: (action: KeyAction) => void;
  /** The user closed the window. */
  onClosed: () => void;
}

/** A size in pixels. */
export interface Size {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** How the window shows a frame of the peer's: see {@linkcode pictureLayout}. */
export interface PictureLayout {
  /** The size the window shows. */
  shown: Size;
  /**
   * Where the frame goes, scaled, on a canvas of the shown size (the rest
   * black), or null to show the frame itself.
   */
  rect: Rect | null;
}

/**
 * Where the peer's frame goes in the window. The window grows to a frame
 * larger than it shows (to the frame's size, at most
 * {@linkcode MAX_WINDOW_EDGE} on its longer edge), unless `grow` is false
 * (fullscreen); it never shrinks. A frame smaller than what the window shows
 * — the peer lowered its size for a slow link, or started with a smaller
 * one — is scaled up into the shown size, its aspect kept, centred, so the
 * window does not jump in size.
 *
 * @example
 * ```ts
 * pictureLayout({ width: 640, height: 480 }, { width: 320, height: 180 });
 * // { shown: { width: 640, height: 480 }, rect: { x: 0, y: 60, width: 640, height: 360 } }
 * ```
 *
 * @param shown The size the window shows now.
 * @param frame The frame's size.
 * @param options `grow`: whether the window may grow (default true).
 * @returns The size to show and where the frame goes.
 */
export function pictureLayout(
  shown: Size,
  frame: Size,
  options: { grow?: boolean } = {},
): PictureLayout {
  const full = fit(frame.width, frame.height);
  const grow = (options.grow ?? true) &&
    (full.width > shown.width || full.height > shown.height);
  if (grow) return { shown: full, rect: null };
  const within = full.width <= shown.width && full.height <= shown.height;
  if (!within || sameSize(full, shown)) return { shown, rect: null };
  const scale = Math.min(shown.width / frame.width, shown.height / frame.height);
  const width = Math.min(shown.width, Math.round(frame.width * scale));
  const height = Math.min(shown.height, Math.round(frame.height * scale));
  const rect = {
    x: Math.floor((shown.width - width) / 2),
    y: Math.floor((shown.height - height) / 2),
    width,
    height,
  };
  return { shown, rect };
}

/**
 * Title of a call's window.
 *
 * @param peerName The peer's name, or null before it is known.
 * @param secure Whether the call is encrypted.
 * @returns The title.
 */
export function windowTitle(peerName: string | null, secure: boolean): string {
  return peerName === null
    ? "peercam — waiting for the peer"
    : `peercam — ${peerName} (${secure ? "encrypted" : "not encrypted"})`;
}

/** The call's window. */
export class CallWindow implements CallView, Disposable {
  #o: CallWindowOptions;
  #win: Window;
  #card = new Frame();
  #cardKind: CardKind | null = "waiting";
  #cardDrawn = -Infinity;
  #shown: Size;
  #frameWidth = 0;
  #frameHeight = 0;
  // A peer's frame smaller than the window is scaled onto this canvas.
  #canvas = new Frame();
  #canvasWidth = 0;
  #canvasHeight = 0;
  // Where on the canvas the frame goes, or null to show frames as they are.
  #rect: Rect | null = null;
  // The canvas outside #rect, filled black again before each frame.
  #bars: Rect[] = [];
  #sendDegraded = false;
  #hud: HudInfo = {
    peerName: null,
    secure: null,
    phase: "connecting",
    stats: null,
    paused: false,
    received: null,
  };
  #hudLines: string[] = hudLines(this.#hud);
  #hudChoice: boolean | null = null;
  #callStart: number | null = null;
  #help = false;
  #hudPanel = new TextPanel();
  #helpPanel = new TextPanel();
  #timer: ReturnType<typeof setInterval>;
  #closed = false;
  /** Your own video in the corner. */
  readonly selfView: SelfView;
  /**
   * Whether the link is degraded (the HUD then shows by itself): this side
   * sends below its ceiling (the stats given to `update()`), or the peer's
   * frames are smaller than the window shows.
   */
  degraded = false;

  /**
   * Opens the window, showing the waiting card. Check `displayAvailable()`
   * first: Qt aborts the process without a display.
   *
   * @param options Id, placement, initial size, self-view and the key handler.
   * @throws {ShimError} When the window cannot be opened.
   */
  constructor(options: CallWindowOptions) {
    this.#o = options;
    this.selfView = new SelfView(options.selfView);
    this.#hudChoice = options.hud === "auto" ? null : options.hud === "on";
    this.#win = new Window(options.id, windowTitle(null, false));
    this.#shown = fit(options.size.width, options.size.height);
    this.#win.resize(this.#shown.width, this.#shown.height);
    if (options.at) this.#win.move(options.at[0], options.at[1]);
    this.#drawCard();
    // Keep the GUI responsive (keys, close button) even when no frame arrives.
    this.#timer = setInterval(() => this.#pump(), PUMP_MS);
  }

  /**
   * The peer is known (or known again after reconnecting).
   *
   * @param name The peer's name.
   * @param secure Whether the call is encrypted.
   */
  setPeer(name: string, secure: boolean): void {
    this.update({ peerName: name, secure });
    this.#win.title = windowTitle(name, secure);
  }

  /**
   * Shows a card instead of the peer's video until its next frame, or
   * (null) goes back to the video.
   *
   * @param kind Why there is no live video, or null.
   */
  setCard(kind: CardKind | null): void {
    if (kind === this.#cardKind) return;
    this.#cardKind = kind;
    this.#cardDrawn = -Infinity;
  }

  /**
   * Updates what the HUD reports.
   *
   * @param info The changed fields.
   */
  update(info: Partial<HudInfo>): void {
    Object.assign(this.#hud, info);
    this.#hudLines = hudLines(this.#hud);
    if (info.stats !== undefined) this.#sendDegraded = info.stats?.degraded ?? false;
    this.degraded = this.#sendDegraded || !!this.#hud.received;
    if (info.phase === "connected" && this.#callStart === null) {
      this.#callStart = performance.now();
    }
  }

  /**
   * Shows a decoded frame from the peer with the self-view, HUD and help
   * drawn on it. A frame smaller than the window shows is scaled up onto a
   * canvas of the window's size first (see {@linkcode pictureLayout}).
   */
  picture(frame: Frame, _info: FrameInfo): void {
    if (this.#closed) return;
    this.#cardKind = null;
    const width = frame.width, height = frame.height;
    // Lay out again whenever the frames' size changes or fullscreen was
    // toggled. Checked in JS first, so a steady call makes no window query
    // per frame.
    if (width !== this.#frameWidth || height !== this.#frameHeight) this.#layOut(width, height);
    const rect = this.#rect;
    let image = frame;
    if (rect !== null) {
      image = this.#canvas;
      overlayScaled(image, frame, rect);
      // The HUD and self-view of the last frame may lie on the bars.
      for (const bar of this.#bars) drawRect(image, bar, BLACK, 0);
    }
    this.#compose(image);
    this.#win.show(image);
    this.#pumpKeys();
    // After the show: the self-view's decode is not on the peer's frames' path.
    this.selfView.refresh(
      selfViewWidth(rect === null ? width : this.#shown.width),
      performance.now(),
    );
  }

  #layOut(width: number, height: number): void {
    const grow = !this.#win.fullscreen;
    // Remembered in fullscreen too (no window query per frame there);
    // leaving fullscreen lays out again at the next frame.
    this.#frameWidth = width;
    this.#frameHeight = height;
    const { shown, rect } = pictureLayout(this.#shown, { width, height }, { grow });
    if (!sameSize(this.#shown, shown)) {
      this.#shown = shown;
      this.#win.resize(shown.width, shown.height);
    }
    this.#rect = rect;
    this.#bars = rect === null ? [] : bars(shown, rect);
    if (
      rect !== null && (this.#canvasWidth !== shown.width || this.#canvasHeight !== shown.height)
    ) {
      // The only allocation: once per shown size, not per frame.
      fillFrame(this.#canvas, shown.width, shown.height, BLACK);
      this.#canvasWidth = shown.width;
      this.#canvasHeight = shown.height;
    }
    const received = rect === null ? null : { width, height };
    const was = this.#hud.received ?? null;
    if (received?.width !== was?.width || received?.height !== was?.height) {
      this.update({ received });
    }
  }

  /** Whether the HUD is drawn now. */
  get hudShown(): boolean {
    return hudVisible({
      now: performance.now(),
      callStart: this.#callStart,
      phase: this.#hud.phase,
      degraded: this.degraded,
      choice: this.#hudChoice,
    });
  }

  #compose(image: Frame): void {
    this.selfView.drawInto(image);
    if (this.#hud.paused) this.#selfPausedLabel(image);
    if (this.hudShown) this.#hudPanel.drawInto(image, this.#hudLines, "top-left");
    if (this.#help) this.#helpPanel.drawInto(image, HELP_LINES, "center");
  }

  #selfPausedLabel(image: Frame): void {
    const lineHeight = textHeight(image.height);
    const text = "you are paused (v)";
    const size = measureText(text, lineHeight);
    const x = image.width - size.width - Math.round(image.width * 0.03);
    const y = Math.round(image.height * 0.02);
    shadeRect(image, { x: x - 6, y: y - 6, width: size.width + 12, height: size.height + 12 }, {
      alpha: 0.6,
    });
    drawText(image, text, { x, y, lineHeight, color: [80, 80, 255] });
  }

  #drawCard(): void {
    const kind = this.#cardKind;
    if (kind === null) return;
    const card = this.#card;
    this.selfView.refresh(selfViewWidth(this.#shown.width), performance.now());
    fillFrame(card, this.#shown.width, this.#shown.height, CARD_COLOR);
    const text = cardText(kind, this.#hud.peerName);
    const lineHeight = Math.round(textHeight(card.height) * 1.4);
    const size = measureText(text, lineHeight, 2);
    drawText(card, text, {
      x: Math.max(0, Math.round((card.width - size.width) / 2)),
      y: Math.round((card.height - size.height) / 2),
      lineHeight,
      color: TEXT_COLOR,
      thickness: 2,
    });
    this.#compose(card);
    this.#win.show(card);
    this.#cardDrawn = performance.now();
  }

  #pump(): void {
    if (this.#closed) return;
    if (this.#cardKind !== null && performance.now() - this.#cardDrawn >= CARD_REDRAW_MS) {
      this.#drawCard();
    }
    this.#pumpKeys();
  }

  #pumpKeys(): void {
    const win = this.#win;
    const key = win.pollKey(1);
    if (this.#closed) return;
    if (key >= 0) this.#onKey(key);
    else if (!win.visible) this.#o.onClosed();
  }

  #onKey(code: number): void {
    const action = actionForKey(code);
    switch (action) {
      case undefined:
        return;
      case "fullscreen":
        this.#win.fullscreen = !this.#win.fullscreen;
        this.#frameWidth = this.#frameHeight = 0; // lay out again at the next frame
        break;
      case "self-view":
        this.selfView.visible = !this.selfView.visible;
        break;
      case "mirror":
        this.selfView.mirrored = !this.selfView.mirrored;
        break;
      case "hud":
        this.#hudChoice = !this.hudShown;
        break;
      case "help":
        this.#help = !this.#help;
        break;
      default:
        this.#o.onAction(action);
        return;
    }
    this.#cardDrawn = -Infinity; // show the change on a card at once
  }

  /** Closes the window and frees its pictures. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#win.close();
    this.#card.close();
    this.#canvas.close();
    this.#hudPanel.close();
    this.#helpPanel.close();
    this.selfView.close();
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function fit(width: number, height: number): Size {
  const scale = Math.min(1, MAX_WINDOW_EDGE / Math.max(width, height));
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

function sameSize(a: Size, b: Size): boolean {
  return a.width === b.width && a.height === b.height;
}

// The parts of a canvas of size `shown` that `rect` (centred) leaves uncovered.
function bars(shown: Size, rect: Rect): Rect[] {
  const out: Rect[] = [];
  if (rect.y > 0) out.push({ x: 0, y: 0, width: shown.width, height: rect.y });
  const below = shown.height - rect.y - rect.height;
  if (below > 0) out.push({ x: 0, y: rect.y + rect.height, width: shown.width, height: below });
  if (rect.x > 0) out.push({ x: 0, y: rect.y, width: rect.x, height: rect.height });
  const right = shown.width - rect.x - rect.width;
  if (right > 0) {
    out.push({ x: rect.x + rect.width, y: rect.y, width: right, height: rect.height });
  }
  return out;
}

function selfViewWidth(imageWidth: number): number {
  return Math.round(imageWidth * SELF_VIEW_SHARE);
}
