// A certificate authority made for this test process, and one server certificate it signed for
// every host name the harness serves (localhost, the federation's a.test / b.test, and
// resubscribe.test's late host b.invalid, each with its subdomains: files., upload.). Made once per process with `openssl` (Debian's base system
// has it) and shared by every server started with { tls: true }; clients verify against caFile.
// The directory goes at process exit; one a SIGKILLed run left behind is removed by the next.
import { execFile } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { onExit, orphanedDirs } from "./lifecycle.js";

const run = promisify(execFile);
const DIR_PREFIX = "xft-tls-";

/** The names the server certificate is valid for (subjectAltName): each host and its subdomains
 *  the harness uses (files., upload.), named one by one. No wildcard: Python's service_identity
 *  18 (Twisted, hence Libervia) refuses a certificate holding `*.localhost` ("too few host
 *  components for wildcard usage"), and verifying the one-label name `localhost` against any
 *  wildcard (`*.a.test`) raises ValueError in its _hostname_matches. */
export const CERTIFICATE_NAMES = ["localhost", "a.test", "b.test", "b.invalid"].flatMap((h) => [h, `files.${h}`, `upload.${h}`]);

export interface TestCertificates {
  dir: string;
  /** the CA certificate (PEM): what a client trusts */
  caFile: string;
  /** the server certificate (PEM), signed by the CA, for CERTIFICATE_NAMES and 127.0.0.1 */
  certFile: string;
  /** its private key (PEM, unencrypted) */
  keyFile: string;
}

/** Servers offer (and require) STARTTLS unless a suite asks for { tls: false }, as every real
 *  server does; XFT_TEST_TLS=0 runs the suites in plaintext instead. */
export const TLS_BY_DEFAULT = process.env.XFT_TEST_TLS !== "0";

let made: Promise<TestCertificates> | undefined;
let madeCaFile: string | undefined;

/** This process's CA and server certificate, made on first use. */
export function testCertificates(): Promise<TestCertificates> {
  made ??= makeCertificates().then((certs) => ((madeCaFile = certs.caFile), certs), (err) => {
    made = undefined; // a later call may try again
    throw err;
  });
  return made;
}

/** The run's CA file once a server started with TLS made it (else undefined): what the test
 *  clients trust by default (helpers/cli.ts accountEnv, helpers/account.ts), as a user gives
 *  `xft --ca` a private server's CA. Synchronous, for helpers called after startServer. */
export function harnessCaFile(): string | undefined {
  return madeCaFile;
}

async function makeCertificates(): Promise<TestCertificates> {
  await reapOrphans();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  onExit(() => fs.rmSync(dir, { recursive: true, force: true })); // synchronous: it runs at exit
  await fsp.writeFile(path.join(dir, "owner.pid"), String(process.pid));
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) =>
    run("openssl", args, { cwd: dir, timeout: 20_000 }).catch((err: NodeJS.ErrnoException & { stderr?: string }) => {
      const why = err.code === "ENOENT" ? "openssl is not installed (apt-get install openssl)" : err.stderr || err.message;
      throw new Error(`test certificates: openssl ${args[0]} failed: ${why}`);
    });
  // P-256 keys: made in milliseconds, and both Prosody (LuaSec) and ejabberd (Erlang ssl) take them
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(["req", "-x509", ...key, "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "7",
    "-subj", `/CN=xft test CA ${process.pid}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  await openssl(["req", ...key, "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=localhost"]);
  const san = [...CERTIFICATE_NAMES.map((n) => `DNS:${n}`), "IP:127.0.0.1"].join(",");
  await fsp.writeFile(file("server.ext"), [
    `subjectAltName=${san}`, "basicConstraints=CA:FALSE",
    "keyUsage=digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth,clientAuth", "",
  ].join("\n"));
  await openssl(["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
    "-set_serial", String(Date.now()), "-days", "7", "-extfile", file("server.ext"), "-out", file("server.pem")]);
  return { dir, caFile: file("ca.pem"), certFile: file("server.pem"), keyFile: file("server.key") };
}

async function reapOrphans(): Promise<void> {
  for (const dir of await orphanedDirs(DIR_PREFIX)) await fsp.rm(dir, { recursive: true, force: true });
}
