/**
 * Parses `--source` specs and explains why a source failed to open.
 *
 * @module
 */

import type { SourceKindName } from "../ffi/capture.ts";
import { exists } from "./exists.ts";

/** A parsed `--source`: what to capture from, or `none` to send nothing. */
export type Source = { kind: "none" } | { kind: SourceKindName; spec: string };

/**
 * Classifies a `--source` value.
 *
 * @param spec `0`, `/dev/video0`, a file, a URL, a GStreamer pipeline ending
 * in `appsink`, `test` or `none`.
 * @returns The source.
 * @throws {RangeError} When the spec is empty.
 */
export function parseSource(spec: string): Source {
  const s = spec.trim();
  if (s === "") throw new RangeError("it is empty");
  if (s === "none") return { kind: "none" };
  if (s === "test") return { kind: "test", spec: "" };
  if (/^\d+$/.test(s)) return { kind: "camera", spec: String(Number(s)) };
  if (/^\/dev\//.test(s)) return { kind: "device", spec: s };
  if (/\bappsink\b/.test(s) && s.includes("!")) return { kind: "gstreamer", spec: s };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return { kind: "url", spec: s };
  return { kind: "file", spec: s };
}

/**
 * Describes a source for messages: `camera 0`, `file "clip.avi"`, ...
 *
 * @param source The source.
 * @returns A short description.
 */
export function describeSource(source: Source): string {
  switch (source.kind) {
    case "none":
      return "no source";
    case "test":
      return "the test pattern";
    case "camera":
      return `camera ${source.spec}`;
    case "device":
      return `device ${source.spec}`;
    case "gstreamer":
      return "the GStreamer pipeline";
    case "url":
      return `URL "${source.spec}"`;
    case "file":
      return `file "${source.spec}"`;
  }
}

/**
 * The one-line explanation when a source cannot be opened, with how to fix it.
 *
 * @param source The source that failed.
 * @param reason What the native layer said.
 * @returns The message.
 */
export function openFailureMessage(source: Source, reason: string): string {
  const what = `Cannot open ${describeSource(source)}`;
  switch (source.kind) {
    case "camera":
    case "device":
      return `${what}: no such camera or it is busy; list cameras with --list-sources, ` +
        "choose one with --source N or --source /dev/videoN, or use --source test";
    case "file":
      if (!exists(source.spec)) return `${what}: no such file`;
      return `${what}: no decoder could read it (${reason})`;
    case "gstreamer":
      return `${what}: it must be a valid pipeline ending in appsink ` +
        `(check it with gst-launch-1.0) (${reason})`;
    default:
      return `${what}: ${reason}`;
  }
}
