// The harness's TLS (startServer(kind, { tls: true })) against the real servers, with raw sockets
// only: STARTTLS offered and required, a handshake that verifies against the run's CA alone, and
// the certificate made once per test process.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { serverName, SERVER_KINDS, startServer, TLS_BY_DEFAULT, type XmppServer } from "./servers.js";
import { CERTIFICATE_NAMES, harnessCaFile, testCertificates } from "./tls-certs.js";
import { testTls } from "../helpers/account.js";
import { accountEnv } from "../helpers/cli.js";
import { clientHeader, Raw } from "../helpers/raw-xmpp.js";

const STARTTLS_REQUIRED = /<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]>\s*<required\/>/;

async function featuresOf(srv: XmppServer): Promise<string> {
  const raw = await Raw.open(srv.c2sPort, srv.ip);
  try {
    return await raw.send(clientHeader(srv.host), /<\/stream:features>/);
  } finally {
    raw.close();
  }
}

describe("harness: TLS certificates", function () {
  this.timeout(30_000);

  it("makes one CA and one server certificate per process, for every test host name", async () => {
    const first = await testCertificates();
    assert.equal(await testCertificates(), first, "made again");
    const text = execFileSync("openssl", ["x509", "-in", first.certFile, "-noout", "-ext", "subjectAltName"], { encoding: "utf8" });
    for (const name of CERTIFICATE_NAMES) assert.ok(text.includes(`DNS:${name}`), `${name} missing: ${text}`);
    // the server certificate chains to the CA (openssl's own check, not Node's)
    const verified = execFileSync("openssl", ["verify", "-CAfile", first.caFile, first.certFile], { encoding: "utf8" });
    assert.match(verified, /: OK/);
  });
});

for (const kind of SERVER_KINDS) {
  describe(`harness: TLS on ${serverName(kind)}`, function () {
    this.timeout(60_000);
    let srv: XmppServer;
    before(async () => {
      srv = await startServer(kind, { tls: true });
      await srv.register("alice", "alicepass");
    });
    after(() => srv?.stop());

    it("offers STARTTLS as required, and no SASL before it", async () => {
      const features = await featuresOf(srv);
      assert.match(features, STARTTLS_REQUIRED);
      assert.doesNotMatch(features, /<mechanism>PLAIN<\/mechanism>/, "PLAIN offered on a plaintext stream");
    });

    it("completes a handshake verified against the run's CA, then offers SASL", async () => {
      assert.equal(srv.caFile, (await testCertificates()).caFile);
      const raw = await Raw.open(srv.c2sPort, srv.ip);
      await raw.send(clientHeader(srv.host), /<\/stream:features>/);
      const secure = await raw.startTls(srv.host, fs.readFileSync(srv.caFile!));
      try {
        assert.equal(secure.tls.authorized, true, String(secure.tls.authorizationError));
        const features = await secure.send(clientHeader(srv.host), /<\/stream:features>/);
        assert.match(features, /<mechanism>PLAIN<\/mechanism>/);
        const creds = Buffer.from("\0alice\0alicepass").toString("base64");
        assert.match(await secure.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`, /<success|<failure/), /<success/);
      } finally {
        secure.close();
      }
    });

    it("fails the handshake for a client that trusts another CA (here: Node's roots)", async () => {
      const raw = await Raw.open(srv.c2sPort, srv.ip);
      await raw.send(clientHeader(srv.host), /<\/stream:features>/);
      const someRoot = (await import("node:tls")).rootCertificates[0];
      await assert.rejects(raw.startTls(srv.host, someRoot), (err: NodeJS.ErrnoException) =>
        /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/.test(String(err.code)));
      raw.close();
    });
  });
}

for (const kind of SERVER_KINDS) {
  describe(`harness: ${serverName(kind)}'s default is STARTTLS (XFT_TEST_TLS=0 turns it off)`, function () {
    this.timeout(60_000);
    const started: XmppServer[] = [];
    after(() => Promise.all(started.map((s) => s.stop())));

    it(TLS_BY_DEFAULT ? "a server started without a tls option requires STARTTLS, and the test clients trust its CA"
      : "XFT_TEST_TLS=0: a server started without a tls option is plaintext", async () => {
      const srv = await startServer(kind);
      started.push(srv);
      assert.equal(TLS_BY_DEFAULT, process.env.XFT_TEST_TLS !== "0");
      if (!TLS_BY_DEFAULT) {
        assert.doesNotMatch(await featuresOf(srv), /<starttls/);
        return;
      }
      assert.match(await featuresOf(srv), STARTTLS_REQUIRED);
      assert.equal(srv.caFile, harnessCaFile());
      assert.equal(accountEnv("alice@localhost", "alicepass", srv.service).XFT_CA, srv.caFile);
      assert.deepEqual(testTls()?.ca, [fs.readFileSync(srv.caFile!)]);
    });

    it("{ tls: false } is plaintext, SASL PLAIN offered at once", async () => {
      const srv = await startServer(kind, { tls: false });
      started.push(srv);
      assert.equal(srv.caFile, undefined);
      const features = await featuresOf(srv);
      assert.doesNotMatch(features, /<starttls/);
      assert.match(features, /<mechanism>PLAIN<\/mechanism>/);
    });
  });
}
