// SASL authentication (RFC 6120 §6) as a stream feature: @xmpp/sasl 0.14's, with two changes.
// 1. The additional data of <success/> goes to the mechanism (§6.3.10: that is where the
//    server-final-message of SCRAM comes), so SCRAM checks the server's signature; @xmpp/sasl
//    drops it, so no xmpp.js mechanism can.
// 2. PLAIN is only chosen on a TLS stream (as @xmpp/client's createOnAuthenticate does).
// Not supported, because our servers (Prosody 0.12, ejabberd 23.01) do not offer it: SASL2 /
// FAST / Bind 2 (XEP-0388, XEP-0484, XEP-0386).
import { xml } from "@xmpp/client-core";
import { procedure } from "@xmpp/events";
import SASLError from "@xmpp/sasl/lib/SASLError.js";
import type { SaslCredentials, SaslFactory, SaslMechanism, StreamFeatures, XmppEntity } from "./types.js";

export const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

// Mechanisms speak byte strings (char code = byte); the wire speaks base64.
const encode = (bytes: string) => Buffer.from(bytes, "latin1").toString("base64");
const decode = (base64: string) => Buffer.from(base64, "base64").toString("latin1");

/** The first of our mechanisms, in our order of preference, that the server offers. */
export function chooseMechanism(factory: SaslFactory, offered: string[], secure: boolean): string | undefined {
  return factory._mechs
    .map(({ name }) => name)
    .find((name) => offered.includes(name) && (name !== "PLAIN" || secure));
}

async function authenticate(entity: XmppEntity, mech: SaslMechanism, credentials: SaslCredentials): Promise<void> {
  // §6.4.2: an empty initial response is sent as "="
  const initial = mech.clientFirst ? encode(await mech.response(credentials)) || "=" : undefined;
  await procedure(entity, xml("auth", { xmlns: NS_SASL, mechanism: mech.name }, initial), async (element, done) => {
    if (element.getNS() !== NS_SASL) return;
    if (element.name === "challenge") {
      await mech.challenge(decode(element.getText()));
      const response = await mech.response(credentials);
      await entity.send(xml("response", { xmlns: NS_SASL }, encode(response)));
    } else if (element.name === "failure") {
      throw SASLError.fromElement(element);
    } else if (element.name === "success") {
      mech.serverFinal?.(decode(element.getText()));
      done();
    }
  });
}

export function sasl(
  { streamFeatures, saslFactory }: { streamFeatures: StreamFeatures; saslFactory: SaslFactory },
  credentials: SaslCredentials,
): void {
  streamFeatures.use("mechanisms", NS_SASL, async ({ entity }, _next, feature) => {
    const offered = feature.getChildren("mechanism", NS_SASL).map((m) => m.getText());
    const name = chooseMechanism(saslFactory, offered, entity.isSecure());
    if (!name) throw new SASLError("SASL: No compatible mechanism available.", `offered: ${offered.join(" ")}`);
    await authenticate(entity, saslFactory.create([name])!, credentials);
    await entity.restart();
  });
}
