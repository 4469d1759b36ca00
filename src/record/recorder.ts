/**
 * {@linkcode Recorder}: the call's recording, as a part of the session. It
 * is a packet sink (the peer's JPEGs, track 1 of the file) and takes the
 * frames this side sends (track 2, unless `peerOnly`); `r` starts and stops
 * it, each start making a new file (`FILE.mkv`, `FILE-2.mkv`, …).
 *
 * Times: a peer frame is stamped with its capture time mapped onto this
 * machine's clock (the heartbeat's clock offset); until the first heartbeat
 * answer gives the offset, with the time it arrived here. A sent frame is
 * stamped with its capture time. Time 0 is the first frame recorded.
 *
 * Sizes: a sender on a slow link sends smaller frames for a while. Each
 * track is recorded at one size — the sent track at this side's `--size`,
 * the peer's at the largest of its pictures that decoded in the call so far
 * (a picture sink), else its first frame's — so that a recording started
 * (`r`) during such a stretch is still made at the call's size; frames of
 * another size are scaled to it (by the recording worker, see
 * `record_worker.ts`). A peer's JPEG header alone never sets the size.
 *
 * @module
 */

import { messageOf } from "../errors.ts";
import { now } from "../net/protocol.ts";
import type { Frame } from "../../ffi/mod.ts";
import type { FrameInfo, PacketSink, PictureSink } from "../receive/fanout.ts";
import { claimRecordingPath } from "./naming.ts";
import { Recording, type RecordingResult } from "./recording.ts";

/** Track numbers in the file (ffprobe's stream indexes). */
export const Track = { PEER: 0, SENT: 1 } as const;

/** What {@linkcode Recorder} needs: a narrow slice of the call's options. */
export interface RecorderOptions {
  /** The first file's path (`--record`, or a default for `r`). */
  path: string;
  /** Record only the peer's video (`--record-peer-only`). */
  peerOnly: boolean;
  /** Whether keys reach the call (a window or the terminal view): the status lines mention `r`. */
  keys: boolean;
  /** Shows a status line. */
  status(line: string): void;
  /** The size this side sends at most (`--size`): the sent track's size. */
  sentSize?: [number, number];
}

/** Records the call to Matroska files, one per start. */
export class Recorder implements PacketSink, PictureSink {
  #o: RecorderOptions;
  #next = 1;
  #current: Recording | undefined;
  #busy: Promise<void> = Promise.resolve();
  // Each track's size for the next recording: the peer's largest decoded
  // picture so far, this side's --size.
  #largest: Array<[number, number] | null>;

  /** @param options The base path, the tracks and where status lines go. */
  constructor(options: RecorderOptions) {
    this.#o = options;
    this.#largest = [null, options.sentSize ?? null];
  }

  /** Whether a recording is running. */
  get recording(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Starts a new file (does nothing while one is recording).
   *
   * @returns The file's path.
   * @throws {CallError} When the file cannot be created or the recording library is missing.
   */
  async start(): Promise<string> {
    if (this.#current) return this.#current.path;
    const { path, n } = await claimRecordingPath(this.#o.path, this.#next);
    this.#next = n + 1;
    let recording: Recording;
    try {
      const tracks = this.#o.peerOnly ? 1 : 2;
      recording = await Recording.open(path, {
        tracks,
        sizes: this.#largest.slice(0, tracks),
        onFailed: (message) => this.#failed(recording, message),
      });
    } catch (error) {
      await Deno.remove(path).catch(() => {});
      throw error;
    }
    this.#current = recording;
    this.#o.status(`Recording to ${path}${this.#o.keys ? " (press r to stop)" : ""}`);
    return path;
  }

  /**
   * Stops the current recording, finishing its file.
   *
   * @returns How it went, or undefined when none was running.
   */
  async stop(): Promise<RecordingResult | undefined> {
    const recording = this.#current;
    if (recording === undefined) return undefined;
    this.#current = undefined;
    const result = await recording.close();
    this.#o.status(stoppedText(result));
    return result;
  }

  /**
   * Starts or stops, for the `r` key: never throws; a failure is a status
   * line. Presses while a start or stop is under way wait their turn.
   *
   * @returns Settles when this press has taken effect.
   */
  toggle(): Promise<void> {
    this.#busy = this.#busy.then(async () => {
      try {
        if (this.#current) await this.stop();
        else await this.start();
      } catch (error) {
        this.#o.status(messageOf(error));
      }
    });
    return this.#busy;
  }

  /** Records a received frame (track 1) while recording. */
  packet(jpeg: Uint8Array, info: FrameInfo): void {
    this.#current?.offer(Track.PEER, jpeg, info.localTime ?? now());
  }

  /**
   * Records a frame this side sends (track 2), unless recording the peer only.
   *
   * @param jpeg The bytes (copied before this returns).
   * @param capturedAt Its capture time, ms since the Unix epoch.
   */
  sent(jpeg: Uint8Array, capturedAt: number): void {
    if (this.#o.peerOnly) return;
    this.#current?.offer(Track.SENT, jpeg, capturedAt);
  }

  /**
   * Stops recording at the end of the call, after any start or stop under way.
   *
   * @returns Settles once the file is finished.
   */
  async close(): Promise<void> {
    await this.#busy;
    await this.stop();
  }

  /**
   * Notes the size of a peer picture that decoded (the largest is the peer
   * track's size in the next recording). No allocation unless it grew.
   *
   * @param frame The decoded picture.
   * @param _info Unused.
   */
  picture(frame: Frame, _info: FrameInfo): void {
    const largest = this.#largest[Track.PEER];
    const { width, height } = frame;
    if (!largest || width * height > largest[0] * largest[1]) {
      this.#largest[Track.PEER] = [width, height];
    }
  }

  #failed(recording: Recording, message: string): void {
    if (this.#current !== recording) return;
    const reason = message.charAt(0).toLowerCase() + message.slice(1);
    this.#o.status(
      `Recording stopped: ${reason} (${recording.path} keeps what was written; the call goes on)`,
    );
    this.#current = undefined;
    recording.close().catch(() => {});
  }
}

/**
 * The status line for a finished recording.
 *
 * @param result How it went.
 * @returns One line.
 */
export function stoppedText(result: RecordingResult): string {
  if (result.removed) return `Stopped recording: no frames came, ${result.path} was removed`;
  const frames = result.frames.reduce((a, b) => a + b, 0);
  const skipped = result.skipped > 0 ? `, ${result.skipped} skipped (the disk was slow)` : "";
  const error = result.error ? ` (${result.error})` : "";
  return `Saved the recording ${result.path} (${frames} frames${skipped})${error}`;
}
