/**
 * Placeholder cards: what the window shows instead of a frozen or black
 * picture while there is no live video from the peer.
 *
 * @module
 */

import { asciiOnly } from "./hud.ts";

/** Why there is no live picture. */
export type CardKind = "waiting" | "reconnecting" | "paused" | "no-video";

/**
 * The card's text, ASCII only.
 *
 * @param kind Why there is no picture.
 * @param peerName The peer's name, or null before the first connection.
 * @returns The line to draw.
 */
export function cardText(kind: CardKind, peerName: string | null): string {
  const name = peerName === null ? null : asciiOnly(peerName);
  switch (kind) {
    case "waiting":
      return name === null ? "Waiting for the peer..." : `Waiting for ${name}...`;
    case "reconnecting":
      return `Reconnecting to ${name ?? "the peer"}...`;
    case "paused":
      return `${name ?? "The peer"} paused their video`;
    case "no-video":
      return `${name ?? "The peer"} sends no video`;
  }
}
