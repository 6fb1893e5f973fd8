// SASL PLAIN (RFC 4616) as a saslmechanisms mechanism. Ours rather than sasl-plain so that the
// message is a UTF-8 byte string like our SCRAM's (sasl-plain returns UTF-16 text, which btoa
// rejects or mis-encodes for non-ASCII passwords). Only offered on a TLS stream (sasl.ts).
import type { SaslCredentials, SaslMechanism } from "./types.js";

export class Plain implements SaslMechanism {
  get name() {
    return "PLAIN";
  }
  get clientFirst() {
    return true;
  }

  // RFC 4616 §2: message = [authzid] NUL authcid NUL passwd
  response({ authzid = "", username = "", password = "" }: SaslCredentials): string {
    return Buffer.from(`${authzid}\0${username}\0${password}`, "utf8").toString("latin1");
  }

  challenge(): this {
    return this;
  }
}
