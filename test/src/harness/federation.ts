// Two servers that federate: Prosody for a.test on 127.0.0.2 and ejabberd for b.test on
// 127.0.0.3, server dialback, no TLS. Both rendered from the same templates as the one-server
// tests. s2s must use the standard 5269 (a server finds its peer's s2s port by SRV or 5269;
// there is no SRV here), which distinct loopback addresses make possible; c2s and component
// ports are free ones. Names resolve through /etc/hosts (Prosody's libunbound with hoststxt) and
// an inetrc (ejabberd's own Erlang resolver): the harness adds its /etc/hosts lines and restores
// the file exactly on stop(), on a failed start and at process exit.
import fs from "node:fs";
import { startEjabberd, type EjabberdServer } from "./ejabberd.js";
import { onExit } from "./lifecycle.js";
import { startProsody } from "./prosody.js";
import type { XmppServer } from "./servers.js";

export const HOSTS_FILE = "/etc/hosts";
const MARK = "# xft-federation-test"; // on each added line, so a SIGKILLed run's lines can be found
const A = { host: "a.test", ip: "127.0.0.2" };
const B = { host: "b.test", ip: "127.0.0.3" };
const S2S_PORT = 5269;
// `.localhost` names break Prosody's resolver for ALL lookups (libunbound: "local-data in
// redirect zone must reside at top of zone"), hence .test.
const HOST_LINES = [
  `${A.ip} ${A.host}`, `${B.ip} ${B.host}`, `${A.ip} files.${A.host}`, `${B.ip} files.${B.host}`,
];

export interface Federation {
  a: XmppServer; // Prosody, a.test
  b: XmppServer & Pick<EjabberdServer, "kickSession">; // ejabberd, b.test
  stop(): Promise<void>;
}

/** Why federation tests cannot run here, or undefined if they can. */
export function federationUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: the ejabberd harness and the /etc/hosts lines need root";
  try {
    fs.accessSync(HOSTS_FILE, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    return `${HOSTS_FILE} is not writable (${(err as Error).message})`;
  }
  return undefined;
}

/** Adds our lines to /etc/hosts; the returned function puts the file back as it was. */
export function addHostLines(lines: string[], file = HOSTS_FILE): () => void {
  const before = fs.readFileSync(file, "utf8");
  const cleaned = withoutOurLines(before); // lines a SIGKILLed run left behind
  const sep = cleaned === "" || cleaned.endsWith("\n") ? "" : "\n";
  const ours = lines.map((l) => `${l} ${MARK}\n`).join("");
  const original = cleaned;
  // In place (no rename): /etc/hosts is often a bind mount in containers.
  fs.writeFileSync(file, cleaned + sep + ours);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    const now = fs.readFileSync(file, "utf8");
    // Exactly the original if nobody else changed the file meanwhile; else only our lines go.
    fs.writeFileSync(file, now === original + sep + ours ? original : withoutOurLines(now));
    removeHook();
  };
  const removeHook = onExit(restore);
  return restore;
}

function withoutOurLines(text: string): string {
  return text.split(/(?<=\n)/).filter((l) => !l.includes(MARK)).join("");
}

export async function startFederation(): Promise<Federation> {
  const restoreHosts = addHostLines(HOST_LINES);
  const started: XmppServer[] = [];
  const stop = async () => {
    try {
      await Promise.all(started.map((s) => s.stop()));
    } finally {
      restoreHosts();
    }
  };
  try {
    const a = Object.assign(await startProsody({
      // offline: both keep messages for users who are away, as deployed servers do (the
      // store's notice and receipt, the sender's vouch for its store)
      // plaintext c2s too, for now: Prosody's ssl certificate is global, so with TLS it would also
      // offer s2s STARTTLS to ejabberd, which this dialback setup has not been tried with (these
      // suites run on fixed ports and /etc/hosts, in the lead's runs only)
      tls: false,
      host: A.host, interface: A.ip, s2sPort: S2S_PORT, extraModules: ["dialback", "offline"],
      extraGlobals: [
        "unbound = { hoststxt = true }  -- resolve a.test/b.test from /etc/hosts",
        "use_ipv6 = false",
        "s2s_require_encryption = false",
        "s2s_secure_auth = false        -- dialback without TLS certificates",
      ].join("\n"),
    }), { kind: "prosody" as const });
    started.push(a);
    const b = Object.assign(await startEjabberd({
      tls: false, // as a.test
      host: B.host, interface: B.ip, s2sPort: S2S_PORT, extraModules: ["mod_s2s_dialback", "mod_offline"],
      extraGlobals: [
        "s2s_access: all",
        "outgoing_s2s_families: [ipv4]",
        `outgoing_s2s_port: ${S2S_PORT}`,
        "s2s_dns_timeout: 2",
        "s2s_dns_retries: 1   # 0 fails every lookup at once",
      ].join("\n"),
      // ejabberd resolves with its own Erlang resolver: file lookups only, from these lines
      inetrc: [
        `{host, {127,0,0,2}, ["${A.host}", "files.${A.host}"]}.`,
        `{host, {127,0,0,3}, ["${B.host}", "files.${B.host}"]}.`,
        "{lookup, [file]}.",
        '{resolv_conf, ""}.',
        "",
      ].join("\n"),
    }), { kind: "ejabberd" as const });
    started.push(b);
    return { a, b, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
