import { CODE_BITS, formatCode, generateCode, normalizeCode } from "../src/net/secret.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "./_assert.ts";

Deno.test("generateCode() makes 20 base32 characters in groups of four, 100 bits", () => {
  assertEquals(CODE_BITS >= 96, true);
  const codes = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const code = generateCode();
    assertMatch(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    codes.add(code);
  }
  assertEquals(codes.size, 200);
});

Deno.test("normalizeCode() forgives case, dashes, spaces and look-alike letters", () => {
  const code = generateCode();
  const canonical = code.replaceAll("-", "");
  assertEquals(normalizeCode(code), canonical);
  assertEquals(normalizeCode(` ${code.toLowerCase().replaceAll("-", " ")} `), canonical);
  assertEquals(normalizeCode("OIL0-1111-2222-3333-4444"), "01101111222233334444");
  assertEquals(formatCode(canonical), code);
});

Deno.test("normalizeCode() refuses short codes and stray characters", () => {
  assertThrows(() => normalizeCode("ABC123"), RangeError, "a code has 20");
  assertThrows(() => normalizeCode("hunter2"), RangeError, '"U"');
  assertThrows(() => normalizeCode("ABCD-EFGH-JKMN-PQRS-TVWU"), RangeError, '"U"');
  assert(normalizeCode("ABCD-EFGH-JKMN-PQRS-TVWX").length === 20);
});
