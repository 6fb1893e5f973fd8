// One interface over the test servers, so a suite runs once per server kind:
//   for (const kind of SERVER_KINDS) describe(`... through ${serverName(kind)}`, function () { ... })
// XFT_TEST_SERVERS picks the kinds (comma-separated, default "prosody,ejabberd"); an unknown name
// is an error, not a silently shorter run.
import { startEjabberd } from "./ejabberd.js";
import { startProsody } from "./prosody.js";

export type ServerKind = "prosody" | "ejabberd";
const ALL: readonly ServerKind[] = ["prosody", "ejabberd"];

export interface XmppServer {
  kind: ServerKind;
  host: string;
  c2sPort: number;
  componentPort: number;
  httpPort: number; // the server's HTTP listener, serving its XEP-0363 upload service
  ip: string; // listen address
  service: string; // xmpp://ip:c2sPort
  componentService: string;
  components: Record<string, string>; // domain -> secret
  /** started with tls: the run's CA (harness/tls-certs.ts), for clients to verify the server */
  caFile?: string;
  readonly pid: number | undefined;
  register(user: string, password: string): Promise<void>;
  stop(): Promise<void>;
  /** Stop and start again on the same ports and data (accounts survive), after downMs (default 0) down. */
  restart(downMs?: number): Promise<void>;
  /** The server's log (and console output), for assertions and failure messages. */
  log(): Promise<string>;
}

export function parseServerKinds(value: string | undefined): ServerKind[] {
  const names = (value ?? ALL.join(",")).split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!ALL.includes(n as ServerKind)) throw new Error(`XFT_TEST_SERVERS: unknown server ${JSON.stringify(n)} (known: ${ALL.join(", ")})`);
  }
  if (!names.length) throw new Error("XFT_TEST_SERVERS names no server");
  return names as ServerKind[];
}

export const SERVER_KINDS: ServerKind[] = parseServerKinds(process.env.XFT_TEST_SERVERS);

export const serverName = (kind: ServerKind) => (kind === "prosody" ? "Prosody" : "ejabberd");

export { TLS_BY_DEFAULT } from "./tls-certs.js";

export interface ServerOptions {
  /** domain -> secret; default one component, files.localhost */
  components?: Record<string, string>;
  /** STARTTLS on c2s, required before SASL, certificate from the run's CA (caFile); default TLS_BY_DEFAULT */
  tls?: boolean;
}

/** A throwaway server of this kind: host localhost, one component files.localhost unless
 *  `components` (domain -> secret) names others. */
export async function startServer(kind: ServerKind, opts: ServerOptions = {}): Promise<XmppServer> {
  const server = kind === "prosody" ? await startProsody(opts) : await startEjabberd(opts);
  return Object.assign(server, { kind });
}
