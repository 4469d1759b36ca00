import { displayAvailable } from "../src/view/display.ts";
import { assertEquals } from "./_assert.ts";
import { Xvfb } from "./_x11.ts";

const env = (display?: string) => ({ get: (k: string) => k === "DISPLAY" ? display : undefined });

Deno.test("displayAvailable() is false without DISPLAY or with a malformed one", async () => {
  assertEquals(await displayAvailable(env(undefined)), false);
  assertEquals(await displayAvailable(env("")), false);
  assertEquals(await displayAvailable(env("nonsense")), false);
});

Deno.test("displayAvailable() checks a local display's socket", async () => {
  assertEquals(await displayAvailable(env(":4321")), false);
  await using x = await Xvfb.start();
  assertEquals(await displayAvailable(env(x.display)), true);
  assertEquals(await displayAvailable(env(`${x.display}.0`)), true);
});

Deno.test("displayAvailable() probes a remote display's X port", async () => {
  // Find a display number whose port 6000+N we can open, standing in for an X server.
  let listener: Deno.TcpListener | undefined;
  let n = 50;
  for (; n < 100 && !listener; n++) {
    try {
      listener = Deno.listen({ hostname: "127.0.0.1", port: 6000 + n });
    } catch { /* taken */ }
  }
  if (!listener) throw new Error("no free port in 6050..6099");
  const display = `127.0.0.1:${n - 1}`;
  const accepting = listener.accept().then((c) => c.close(), () => {});
  assertEquals(await displayAvailable(env(display)), true);
  await accepting;
  listener.close();
  assertEquals(await displayAvailable(env(display)), false);
});
