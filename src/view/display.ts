/**
 * Whether a display can be used. Qt aborts the whole process when it cannot
 * reach the X server named by `DISPLAY`, so peercam checks first and asks for
 * `--no-window` instead.
 *
 * @module
 */

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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = Deno.connect({ hostname, port });
  try {
    const conn = await Promise.race([
      attempt,
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error()), PROBE_TIMEOUT_MS)
      ),
    ]);
    conn.close();
    return true;
  } catch {
    attempt.then((c) => c.close(), () => {});
    return false;
  } finally {
    clearTimeout(timer);
  }
}
