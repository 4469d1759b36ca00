/**
 * peercam: one-to-one video chat for the terminal.
 *
 *     deno run -A main.ts --listen 2000 --peer host:2001
 *
 * Exit status: 0 for a normal end, 1 for a runtime failure, 2 for a usage
 * error. Every failure is one line on stderr, never a stack trace (set
 * `PEERCAM_DEBUG=1` to see one).
 *
 * @module
 */

import { ShimLoadError } from "./ffi/loader.ts";
import { type Command, parseCommandLine } from "./src/cli.ts";
import { HELP } from "./src/help.ts";
import { runDemo } from "./src/demo.ts";
import { CallError, messageOf, UsageError } from "./src/errors.ts";
import { listSources } from "./src/list_sources.ts";
import { generateCode } from "./src/net/secret.ts";
import { Session } from "./src/session.ts";
import { Terminal } from "./src/terminal.ts";
import { VERSION } from "./src/version.ts";

/**
 * Runs peercam with `args` and returns the exit status.
 *
 * @param args Command-line arguments.
 * @returns 0, 1 or 2.
 */
export async function main(args: string[]): Promise<number> {
  const terminal = new Terminal();
  let command: Command;
  try {
    command = parseCommandLine(args, {
      user: envUser(),
      hostname: hostname(),
      secret: Deno.env.get("PEERCAM_SECRET"),
      relay: Deno.env.get("PEERCAM_RELAY"),
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`peercam: ${error.message}`);
    return 2;
  }
  if (command.kind === "help") {
    await Deno.stdout.write(new TextEncoder().encode(HELP));
    return 0;
  }
  if (command.kind === "new-code") {
    await Deno.stdout.write(new TextEncoder().encode(`${generateCode()}\n`));
    return 0;
  }
  if (command.kind === "version") {
    await Deno.stdout.write(new TextEncoder().encode(`peercam ${VERSION}\n`));
    return 0;
  }
  try {
    if (command.kind === "list-sources") {
      await Deno.stdout.write(new TextEncoder().encode(await listSources()));
      return 0;
    }
    if (command.options.statsFile !== undefined) terminal.jsonTo(command.options.statsFile);
    if (command.kind === "demo") return await runDemo(command.options, terminal);
    const session = new Session(command.options, terminal);
    let interrupts = 0;
    const stop = (): void => {
      // The first Ctrl-C hangs up cleanly; a second one does not wait for that.
      if (++interrupts > 1) {
        terminal.finish();
        terminal.status("Interrupted again; exiting without waiting for the peer");
        Deno.exit(1);
      }
      session.quit("Interrupted (Ctrl-C); ending the call");
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    try {
      const end = await session.run();
      terminal.finish();
      terminal.status(end.message);
      return 0;
    } finally {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
    }
  } catch (error) {
    terminal.finish();
    if (Deno.env.get("PEERCAM_DEBUG")) console.error(error);
    if (error instanceof CallError || error instanceof ShimLoadError) {
      terminal.status(error.message);
    } else {
      terminal.status(`Internal error: ${messageOf(error)}`);
    }
    return 1;
  }
}

function envUser(): string | undefined {
  try {
    return Deno.env.get("USER") ?? Deno.env.get("LOGNAME");
  } catch {
    return undefined;
  }
}

function hostname(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
