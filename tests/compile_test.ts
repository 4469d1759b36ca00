/**
 * `deno task compile`: the single binary, with the shim embedded, makes a
 * loopback call from an empty directory. `deno compile` needs its runtime
 * (`denort`), which it downloads from a host that may be unreachable; then it
 * must come from `DENORT_BIN`, and without it this test is skipped, saying why.
 */

import { assert, assertEquals } from "./_assert.ts";
import { freePort, ROOT } from "./_tools.ts";

const denort = Deno.env.get("DENORT_BIN");
const reason = denort
  ? undefined
  : "DENORT_BIN is not set: deno compile cannot fetch its runtime here (see README, Single binary)";
if (reason) console.error(`compile_test: skipped: ${reason}`);

Deno.test({
  name: `deno task compile builds dist/peercam, which calls from an empty directory${
    reason ? ` (skipped: ${reason})` : ""
  }`,
  ignore: reason !== undefined,
  async fn() {
    const compile = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(compile.success, new TextDecoder().decode(compile.stderr));
    const dir = await Deno.makeTempDir();
    try {
      await Deno.copyFile(`${ROOT}dist/peercam`, `${dir}/peercam`);
      await Deno.chmod(`${dir}/peercam`, 0o755);
      const port = freePort();
      const env = { PATH: "/usr/bin:/bin", HOME: dir };
      const common = ["--no-window", "--source", "test", "--frames", "60", "--stats", "json"];
      const spawn = (args: string[]) =>
        new Deno.Command(`${dir}/peercam`, {
          args: [...args, ...common],
          cwd: dir,
          env,
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).output();
      const a = spawn(["--listen", `127.0.0.1:${port}`]);
      await new Promise((r) => setTimeout(r, 500));
      const b = spawn(["--peer", `127.0.0.1:${port}`]);
      for (const out of await Promise.all([a, b])) {
        const err = new TextDecoder().decode(out.stderr);
        assertEquals(out.code, 0, err);
        const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
        const summary = JSON.parse(lines.at(-1)!);
        assert(summary.frames_decoded >= 60 && summary.decode_errors === 0, err);
      }
      assertEquals(
        [...Deno.readDirSync(dir)].map((e) => e.name),
        ["peercam"],
        "nothing left behind",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
