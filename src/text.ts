/**
 * Text from outside (names, a peer's goodbye, error messages) made safe for
 * one line of a terminal or a window title.
 *
 * @module
 */

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * Whether `text` holds a C0 control character or DEL.
 *
 * @param text Any text.
 * @returns True when it does.
 */
export function hasControlCharacters(text: string): boolean {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text);
}

/**
 * Replaces each control character with a space and trims the ends, so that
 * a peer's text cannot move the cursor or clear the screen.
 *
 * @param text Any text.
 * @returns One clean line.
 */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL, " ").trim();
}
