import { actionForKey, type KeyAction, keyHelpLines, KEYS } from "../src/view/keys.ts";
import { assert, assertEquals } from "./_assert.ts";

// A record, so that a new KeyAction without an entry here fails the type check.
const ACTIONS: Record<KeyAction, true> = {
  quit: true,
  fullscreen: true,
  pause: true,
  "self-view": true,
  mirror: true,
  hud: true,
  snapshot: true,
  record: true,
  help: true,
};

const NAMED: Record<string, number> = { Esc: 27, Enter: 13 };

function codeOfLabel(label: string): number {
  return NAMED[label] ?? label.charCodeAt(0);
}

Deno.test({
  name: "actionForKey() reaches every action, each from its labelled keys",
  permissions: "none",
  fn() {
    for (const action of Object.keys(ACTIONS) as KeyAction[]) {
      const bindings = KEYS.filter((b) => b.action === action);
      assertEquals(bindings.length, 1, `${action} has one row`);
      for (const label of bindings[0]!.keys) {
        assertEquals(actionForKey(codeOfLabel(label)), action, `key "${label}"`);
      }
    }
  },
});

Deno.test({
  name: "KEYS binds no code twice and only byte-sized codes",
  permissions: "none",
  fn() {
    const codes = KEYS.flatMap((b) => b.codes);
    assertEquals(new Set(codes).size, codes.length, `codes: ${codes}`);
    for (const c of codes) assert(Number.isInteger(c) && c >= 0 && c <= 0xff, `code ${c}`);
    for (const b of KEYS) {
      for (const label of b.keys) assert(b.codes.includes(codeOfLabel(label)), label);
    }
  },
});

Deno.test({
  name: "actionForKey() maps the documented keys, lower and upper case where safe",
  permissions: "none",
  fn() {
    const cases: Array<[string, KeyAction]> = [
      ["q", "quit"],
      ["f", "fullscreen"],
      ["F", "fullscreen"],
      ["v", "pause"],
      ["p", "self-view"],
      ["x", "mirror"],
      ["i", "hud"],
      ["I", "hud"],
      ["s", "snapshot"],
      ["r", "record"],
      ["?", "help"],
      ["h", "help"],
      ["H", "help"],
    ];
    for (const [key, action] of cases) {
      assertEquals(actionForKey(key.charCodeAt(0)), action, `key "${key}"`);
    }
    for (const key of ["R", "a", " ", "0"]) {
      assertEquals(actionForKey(key.charCodeAt(0)), undefined, `key "${key}"`);
    }
  },
});

Deno.test({
  name:
    "actionForKey() ignores the arrow, Home, End and Page keys, which waitKey reports as P to X",
  permissions: "none",
  fn() {
    // X keysyms Home, Left, Up, Right, Down, Prior, Next, End, Begin; waitKey keeps the low byte.
    for (let keysym = 0xff50; keysym <= 0xff58; keysym++) {
      assertEquals(actionForKey(keysym & 0xff), undefined, `keysym 0x${keysym.toString(16)}`);
      assertEquals(actionForKey(keysym), undefined, `unmasked keysym 0x${keysym.toString(16)}`);
    }
  },
});

Deno.test({
  name: "actionForKey() ends the call on Esc, CR and LF",
  permissions: "none",
  fn() {
    assertEquals([actionForKey(27), actionForKey(13), actionForKey(10)], ["quit", "quit", "quit"]);
  },
});

Deno.test({
  name: "actionForKey() returns undefined for no key and ignores the high bits",
  permissions: "none",
  fn() {
    assertEquals(actionForKey(-1), undefined);
    assertEquals(actionForKey(-256 | 113), undefined, "negative is no key, whatever its bits");
    assertEquals(actionForKey(0x100 | 113), "quit");
    assertEquals(actionForKey(0x10_0000 | 115), "snapshot");
    assertEquals(actionForKey(0xff1b), "quit", "Esc as an X keysym");
    assertEquals(actionForKey(0), undefined);
  },
});

Deno.test({
  name: "keyHelpLines() lists every key label and description, one aligned line per binding",
  permissions: "none",
  fn() {
    const lines = keyHelpLines();
    assertEquals(lines.length, KEYS.length);
    const column = lines[0]!.indexOf(KEYS[0]!.description);
    assert(column > 0, lines[0]);
    KEYS.forEach((b, i) => {
      const line = lines[i]!;
      assert(line.startsWith(b.keys.join(", ")), line);
      assertEquals(line.indexOf(b.description), column, `aligned: ${line}`);
      assert(!line.includes("\n"), line);
    });
    assertEquals(lines[0], `q, Esc, Enter  ${KEYS[0]!.description}`);
    for (const label of KEYS.flatMap((b) => b.keys)) {
      assert(lines.some((l) => l.split("  ")[0]!.split(", ").includes(label)), label);
    }
  },
});

Deno.test({
  name: "README's key table is KEYS, row for row",
  permissions: { read: [new URL("../README.md", import.meta.url)] },
  fn() {
    const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
    const rows = readme.split("\n").filter((l) => /^\| `[^`]+`(, `[^`]+`)* +\| /.test(l))
      .map((l) => l.split("|").slice(1, -1).map((cell) => cell.trim()));
    const expected = KEYS.map((b) => [b.keys.map((k) => `\`${k}\``).join(", "), b.description]);
    const start = rows.findIndex((r) => r[0] === expected[0]![0]);
    assert(start >= 0, "README has no key table");
    assertEquals(rows.slice(start, start + expected.length), expected);
  },
});
