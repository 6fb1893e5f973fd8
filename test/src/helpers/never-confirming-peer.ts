// A receiver the way Dino 0.4.2 behaves (../shared/INTEROP.md): it accepts every file offer, from
// byte 0 whatever the offer says (no <range/>), takes the bytes, and never confirms (no
// <received/>, no session-terminate). Built on an account's port with the protocol's builders.
import { randomBytes } from "node:crypto";
import { createElement as xml } from "ltx/lib/ltx.js";
import { makeDescription, makeIbbTransport, makeJingle, NS_IBB, NS_JINGLE, parseDescription, parseIbbTransport, parseJingle } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";

export interface NeverConfirmingPeer {
  /** session-initiates it accepted */
  offers: number;
  /** file bytes it got, over all sessions */
  bytes: number;
}

export function neverConfirmingPeer(account: Account): NeverConfirmingPeer {
  const seen: NeverConfirmingPeer = { offers: 0, bytes: 0 };
  account.port.onIqSet(NS_JINGLE, "jingle", async (iq, el) => {
    const j = parseJingle(el);
    const content = j.contents[0];
    if (j.action !== "session-initiate" || !content?.description || !content.transport) return;
    seen.offers++;
    const file = parseDescription(content.description);
    const accept = makeJingle({
      action: "session-accept", sid: j.sid, responder: account.jid,
      contents: [{
        creator: content.creator, name: content.name, senders: content.senders,
        description: makeDescription({ ...file, range: undefined, extensions: [] }),
        transport: makeIbbTransport(parseIbbTransport(content.transport)),
      }],
    });
    // after the IQ result, as clients do
    setImmediate(() => void account.port.request(xml("iq", { type: "set", to: String(iq.attrs.from), id: randomBytes(6).toString("hex") }, accept), 10_000).catch(() => undefined));
  });
  account.port.onIqSet(NS_IBB, "open", async () => undefined);
  account.port.onIqSet(NS_IBB, "data", async (_iq, el) => void (seen.bytes += Buffer.from(el.text(), "base64").length));
  account.port.onIqSet(NS_IBB, "close", async () => undefined);
  return seen;
}
