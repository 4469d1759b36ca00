/**
 * {@linkcode CallView}: what the session asks of whatever shows the call —
 * the window ({@linkcode CallWindow}) or the terminal
 * ({@linkcode TerminalView}). Both are picture sinks of the receive fan-out.
 *
 * @module
 */

import type { PictureSink } from "../receive/fanout.ts";
import type { CardKind } from "./cards.ts";
import type { HudInfo } from "./hud.ts";

/** Shows the call: the peer's pictures, cards while there are none, its status. */
export interface CallView extends PictureSink {
  /**
   * The peer is known (or known again after reconnecting).
   *
   * @param name The peer's name.
   * @param secure Whether the call is encrypted.
   */
  setPeer(name: string, secure: boolean): void;
  /**
   * Shows a card instead of the peer's video until its next frame, or goes
   * back to the video (null).
   *
   * @param kind Why there is no live video, or null.
   */
  setCard(kind: CardKind | null): void;
  /**
   * Updates the call's status as shown (HUD, status line).
   *
   * @param info The changed fields.
   */
  update(info: Partial<HudInfo>): void;
  /** Closes the view and restores what it changed (window, terminal modes). */
  close(): void | Promise<void>;
}
