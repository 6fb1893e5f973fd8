// The library's openAccount for tests: it trusts the run's CA (harness/tls-certs.ts) once a server
// started with TLS made it, as a user configures a private server's CA. The default lives here and
// not in the library, which trusts only what it is given (AccountOptions.tls).
import { readFileSync } from "node:fs";
import { openAccount, type Account, type AccountOptions } from "@xft/client-plugin/account.js";
import type { TlsOptions } from "@xft/client-plugin/entity/starttls.js";
import { harnessCaFile } from "../harness/tls-certs.js";

/** The TLS options of a test client: the run's CA, or none yet (no TLS server started). */
export function testTls(): TlsOptions | undefined {
  const caFile = harnessCaFile();
  return caFile ? { ca: [readFileSync(caFile)] } : undefined;
}

/** openAccount with `tls` defaulting to testTls(); a test about TLS passes its own. */
export function openTestAccount(opts: AccountOptions): Promise<Account> {
  return openAccount({ ...opts, tls: opts.tls ?? testTls() });
}
