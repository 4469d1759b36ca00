import { CallError } from "../src/errors.ts";
import { checkSnapshotDir, saveSnapshot, snapshotName } from "../src/view/snapshot.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "./_assert.ts";

const AT = new Date(2026, 0, 2, 3, 4, 5, 6); // local time

Deno.test({
  name: "snapshotName() spells the local date, time and milliseconds, then the attempt",
  permissions: "none",
  fn() {
    assertEquals(snapshotName("bob", AT), "peercam-bob-20260102-030405-006.jpg");
    assertEquals(snapshotName("bob", AT, 1), "peercam-bob-20260102-030405-006.jpg");
    assertEquals(snapshotName("bob", AT, 2), "peercam-bob-20260102-030405-006-2.jpg");
    assertEquals(snapshotName("bob", AT, 13), "peercam-bob-20260102-030405-006-13.jpg");
    const late = new Date(2026, 11, 31, 23, 59, 58, 999);
    assertEquals(snapshotName("bob", late), "peercam-bob-20261231-235958-999.jpg");
  },
});

Deno.test({
  name: "snapshotName() keeps letters, digits, dash, underscore and dot of the peer's name",
  permissions: "none",
  fn() {
    assertEquals(snapshotName("Ann_B-2.home", AT), "peercam-Ann_B-2.home-20260102-030405-006.jpg");
    assertEquals(snapshotName("José", AT), "peercam-José-20260102-030405-006.jpg");
    assertEquals(snapshotName("bob@box", AT), "peercam-bob_box-20260102-030405-006.jpg");
    assertEquals(snapshotName("a b", AT), "peercam-a_b-20260102-030405-006.jpg");
  },
});

Deno.test({
  name: "snapshotName() makes hostile names harmless",
  permissions: "none",
  fn() {
    const hostile = [
      "../../etc/passwd",
      "..",
      "/",
      "a/../../b",
      "\u001b[2J\u0007bell\n",
      "a\u0000b",
      "\u202eexe.gpj", // right-to-left override
      "x".repeat(300),
      "...",
    ];
    for (const name of hostile) {
      const file = snapshotName(name, AT, 2);
      assert(!file.includes("/"), file);
      assert(!file.includes(".."), file);
      // deno-lint-ignore no-control-regex
      assert(!/[\u0000-\u001f\u007f\u202e]/.test(file), JSON.stringify(file));
      assertMatch(file, /^peercam-[\p{L}\p{N}._-]+-20260102-030405-006-2\.jpg$/u);
      assert(new TextEncoder().encode(file).length <= 255, `too long: ${file.length}`);
    }
    assertEquals(
      snapshotName("../../etc/passwd", AT),
      "peercam-____etc_passwd-20260102-030405-006.jpg",
    );
  },
});

Deno.test({
  name: "snapshotName() names an empty peer 'peer'",
  permissions: "none",
  fn() {
    assertEquals(snapshotName("", AT), "peercam-peer-20260102-030405-006.jpg");
    assertEquals(snapshotName("  ", AT), "peercam-peer-20260102-030405-006.jpg");
  },
});

Deno.test("saveSnapshot() writes the exact bytes and never overwrites", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const buffer = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9, 9, 9]);
    const first = buffer.subarray(0, 7);
    const second = new Uint8Array([0xff, 0xd8, 7, 0xff, 0xd9]);
    const [a, b] = await Promise.all([
      saveSnapshot(dir, "bob", first, AT),
      saveSnapshot(dir, "bob", second, AT),
    ]);
    assert(a !== b, a);
    assertEquals(
      [a, b].map((p) => p.slice(dir.length + 1)).sort(),
      ["peercam-bob-20260102-030405-006-2.jpg", "peercam-bob-20260102-030405-006.jpg"],
    );
    const third = await saveSnapshot(dir, "bob", second, AT);
    assert(third.endsWith("-006-3.jpg"), third);
    const expected: Array<[string, Uint8Array]> = [[a, first], [b, second], [third, second]];
    for (const [path, bytes] of expected) {
      assertEquals(Array.from(await Deno.readFile(path)), Array.from(bytes), path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveSnapshot() copies the bytes before the caller can reuse its buffer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const buffer = new Uint8Array([1, 2, 3, 4]);
    const saving = saveSnapshot(dir, "bob", buffer, AT);
    buffer.fill(0);
    assertEquals(Array.from(await Deno.readFile(await saving)), [1, 2, 3, 4]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveSnapshot() stays in its directory whatever the peer's name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await saveSnapshot(dir, "../../x", new Uint8Array([1]), AT);
    assertEquals(path.slice(0, dir.length + 1), `${dir}/`);
    assertEquals(Array.from(Deno.readDirSync(dir)).map((e) => e.name), [
      path.slice(dir.length + 1),
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveSnapshot() reports a removed directory in one line", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.remove(dir);
  const error = await assertRejects(
    () => saveSnapshot(dir, "bob", new Uint8Array([1]), AT),
    CallError,
    `Cannot save a snapshot in "${dir}": no such file or directory`,
  );
  assert(!error.message.includes("\n") && !error.message.includes("os error"), error.message);
});

Deno.test("checkSnapshotDir() accepts a writable directory and leaves nothing behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await checkSnapshotDir(dir);
    assertEquals(Array.from(Deno.readDirSync(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkSnapshotDir() rejects a missing directory and a file, in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = `${dir}/nope`;
    const a = await assertRejects(
      () => checkSnapshotDir(missing),
      CallError,
      `Cannot save snapshots in "${missing}": no such directory`,
    );
    assertMatch(a.message, /--snapshot-dir/);
    const file = `${dir}/file`;
    await Deno.writeFile(file, new Uint8Array());
    await assertRejects(
      () => checkSnapshotDir(file),
      CallError,
      `Cannot save snapshots in "${file}": it is not a directory`,
    );
    // Below a regular file: stat fails with ENOTDIR, not ENOENT.
    await assertRejects(
      () => checkSnapshotDir(`${file}/sub`),
      CallError,
      `Cannot save snapshots in "${file}/sub": not a directory`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkSnapshotDir() rejects a directory that even root cannot write to", async () => {
  // chmod does not stop root; sysfs refuses new files to everyone.
  const dir = "/sys";
  let writable = true;
  try {
    (await Deno.open(`${dir}/peercam-test`, { write: true, createNew: true })).close();
    await Deno.remove(`${dir}/peercam-test`);
  } catch {
    writable = false;
  }
  assert(!writable, `${dir} should refuse new files`);
  const error = await assertRejects(
    () => checkSnapshotDir(dir),
    CallError,
    `Cannot save snapshots in "/sys": cannot create a file there: `,
  );
  assertMatch(
    error.message,
    /: (permission denied|read-only file system) \(choose another --snapshot-dir\)$/,
  );
});
