import { hasControlCharacters, withoutControlCharacters } from "../src/text.ts";
import { assertEquals } from "./_assert.ts";

// Every Latin-1 character, and which of them a terminal may act on: C0, DEL
// and C1 (U+009B alone starts an escape sequence on some terminals).
const ASCII = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i));
const isControl = (c: string): boolean => c < " " || (c >= "\x7f" && c <= "\x9f");

Deno.test({
  name: "hasControlCharacters() finds exactly the C0 and C1 controls and DEL",
  permissions: "none",
}, () => {
  // A filter that knew only ESC, or only \n and \r, fails for some character.
  for (const c of ASCII) {
    assertEquals(hasControlCharacters(`a${c}b`), isControl(c), `U+${c.charCodeAt(0)}`);
  }
  assertEquals(hasControlCharacters("Zoë, 日本, 🙂"), false, "other text is fine");
  assertEquals(hasControlCharacters(""), false);
});

Deno.test({
  name: "hasControlCharacters() gives the same answer when called again",
  permissions: "none",
}, () => {
  // The pattern is global: without resetting lastIndex, the second call on
  // the same text would start after the first match and miss it.
  assertEquals([hasControlCharacters("a\nb"), hasControlCharacters("a\nb")], [true, true]);
  assertEquals([hasControlCharacters("\x1b"), hasControlCharacters("x\x1b")], [true, true]);
});

Deno.test({
  name: "withoutControlCharacters() turns each control into a space and trims the ends",
  permissions: "none",
}, () => {
  assertEquals(withoutControlCharacters("\x1b[2JAnn\x07"), "[2JAnn");
  assertEquals(withoutControlCharacters("a\r\nb\tc\x7fd"), "a  b c d");
  assertEquals(withoutControlCharacters("  Zoë 日本  "), "Zoë 日本");
  for (const c of ASCII) {
    const clean = withoutControlCharacters(`a${c}b`);
    assertEquals(hasControlCharacters(clean), false);
    assertEquals(clean, isControl(c) ? "a b" : `a${c}b`);
  }
});
