// The XEP-0363 upload service of each test server works as the templates configure it: the
// benchmark (`npm run bench -- http`) compares our transfers with it and asserts nothing, so this
// proves the service it measures is really there: discovery, a slot, PUT, GET of the same bytes,
// and the size limit raised above the benchmark's 64 MiB (but not unlimited).
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { IqError } from "@xft/protocol";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { getFile, putFile } from "../helpers/http-file.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { findUploadService, requestSlot } from "../helpers/xep0363.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;

for (const kind of SERVER_KINDS) describe(`XEP-0363 HTTP File Upload through ${serverName(kind)}`, function () {
  this.timeout(60_000);
  let server: XmppServer;
  let alice: Account;
  let work: string;

  before(async function () {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    alice = await openTestAccount({ jid: `alice@${server.host}`, password: "alicepass", service: server.service, reconnect: false });
    work = await tempDir("xft-http-upload-");
  });
  after(async function () {
    await alice?.close();
    await server?.stop();
    if (work) await removeDir(work);
  });

  it("is found by disco, grants a slot, and GET returns the bytes PUT", async function () {
    const service = await findUploadService(alice.port, server.host);
    assert.equal(service, `upload.${server.host}`);
    const src = join(work, "small.bin");
    const sha = await randomFile(src, 300 * 1024 + 7);
    const slot = await requestSlot(alice.port, service, { filename: "small.bin", size: 300 * 1024 + 7, contentType: "application/octet-stream" });
    assert.match(slot.put, /^http:\/\//);
    await putFile(slot.put, server.ip, src, 300 * 1024 + 7, "application/octet-stream", slot.putHeaders);
    const back = join(work, "back.bin");
    assert.equal(await getFile(slot.get, server.ip, back), 300 * 1024 + 7);
    assert.equal(await sha256(back), sha);
  });

  it("grants a 64 MiB slot and refuses one above its 1 GiB limit", async function () {
    const service = `upload.${server.host}`;
    const big = await requestSlot(alice.port, service, { filename: "bench.bin", size: 64 * MiB, contentType: "application/octet-stream" });
    assert.ok(big.put);
    await assert.rejects(
      requestSlot(alice.port, service, { filename: "huge.bin", size: 2048 * MiB, contentType: "application/octet-stream" }),
      // §4: <not-acceptable/> (Prosody); ejabberd's error is read as its <file-too-large/> child
      (err: unknown) => err instanceof IqError && /not-acceptable|file-too-large/.test(err.condition),
    );
  });
});
