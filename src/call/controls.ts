/**
 * {@linkcode CallControls}: what the keys do to the call itself — end it,
 * pause or resume your video, take a snapshot, start or stop recording —
 * wherever they were pressed (the window or the terminal). Keys that only
 * change the view (fullscreen, self-view, HUD, help) stay in the view.
 *
 * @module
 */

import { messageOf } from "../errors.ts";
import type { PeerLink } from "../net/peer_link.ts";
import { MessageType } from "../net/protocol.ts";
import type { LastJpeg } from "../receive/last_jpeg.ts";
import type { Sender } from "../send/sender.ts";
import type { CallView } from "../view/call_view.ts";
import type { KeyAction } from "../view/keys.ts";
import { saveSnapshot } from "../view/snapshot.ts";

/** What the controls act on. */
export interface ControlsOptions {
  /** Pauses and resumes sending. */
  sender: Pick<Sender, "paused" | "pause">;
  /** The call's current links (told when the video pauses or resumes). */
  links: () => readonly PeerLink[];
  /** The peer's newest frame, for snapshots. */
  lastJpeg: LastJpeg;
  /** Where snapshots go (`--snapshot-dir`). */
  snapshotDir: string;
  /** The peer's name, for snapshot file names. */
  peerName: () => string | null;
  /** Starts or stops recording. */
  toggleRecording: () => Promise<void>;
  /** The view, told when your video pauses. */
  view: () => CallView | undefined;
  /** Ends the call. */
  quit: (why: string) => void;
  /** Status lines. */
  status: (line: string) => void;
}

/** Carries out the keys' call actions. */
export class CallControls {
  #o: ControlsOptions;

  /** @param options What the controls act on. */
  constructor(options: ControlsOptions) {
    this.#o = options;
  }

  /**
   * Carries out `action`; actions of the view alone are ignored here.
   *
   * @param action What a key asked for.
   */
  act(action: KeyAction): void {
    if (action === "quit") this.#o.quit("You ended the call");
    else if (action === "pause") this.pause(!this.#o.sender.paused);
    else if (action === "snapshot") this.snapshot();
    else if (action === "record") void this.#o.toggleRecording();
  }

  /**
   * Pauses or resumes sending your video, and tells the peer (it shows the
   * paused card, not a frozen frame).
   *
   * @param paused True to pause.
   */
  pause(paused: boolean): void {
    const o = this.#o;
    o.sender.pause(paused);
    for (const link of o.links()) link.send(paused ? MessageType.PAUSED : MessageType.RESUMED);
    o.view()?.update({ paused });
    o.status(paused ? "You paused your video (press v to resume)" : "You resumed your video");
  }

  /** Saves the peer's newest frame, exactly as received, to the snapshot directory. */
  snapshot(): void {
    const o = this.#o;
    const bytes = o.lastJpeg.bytes;
    if (bytes === null) {
      o.status("No frame from the peer yet: no snapshot taken");
      return;
    }
    // saveSnapshot copies the bytes before it waits: the next frame may overwrite them.
    saveSnapshot(o.snapshotDir, o.peerName() ?? "peer", bytes).then(
      (path) => o.status(`Saved a snapshot to ${path}`),
      (error) => o.status(messageOf(error)),
    );
  }
}
