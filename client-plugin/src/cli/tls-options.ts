// The CLI's side of TLS (issue 12 item 9): --ca FILE read and checked before any connection,
// the --insecure warning, and what a refused connection tells the user.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { TlsError, type TlsOptions } from "../entity/starttls.js";
import { UsageError } from "./args.js";

export const INSECURE_WARNING =
  "--insecure: the server's certificate is not checked, and where it offers no TLS the password crosses in clear";

/** --ca / --insecure as the client's TlsOptions; a CA file that cannot be read or holds no
 *  certificate is a usage error, found before anything is sent. */
export function loadTlsOptions(opts: { ca?: string; insecure: boolean }): TlsOptions {
  if (opts.ca === undefined) return { insecure: opts.insecure };
  let pem: Buffer;
  try {
    pem = readFileSync(opts.ca);
  } catch (err) {
    throw new UsageError(`--ca ${opts.ca}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  try {
    new X509Certificate(pem); // the first certificate of the file parses: it is PEM (or DER)
  } catch {
    throw new UsageError(`--ca ${opts.ca}: not a certificate (PEM, -----BEGIN CERTIFICATE-----)`);
  }
  return { ca: [pem], insecure: opts.insecure };
}

/** The line to print for a connection our TLS rule refused (exit 4), or undefined for other
 *  errors: a handshake cut or timed out is a connection failure like any other (exit 3). */
export function tlsRefusalMessage(err: unknown): string | undefined {
  if (!(err instanceof TlsError)) return undefined;
  if (err.kind === "certificate") return `${err.message}; trust the CA that signed it with --ca FILE (or XFT_CA), or skip the check with --insecure`;
  if (err.kind === "plaintext-refused") return `${err.message} (use --insecure to allow)`;
  return undefined;
}
