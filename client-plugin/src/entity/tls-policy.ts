// Whether a client stream may go on without TLS (issue 12 item 9). Pure: the caller gives what
// the server offered and the address the socket is really connected to (socket.remoteAddress,
// never a name, which DNS or /etc/hosts could point anywhere).
import { isIP } from "node:net";

export type TlsDecision = "starttls" | "plaintext" | "refuse";

export interface TlsPolicyInput {
  /** the server's <stream:features/> carry <starttls/> */
  offered: boolean;
  /** the connected address is a loopback one (isLoopbackAddress) */
  loopback: boolean;
  /** --insecure: no certificate check and plaintext allowed (the CLI warns) */
  insecure: boolean;
}

/** TLS offered is always used, on loopback too; without it, only loopback or --insecure go on. */
export function tlsPolicy({ offered, loopback, insecure }: TlsPolicyInput): TlsDecision {
  if (offered) return "starttls";
  return loopback || insecure ? "plaintext" : "refuse";
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms; anything else (or no address) is not loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.split(".")[0] === "127";
  return isIP(address) === 6 && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(address);
}
