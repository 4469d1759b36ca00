/**
 * Whether a display can be used. Qt aborts the whole process when it cannot
 * reach the X server named by `DISPLAY`, so peercam checks first and asks for
 * `--no-window` instead.
 *
 * @module
 */

import { TIMED_OUT, withTimeout } from "../async.ts";
import { exists } from "../exists.ts";

/** How long to wait for a remote X server to answer. */
export const PROBE_TIMEOUT_MS = 1000;

/**
 * Checks that the X11 display in `DISPLAY` answers (Wayland desktops provide
 * one through XWayland): a local display's socket must exist; a remote one
 * (`host:N`, such as an SSH-forwarded display) must accept a TCP connection
 * on port 6000 + N.
 *
 * @param env The environment to read `DISPLAY` from.
 * @returns True when a display is reachable.
 */
export async function displayAvailable(
  env: Pick<Deno.Env, "get"> = Deno.env,
): Promise<boolean> {
  const display = env.get("DISPLAY");
  if (!display) return false;
  const local = /^(?:unix)?:(\d+)(?:\.\d+)?$/.exec(display);
  if (local) return exists(`/tmp/.X11-unix/X${local[1]}`);
  const remote = /^([^:/]+|\[[^\]]+\]):(\d+)(?:\.\d+)?$/.exec(display);
  if (!remote) return false;
  const hostname = remote[1]!.replace(/^\[|\]$/g, "");
  const port = 6000 + Number(remote[2]);
  const attempt = Deno.connect({ hostname, port });
  const conn = await withTimeout(attempt.catch(() => null), PROBE_TIMEOUT_MS);
  if (conn === TIMED_OUT) {
    attempt.then((c) => c.close(), () => {});
    return false;
  }
  conn?.close();
  return conn !== null;
}
