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
  drawText,
  fillFrame,
  Frame,
  measureText,
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
  #shown: { width: number; height: number };
  #frameWidth = 0;
  #frameHeight = 0;
  #hud: HudInfo = { peerName: null, secure: null, phase: "connecting", stats: null, paused: false };
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
  /** Whether the link is degraded (the HUD then shows by itself). */
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
    if (info.phase === "connected" && this.#callStart === null) {
      this.#callStart = performance.now();
    }
  }

  /** Shows a decoded frame from the peer with the self-view, HUD and help drawn on it. */
  picture(frame: Frame, _info: FrameInfo): void {
    if (this.#closed) return;
    this.#cardKind = null;
    const width = frame.width, height = frame.height;
    // Fit the window to the peer's frames whenever their size changes (not
    // in fullscreen: then at the first frame after it). Checked in JS first,
    // so a steady call makes no window query per frame.
    if ((width !== this.#frameWidth || height !== this.#frameHeight) && !this.#win.fullscreen) {
      this.#frameWidth = width;
      this.#frameHeight = height;
      const shown = fit(width, height);
      if (!sameSize(this.#shown, shown)) {
        this.#shown = shown;
        this.#win.resize(shown.width, shown.height);
      }
    }
    this.#compose(frame);
    this.#win.show(frame);
    this.#pumpKeys();
    // After the show: the self-view's decode is not on the peer's frames' path.
    this.selfView.refresh(selfViewWidth(width), performance.now());
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
    this.#hudPanel.close();
    this.#helpPanel.close();
    this.selfView.close();
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function fit(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MAX_WINDOW_EDGE / Math.max(width, height));
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

function sameSize(
  a: { width: number; height: number },
  b: { width: number; height: number },
): boolean {
  return a.width === b.width && a.height === b.height;
}

function selfViewWidth(imageWidth: number): number {
  return Math.round(imageWidth * SELF_VIEW_SHARE);
}
