/**
 * The keys of the call window, in one table: the window's key handling, the
 * help card and `--help` are all read from {@linkcode KEYS}.
 *
 * Plain letters only: Qt's highgui keeps Ctrl+S, Ctrl+P and Ctrl++/- for
 * itself. `cv::waitKey` returns only the low byte of what the window reports,
 * and the window reports keys without text by their X keysym, so Left
 * (0xff51), Up, Right, Down, Home, Page Up, Page Down, End and Begin arrive as
 * 81 to 88 and 80, the codes of "Q" to "X" and "P". An upper-case letter is
 * therefore bound only when no such key shares its code: with the arrows bound
 * to "Q" and "S", a stray Left would end the call and Right would save a file.
 *
 * @module
 */

/** What a key does in the call window. */
export type KeyAction =
  | "quit"
  | "fullscreen"
  | "pause"
  | "self-view"
  | "mirror"
  | "hud"
  | "snapshot"
  | "record"
  | "help";

/** One row of the key table. */
export interface KeyBinding {
  /** Labels to show, e.g. `["q", "Esc", "Enter"]`. */
  keys: string[];
  /** Key codes as `cv::waitKey` returns them (the low byte). */
  codes: number[];
  /** What the keys do. */
  action: KeyAction;
  /** What the keys do, for people: lower case, no trailing period. */
  description: string;
}

const ESC = 27;
const CR = 13;
const LF = 10;

function code(char: string): number {
  return char.charCodeAt(0);
}

const TABLE: KeyBinding[] = [
  {
    keys: ["q", "Esc", "Enter"],
    // Enter and the keypad's Enter arrive as CR under Qt; other backends may send LF.
    codes: [code("q"), ESC, CR, LF],
    action: "quit",
    description: "end the call for both sides",
  },
  {
    keys: ["f"],
    codes: [code("f"), code("F")],
    action: "fullscreen",
    description: "fullscreen on/off",
  },
  {
    keys: ["v"],
    codes: [code("v")],
    action: "pause",
    description: "pause/resume sending your video",
  },
  {
    keys: ["p"],
    codes: [code("p")],
    action: "self-view",
    description: "self-view on/off (your own video, mirrored, bottom-right)",
  },
  {
    keys: ["x"],
    codes: [code("x")],
    action: "mirror",
    description: "mirror the self-view on/off",
  },
  {
    keys: ["i"],
    codes: [code("i"), code("I")],
    action: "hud",
    description: "HUD (the call's status over the video) on/off",
  },
  {
    keys: ["s"],
    codes: [code("s")],
    action: "snapshot",
    description: "save the peer's last frame as a JPEG (in --snapshot-dir)",
  },
  {
    // Not "R": Up arrives as 82, its code.
    keys: ["r"],
    codes: [code("r")],
    action: "record",
    description: "start/stop recording (a new file each time: --record)",
  },
  {
    keys: ["?", "h"],
    codes: [code("?"), code("h"), code("H")],
    action: "help",
    description: "show these keys in the window",
  },
];

/** Every key of the call window, in the order the help lists them (frozen, arrays too). */
export const KEYS: readonly KeyBinding[] = Object.freeze(
  TABLE.map((binding) => {
    Object.freeze(binding.keys);
    Object.freeze(binding.codes);
    return Object.freeze(binding);
  }),
);

const BY_CODE: ReadonlyMap<number, KeyAction> = new Map(
  KEYS.flatMap((binding) => binding.codes.map((c) => [c, binding.action] as const)),
);

/**
 * The action for a key code from the window.
 *
 * @param code `cv::waitKey`'s value: only the low byte matters; -1 (or any
 * negative value) means no key.
 * @returns The action, or undefined when the key does nothing.
 *
 * @example
 * ```ts
 * actionForKey(113); // "quit" (q)
 * actionForKey(-1); // undefined
 * ```
 */
export function actionForKey(code: number): KeyAction | undefined {
  if (!Number.isInteger(code) || code < 0) return undefined;
  return BY_CODE.get(code & 0xff);
}

/**
 * Lines for the help card and for `--help`: each binding's labels, padded to
 * one column, then its description.
 *
 * @returns One line per binding, e.g. `"q, Esc, Enter  end the call for both sides"`.
 */
export function keyHelpLines(): string[] {
  const labels = KEYS.map((binding) => binding.keys.join(", "));
  const width = Math.max(...labels.map((label) => label.length));
  return KEYS.map((binding, i) => `${labels[i]!.padEnd(width)}  ${binding.description}`);
}
