/**
 * Staying up: a dead link is noticed within seconds, and the call resumes by
 * itself when the peer is back — after a crash and restart, or a freeze.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { listening, Peer } from "./_peer.ts";
import { freePort } from "./_tools.ts";

const HEADLESS = ["--no-window", "--source", "test", "--size", "320x240", "--stats", "json"];

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

for (const killed of ["dialler", "listener"] as const) {
  Deno.test(`a ${killed} killed with SIGKILL mid-call: the other side resumes when it restarts`, async () => {
    const port = freePort();
    const listenArgs = ["--listen", `127.0.0.1:${port}`, ...HEADLESS];
    const dialArgs = ["--peer", `127.0.0.1:${port}`, ...HEADLESS];
    let a = new Peer(listenArgs);
    await a.waitFor("Waiting for the peer");
    let b = new Peer(dialArgs);
    await b.waitFor("In a call");
    await sleep(1000);
    const survivor = killed === "dialler" ? a : b;
    const victim = killed === "dialler" ? b : a;
    victim.child.kill("SIGKILL");
    await victim.exit().catch(() => {});
    await survivor.waitFor(/Lost the connection to the peer .*; reconnecting for up to 60 s/);
    await sleep(500);
    // The restarted side has a limit, so the call then ends by itself.
    if (killed === "dialler") b = new Peer([...dialArgs, "--frames", "30"]);
    else a = new Peer([...listenArgs, "--frames", "30"]);
    await survivor.waitFor(/Reconnected to .* after [\d.]+ s/);
    assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
    assertEquals(survivor.summary().reconnects, 1);
    assert(survivor.summary().frames_decoded > 30 && survivor.summary().decode_errors === 0);
  });
}

Deno.test("a peer that never comes back ends the call after --reconnect-timeout (exit 1)", async () => {
  const port = freePort();
  const a = await listening(port, [...HEADLESS, "--reconnect-timeout", "2"]);
  const b = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS]);
  await a.waitFor("In a call");
  b.child.kill("SIGKILL");
  await b.exit().catch(() => {});
  const t = performance.now();
  assertEquals(await a.exit(), 1);
  assert(performance.now() - t < 5000, "gave up on time");
  assertMatch(a.stderr, /The peer did not come back within 2 s \(--reconnect-timeout\)/);
});

Deno.test("a frozen peer (half-open link) is noticed within seconds and the call resumes", async () => {
  const port = freePort();
  const a = await listening(port, [...HEADLESS]);
  const b = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS]);
  await b.waitFor("In a call");
  await sleep(500);
  b.child.kill("SIGSTOP"); // its socket stays open, but nothing comes from it
  const t = performance.now();
  await a.waitFor(/Lost the connection to the peer .*nothing from the peer for 3 s/, 8000);
  const noticed = performance.now() - t;
  assert(noticed < 5000, `noticed after ${noticed} ms`);
  b.child.kill("SIGCONT");
  await a.waitFor(/Reconnected/, 15000);
  await b.waitFor(/Reconnected/, 15000);
  const before = b.json().filter((l) => l.type === "stats").length;
  await sleep(2000);
  a.child.kill("SIGINT");
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
  const after = b.json().filter((l) => l.type === "stats").slice(before);
  assert(after.some((l) => "decoded_fps" in l && l.decoded_fps > 20), "video flows again");
  assert(a.summary().rtt_ms !== null, "RTT measured from heartbeats");
});

Deno.test("a third caller during a call is refused at once and the call goes on", async () => {
  const port = freePort();
  const a = await listening(port, [...HEADLESS, "--frames", "90"]);
  const b = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--frames", "90"]);
  await b.waitFor("In a call");
  const c = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS]);
  assertEquals(await c.exit(), 1);
  assertMatch(c.stderr, /the call was refused: the peer is already in a call/);
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
  assertMatch(
    a.stderr,
    /Turned away a connection from 127\.0\.0\.1:\d+: a call is already in progress/,
  );
  assertEquals(a.summary().reconnects, 0);
});

Deno.test("latency is right when the peer's clock is 30 s ahead (offset from heartbeats)", async () => {
  const faketime = await new Deno.Command("sh", { args: ["-c", "command -v faketime"] }).output();
  assert(faketime.success, "faketime is not installed: run the README's test command");
  const port = freePort();
  const a = await listening(port, [...HEADLESS, "--frames", "60"]);
  // faketime shifts the wall clock only (the monotonic clock stays true).
  const b = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--frames", "60"], {
    LD_PRELOAD: "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    FAKETIME: "+30s",
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
  });
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
  const sa = a.summary(), sb = b.summary();
  assert(Math.abs(sa.clock_offset_ms - 30_000) < 500, `offset seen by A: ${sa.clock_offset_ms}`);
  assert(Math.abs(sb.clock_offset_ms + 30_000) < 500, `offset seen by B: ${sb.clock_offset_ms}`);
  for (const s of [sa, sb]) {
    assert(s.latency_ms_p95 !== null && s.latency_ms_p95 < 200, `p95 ${s.latency_ms_p95} ms`);
    assert(s.rtt_ms !== null && s.rtt_ms < 100, `rtt ${s.rtt_ms} ms`);
  }
});
