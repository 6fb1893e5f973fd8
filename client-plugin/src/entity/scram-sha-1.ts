// SASL SCRAM-SHA-1 (RFC 5802) as a saslmechanisms mechanism, computed with node:crypto.
// Why not sasl-scram-sha-1 (what @xmpp/client registers): it runs Hi() as 10 000 awaited
// WebCrypto HMAC calls, 1.5-2 s per login against Prosody (SERVERS.md), and it never checks
// the server's signature. Here Hi() is one PBKDF2 call (pbkdf2 is Hi with HMAC-SHA-1,
// RFC 5802 §2.2), and the server must prove that it knows the password too (§3, §9).
//
// Byte strings: like every saslmechanisms mechanism, response() returns and challenge() takes
// strings whose char codes are bytes (what btoa/atob produce); text inside is UTF-8.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import type { SaslCredentials, SaslMechanism } from "./types.js";

const pbkdf2Async = promisify(pbkdf2);

/** A server asking for more iterations than this is refused instead of tying up a thread for seconds. */
export const MAX_ITERATIONS = 1_000_000;

export class ScramError extends Error {
  constructor(message: string) {
    super(`SCRAM-SHA-1: ${message}`);
    this.name = "ScramError";
  }
}

const toBytes = (text: string) => Buffer.from(text, "utf8").toString("latin1");
const fromBytes = (bytes: string) => Buffer.from(bytes, "latin1").toString("utf8");
const hmac = (key: Buffer, text: string) => createHmac("sha1", key).update(text, "utf8").digest();

// RFC 5802 §5.1: ',' and '=' in a name are escaped. (SASLprep of names is not done: ASCII and
// already-normalised names, as XMPP localparts are after nodeprep, pass through unchanged.)
const saslname = (name: string) => name.replace(/=/g, "=3D").replace(/,/g, "=2C");

// "a=1,b=2" -> Map; values may contain '=' (base64), never ','.
function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(",")) {
    if (part[1] !== "=") throw new ScramError(`malformed server message ${JSON.stringify(message)}`);
    map.set(part[0], part.slice(2));
  }
  return map;
}

type Stage = "initial" | "first-sent" | "challenged" | "final-sent" | "verified";

export class ScramSha1 implements SaslMechanism {
  // On the prototype, where saslmechanisms' Factory.use() looks for the name.
  get name() {
    return "SCRAM-SHA-1";
  }
  get clientFirst() {
    return true;
  }

  private stage: Stage = "initial";
  private gs2Header = "";
  private clientFirstBare = "";
  private serverFirst = "";
  private nonce = "";
  private salt = Buffer.alloc(0);
  private iterations = 0;
  private serverSignature = Buffer.alloc(0);

  /** `clientNonce` is for tests (RFC 5802's example); by default 18 random bytes, base64. */
  constructor(private readonly clientNonce = () => randomBytes(18).toString("base64")) {}

  async response(credentials: SaslCredentials): Promise<string> {
    if (this.stage === "initial") return this.firstMessage(credentials);
    if (this.stage === "challenged") return this.finalMessage(credentials);
    return ""; // after the server-final message came as a <challenge/>: an empty <response/>
  }

  challenge(challenge: string): this {
    const message = fromBytes(challenge);
    if (this.stage === "first-sent") this.readServerFirst(message);
    else if (this.stage === "final-sent") this.serverFinal(challenge);
    else throw new ScramError(`unexpected challenge ${JSON.stringify(message)}`);
    return this;
  }

  /** RFC 5802 §3: verify the server-final-message (v=ServerSignature), whether it came as a
   * <challenge/> or, as RFC 6120 §6.3.10 prefers, as the additional data of <success/>. */
  serverFinal(data: string): void {
    if (this.stage === "verified") return;
    if (this.stage !== "final-sent") throw new ScramError("authentication ended before it was complete");
    if (!data) throw new ScramError("the server did not send its signature: it did not prove it knows the password");
    const attrs = attributes(fromBytes(data));
    const error = attrs.get("e");
    if (error !== undefined) throw new ScramError(`server error: ${error}`);
    const signature = Buffer.from(attrs.get("v") ?? "", "base64");
    if (signature.length !== this.serverSignature.length || !timingSafeEqual(signature, this.serverSignature)) {
      throw new ScramError("wrong server signature: the server does not know the password");
    }
    this.stage = "verified";
  }

  // RFC 5802 §7: client-first-message = gs2-header client-first-message-bare
  private firstMessage({ username = "", authzid }: SaslCredentials): string {
    const nonce = this.clientNonce();
    this.gs2Header = authzid ? `n,a=${saslname(authzid)},` : "n,,";
    this.clientFirstBare = `n=${saslname(username)},r=${nonce}`;
    this.nonce = nonce;
    this.stage = "first-sent";
    return toBytes(this.gs2Header + this.clientFirstBare);
  }

  private readServerFirst(message: string): void {
    const attrs = attributes(message);
    if (attrs.has("m")) throw new ScramError("the server requires an extension we do not know (m=)");
    const nonce = attrs.get("r") ?? "";
    const salt = attrs.get("s") ?? "";
    const iterations = Number(attrs.get("i"));
    // §5.1: the server's nonce must start with ours, or this is not an answer to our request
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw new ScramError("server nonce does not extend ours");
    if (!salt) throw new ScramError("no salt");
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new ScramError(`iteration count ${attrs.get("i")} out of range 1..${MAX_ITERATIONS}`);
    }
    this.serverFirst = message;
    this.nonce = nonce;
    this.salt = Buffer.from(salt, "base64");
    this.iterations = iterations;
    this.stage = "challenged";
  }

  // RFC 5802 §3: the client proof, and the server signature we will expect.
  private async finalMessage({ password = "" }: SaslCredentials): Promise<string> {
    // pbkdf2 (not pbkdf2Sync): as fast, and it runs off the event loop.
    const saltedPassword = await pbkdf2Async(password, this.salt, this.iterations, 20, "sha1");
    const clientKey = hmac(saltedPassword, "Client Key");
    const storedKey = createHash("sha1").update(clientKey).digest();
    const withoutProof = `c=${Buffer.from(this.gs2Header, "utf8").toString("base64")},r=${this.nonce}`;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ clientSignature[i];
    this.serverSignature = hmac(hmac(saltedPassword, "Server Key"), authMessage);
    this.stage = "final-sent";
    return toBytes(`${withoutProof},p=${proof.toString("base64")}`);
  }
}
