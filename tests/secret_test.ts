import { CODE_BITS, formatCode, generateCode, normalizeCode } from "../src/net/secret.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "./_assert.ts";

Deno.test({
  name: "generateCode() makes distinct 20-character codes in groups of four",
  permissions: "none",
}, () => {
  const codes = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const code = generateCode();
    assertMatch(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    codes.add(code);
  }
  assertEquals(codes.size, 200);
});

Deno.test({
  name: "generateCode() draws every character uniformly from all 32 symbols: CODE_BITS of entropy",
  permissions: "none",
}, () => {
  // Catches a code with a fixed or checksum position, one drawn from fewer
  // symbols (hex digits, `b % 30`), 96 random bits spread over 20 characters
  // (the last one then takes 2 values) or a biased mapping (some symbols
  // twice as likely as others).
  const n = 2000;
  const positions = Array.from({ length: 20 }, () => new Set<string>());
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const code = normalizeCode(generateCode());
    [...code].forEach((c, p) => {
      positions[p]!.add(c);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    });
  }
  // Each position uses all 32 symbols (a missed one has odds of 32 × (31/32)^2000).
  const bits = positions.reduce((sum, seen) => sum + Math.log2(seen.size), 0);
  assertEquals(bits, CODE_BITS);
  assert(bits >= 96, `${bits} bits`);
  // And about equally often: 1250 each expected, σ ≈ 35; 8σ either way.
  for (const [c, count] of counts) assert(Math.abs(count - 1250) < 280, `"${c}" ${count} times`);
});

Deno.test({
  name: "normalizeCode() forgives case, dashes, spaces and look-alike letters",
  permissions: "none",
}, () => {
  const code = generateCode();
  const canonical = code.replaceAll("-", "");
  assertEquals(normalizeCode(code), canonical);
  assertEquals(normalizeCode(` ${code.toLowerCase().replaceAll("-", " ")} `), canonical);
  assertEquals(normalizeCode("OIL0-1111-2222-3333-4444"), "01101111222233334444");
  assertEquals(formatCode(canonical), code);
});

Deno.test(
  { name: "normalizeCode() refuses short codes and stray characters", permissions: "none" },
  () => {
    assertThrows(() => normalizeCode("ABC123"), RangeError, "a code has 20");
    assertThrows(() => normalizeCode("hunter2"), RangeError, '"U"');
    assertThrows(() => normalizeCode("ABCD-EFGH-JKMN-PQRS-TVWU"), RangeError, '"U"');
    assert(normalizeCode("ABCD-EFGH-JKMN-PQRS-TVWX").length === 20);
  },
);
