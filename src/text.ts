/**
 * Text from outside (names, a peer's goodbye, error messages) made safe for
 * one line of a terminal or a window title.
 *
 * @module
 */

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Whether `text` holds a control character: C0, DEL or C1 (U+0080 to U+009F,
 * which some terminals take as the start of an escape sequence).
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
