import { cardText } from "../src/view/cards.ts";
import { assertEquals } from "./_assert.ts";

Deno.test({ name: "cardText() names the peer in every card", permissions: "none" }, () => {
  assertEquals(cardText("waiting", "Bob"), "Waiting for Bob...");
  assertEquals(cardText("reconnecting", "Bob"), "Reconnecting to Bob...");
  assertEquals(cardText("paused", "Bob"), "Bob paused their video");
  assertEquals(cardText("no-video", "Bob"), "Bob sends no video");
});

Deno.test({
  name: "cardText() before the peer is known, and with a non-ASCII name",
  permissions: "none",
}, () => {
  assertEquals(cardText("waiting", null), "Waiting for the peer...");
  assertEquals(cardText("reconnecting", null), "Reconnecting to the peer...");
  assertEquals(cardText("paused", "José"), "Jos? paused their video");
});
