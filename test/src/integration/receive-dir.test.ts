// Issue 12 item 6, against real servers: a receive directory may be shared, so nothing planted in
// it (links to files outside, a FIFO named like a part) may redirect a write or block `xft
// receive`; a directory it creates is its user's alone (0700).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, stopRuns, type CliRun } from "../helpers/cli.js";
import { listDir, randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";

for (const kind of SERVER_KINDS) describe(`what is planted in the receive directory through ${serverName(kind)} (issue 12 item 6)`, function () {
  this.timeout(90_000);
  let server: XmppServer;
  let work: string;
  const runs: CliRun[] = [];
  const env = (user: string) => accountEnv(`${user}@${server.host}`, `${user}pass`, server.service);
  const track = (run: CliRun) => (runs.push(run), run);

  before(async () => {
    server = await startServer(kind);
    for (const u of ["alice", "bob"]) await server.register(u, `${u}pass`);
    await befriendUsers(env("alice"), env("bob"));
    work = await tempDir();
  });
  after(async () => {
    await stopRuns(runs);
    await server?.stop();
    if (work) await removeDir(work);
  });

  it("links to files outside and FIFOs named like parts: the file arrives under a free name, nothing outside changes, nothing blocks", async () => {
    const inbox = join(work, "inbox");
    const outside = join(work, "outside");
    await mkdir(inbox);
    await mkdir(outside);
    const victims = ["victim", "victim-record", "victim-ledger"];
    for (const v of victims) await writeFile(join(outside, v), `${v}: precious\n`);
    const before = await Promise.all(victims.map((v) => sha256(join(outside, v))));
    await symlink("../outside/victim", join(inbox, "photo.jpg"));
    await symlink("../outside/victim-record", join(inbox, "photo.jpg.xft-part.json"));
    await symlink("../outside/victim-ledger", join(inbox, ".xft-received.json"));
    execFileSync("mkfifo", [join(inbox, "photo.jpg.xft-part"), join(inbox, "photo.jpg.0123456789ab.xft-part.json")]);

    const bob = track(runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "60"], env("bob")));
    await bob.ready();
    // the receiver's ledger is written to a temporary name with its pid first: a link there too
    await symlink("../outside/victim-ledger", join(inbox, `.xft-received.json.${bob.child.pid}.tmp`));
    const src = join(work, "photo.jpg");
    const expected = await randomFile(src, 300 * 1024);
    const alice = track(runXft(["send", `bob@${server.host}`, src, "--no-offline-forward", "--confirm-timeout", "50"], env("alice")));
    assert.equal(await alice.exit, 0, `alice's send: ${alice.stderr()}`);
    assert.equal(await bob.exit, 0, `the receiver got the file: ${bob.stderr()}`);

    const done = bob.events.find((e) => e.type === "completed")!;
    assert.equal(String(done.path), join(inbox, "photo (1).jpg"), "the first free name: photo.jpg is taken by the link");
    assert.equal(await sha256(done.path), expected);
    assert.deepEqual(await Promise.all(victims.map((v) => sha256(join(outside, v)))), before, "nothing outside the inbox changed");
    assert.deepEqual((await readdir(outside)).sort(), [...victims].sort(), "nothing new outside the inbox");
    assert.ok((await listDir(inbox)).includes("photo (1).jpg"));
  });

  it("creates a missing receive directory 0700; an existing one keeps its mode", async () => {
    const fresh = join(work, "fresh", "inbox");
    const bob = track(runXft(["receive", "--dir", fresh, "--count", "1", "--timeout", "2"], env("bob")));
    await bob.ready();
    assert.equal((await stat(fresh)).mode & 0o777, 0o700, "a new receive directory is its user's alone");
    assert.equal((await stat(join(work, "fresh"))).mode & 0o777, 0o700, "and so are the parents it created");
    await bob.exit;

    const shared = join(work, "shared");
    await mkdir(shared, { mode: 0o755 });
    const again = track(runXft(["receive", "--dir", shared, "--count", "1", "--timeout", "2"], env("bob")));
    await again.ready();
    await again.exit;
    assert.equal((await stat(shared)).mode & 0o777, 0o755, "an existing directory is left as it is");
  });
});
