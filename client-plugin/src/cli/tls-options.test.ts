import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { TlsError } from "../entity/starttls.js";
import { UsageError } from "./args.js";
import { loadTlsOptions, tlsRefusalMessage } from "./tls-options.js";

describe("xft TLS options", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "xft-tls-options-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("--ca FILE: the file's certificates are trusted beside Node's roots", () => {
    const file = path.join(dir, "ca.pem");
    fs.writeFileSync(file, tls.rootCertificates[0]); // any real certificate will do
    const opts = loadTlsOptions({ ca: file, insecure: false });
    assert.equal(opts.insecure, false);
    assert.equal(opts.ca?.length, 1);
    assert.equal(opts.ca![0].toString(), tls.rootCertificates[0]);
  });

  it("no --ca: nothing added; --insecure passed on", () => {
    assert.deepEqual(loadTlsOptions({ insecure: true }), { insecure: true });
  });

  it("a CA file missing or not a certificate is a usage error, before any connection", () => {
    assert.throws(() => loadTlsOptions({ ca: path.join(dir, "none.pem"), insecure: false }),
      (err: unknown) => err instanceof UsageError && /none\.pem: no such file/.test(err.message));
    const junk = path.join(dir, "junk.pem");
    fs.writeFileSync(junk, "password=hunter2\n");
    assert.throws(() => loadTlsOptions({ ca: junk, insecure: false }),
      (err: unknown) => err instanceof UsageError && /not a certificate/.test(err.message));
  });

  it("says what to do about each refusal, and nothing about other errors", () => {
    assert.match(tlsRefusalMessage(new TlsError("certificate", "TLS: the certificate of x is not trusted: self-signed"))!,
      /not trusted: self-signed; trust the CA that signed it with --ca FILE \(or XFT_CA\), or skip the check with --insecure$/);
    assert.equal(tlsRefusalMessage(new TlsError("plaintext-refused", "the server offers no TLS; refusing to send the password in clear")),
      "the server offers no TLS; refusing to send the password in clear (use --insecure to allow)");
    assert.equal(tlsRefusalMessage(new Error("not-authorized")), undefined);
    assert.equal(tlsRefusalMessage(new TlsError("handshake", "TLS: no handshake with x within 10000 ms")), undefined, "a network failure: exit 3");
  });
});
