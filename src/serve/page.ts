/**
 * The page `--serve` shows at `/`: the peer's video, your self-view, both
 * names and the live stats. Self-contained (no external assets, works
 * offline); the names and stats come from `/stats` and are set as text,
 * so nothing a peer sends is ever parsed as HTML.
 *
 * The peer's video is a box of fixed size (the window's width, its height
 * less the header and the stats line), the picture scaled into it with its
 * shape kept: the page does not move when the stream starts, when the peer
 * sends smaller frames for a while (a slow link) or frames of another
 * shape (a peer that came back with another size).
 *
 * @module
 */

/** What the page needs to know when it is served. */
export interface PageOptions {
  /** The query string every URL of the page carries (`?token=…`, or ""). */
  query: string;
  /** The nonce that lets the page's one inline script run under the CSP. */
  nonce: string;
}

/**
 * The page's HTML.
 *
 * @param options The query suffix for its URLs and the script nonce.
 * @returns The document.
 */
export function pageHtml(options: PageOptions): string {
  // Both values are URL- and HTML-safe (token and nonce are base64url);
  // JSON.stringify and the `<` escape keep it so even if that changed.
  const query = JSON.stringify(options.query).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>peercam</title>
<style>
  body { margin: 0; background: #111; color: #ddd; font: 14px system-ui, sans-serif; }
  header { padding: 8px 12px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 16px; margin: 0; color: #fff; }
  main { position: relative; margin: 0 12px; }
  #peer { display: block; width: 100%; height: calc(100vh - 90px); min-height: 120px;
    object-fit: contain; background: #000; }
  #self { position: absolute; right: 8px; bottom: 8px; width: 22%; border: 2px solid #888;
    background: #000; transform: scaleX(-1); }
  #stats { padding: 6px 12px; font-family: ui-monospace, monospace; color: #9c9; }
  .gone { opacity: 0.3; }
</style>
</head>
<body>
<header><h1 id="title">peercam</h1><span id="phase">connecting</span></header>
<main>
  <img id="peer" alt="The peer's video">
  <img id="self" alt="Your video" title="You, mirrored as in a mirror">
</main>
<div id="stats">no stats yet</div>
<script nonce="${options.nonce}">
"use strict";
const query = ${query};
const $ = (id) => document.getElementById(id);
$("peer").src = "stream" + query;
$("self").src = "self/stream" + query;
const num = (v, unit) => v === null || v === undefined ? "-" : v + unit;
async function poll() {
  try {
    const r = await fetch("stats" + query, { cache: "no-store" });
    if (!r.ok) throw new Error(String(r.status));
    const s = await r.json();
    $("title").textContent = (s.peer ?? "waiting for the peer") + " \\u2194 " + s.self;
    $("phase").textContent = s.phase;
    const t = s.stats;
    $("stats").textContent = t === null ? "no stats yet" :
      "received " + num(t.decoded_fps, " fps") + ", " + num(Math.round(t.received_kbps), " kbit/s") +
      "  sent " + num(t.sent_fps, " fps") + "  latency p95 " + num(t.latency_ms_p95, " ms") +
      "  rtt " + num(t.rtt_ms, " ms");
    document.body.classList.remove("gone");
  } catch {
    $("phase").textContent = "the call has ended or the server is gone";
    document.body.classList.add("gone");
  }
}
poll();
setInterval(poll, 1000);
</script>
</body>
</html>
`;
}
