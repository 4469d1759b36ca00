import { Latest } from "../src/latest.ts";
import { MessageType } from "../src/net/protocol.ts";
import { Packet } from "../src/packet.ts";
import { Sender } from "../src/send/sender.ts";
import { CallStats } from "../src/stats.ts";
import { assertEquals } from "./_assert.ts";
import { fakeLink, messages } from "./_links.ts";

function setup() {
  const box = new Latest([0, 1, 2].map(() => new Packet(1024)));
  const stats = new CallStats();
  const sender = new Sender(box, stats);
  const failures: unknown[] = [];
  const running = sender.run((_link, error) => failures.push(error));
  let n = 0;
  const publish = (): void => {
    const p = box.acquire();
    p.payload.set([0xff, 0xd8, n, 0xff, 0xd9]);
    p.length = 5;
    p.timestamp = 1000 + n++;
    box.publish(p);
  };
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  };
  const stop = async (): Promise<void> => {
    sender.stop();
    box.close();
    await running;
  };
  return { box, stats, sender, failures, publish, settle, stop };
}

const frames = (bytes: Uint8Array) => messages(bytes).filter((m) => m.type === MessageType.FRAME);

Deno.test({
  name: "Sender sends at most the window's frames until the peer acknowledges",
  permissions: "none",
}, async () => {
  const t = setup();
  const { link, sink } = fakeLink();
  t.sender.use(link);
  for (let i = 0; i < 5; i++) {
    t.publish();
    await t.settle();
  }
  assertEquals(frames(sink.bytes()).map((m) => m.seq), [0, 1, 2], "three in flight, then it waits");
  t.sender.acked(link, 0);
  await t.settle();
  // The frame sent after the ack is the newest one, not the one that waited.
  const sent = frames(sink.bytes());
  assertEquals(sent.map((m) => m.seq), [0, 1, 2, 3]);
  assertEquals(sent[3]!.timestamp, 1004, "the freshest frame won");
  assertEquals(t.stats.framesSent, 4);
  await t.stop();
});

Deno.test({
  name: "Sender sends nothing without a link or while paused, and resumes",
  permissions: "none",
}, async () => {
  const t = setup();
  t.publish();
  await t.settle();
  const { link, sink } = fakeLink();
  t.sender.pause(true);
  t.sender.use(link);
  t.publish();
  await t.settle();
  assertEquals(frames(sink.bytes()).length, 0, "paused");
  t.sender.pause(false);
  await t.settle();
  assertEquals(frames(sink.bytes()).length, 1, "resumed: the waiting frame goes out");
  await t.stop();
});

Deno.test({
  name: "Sender gives each new link a fresh window and ignores acks from old ones",
  permissions: "none",
}, async () => {
  const t = setup();
  const a = fakeLink(), b = fakeLink();
  t.sender.use(a.link);
  for (let i = 0; i < 3; i++) {
    t.publish();
    await t.settle();
  }
  assertEquals(a.link.window.open, false);
  t.sender.use(b.link); // reconnected: the old link's window does not matter
  t.publish();
  await t.settle();
  assertEquals(frames(b.sink.bytes()).map((m) => m.seq), [0], "numbering starts again");
  t.sender.acked(a.link, 2); // a late ack on the old link: harmless
  t.publish();
  await t.settle();
  assertEquals(frames(b.sink.bytes()).length, 2);
  assertEquals(frames(a.sink.bytes()).length, 3);
  await t.stop();
});

Deno.test(
  { name: "Sender reports a failed write with its link", permissions: "none" },
  async () => {
    const t = setup();
    const broken = {
      write(): Promise<number> {
        return Promise.reject(new Deno.errors.BrokenPipe("gone"));
      },
    };
    // deno-lint-ignore no-explicit-any
    const { link } = fakeLink([], broken as any);
    t.sender.use(link);
    t.publish();
    await t.settle();
    assertEquals(t.failures.length, 1);
    assertEquals((t.failures[0] as Error).name, "BrokenPipe");
    assertEquals(t.stats.framesSent, 0);
    await t.stop();
  },
);
