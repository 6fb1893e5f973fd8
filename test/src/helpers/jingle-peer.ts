// A raw Jingle file sender for hostile tests: an account that builds its own stanzas with the
// protocol's builders and sends whatever the test wants, whenever it wants (no engine to keep
// it honest). It records the Jingle stanzas the receiver sends back.
import { randomBytes } from "node:crypto";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { makeChecksum, makeData, makeDescription, makeIbbTransport, makeJingle, makeOpen, NS_JINGLE, NS_JINGLE_S5B, type ReasonCondition } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { until } from "./wait.js";
import { openTestAccount } from "./account.js";

export const SHA_OF_EMPTY = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

export interface RawOffer {
  sid: string;
  ibb: string;
  blockSize: number;
}

export interface RawFile {
  name: string;
  size: number;
  sha256?: string;
  noRange?: boolean;
  noHash?: boolean;
  s5b?: boolean;
}

export interface JinglePeer {
  /** Jingle elements the receiver sent us, in arrival order */
  received: Element[];
  /** the session-initiate IQ of a file offer to `to` (a full JID); sha: base64 sha-256, default made up */
  /** noRange: no <range/> in the offer, as Dino, Gajim and Conversations send it (cannot resume);
   *  s5b: a SOCKS5 transport (one direct candidate) instead of IBB, as Libervia 0.9 offers */
  offerIq(to: string, file: RawFile): { iq: Element; offer: RawOffer };
  /** offers, and resolves once the IQ was answered with a result (rejects with the IqError otherwise) */
  /** noHash: no <hash/> at all, as Dino offers (XEP-0234 lets the hash come later in a <checksum/>) */
  offer(to: string, file: RawFile): Promise<RawOffer>;
  /** waits for the receiver's session-accept, opens the bytestream and sends `data` in one block */
  sendData(to: string, o: RawOffer, data: Buffer, timeoutMs?: number): Promise<void>;
  /** waits for the receiver's session-accept and opens the bytestream, to send blocks one by one */
  openStream(to: string, o: RawOffer, timeoutMs?: number): Promise<void>;
  /** one IBB data block with sequence number seq (XEP-0047 §2.2: it wraps at 65536) */
  sendBlock(to: string, o: RawOffer, seq: number, data: Buffer, timeoutMs?: number): Promise<void>;
  terminate(to: string, o: RawOffer, condition: ReasonCondition): Promise<void>;
  /** the XEP-0234 §checksum session-info IQ for this offer, naming `sha256` as the file's hash */
  checksumIq(to: string, o: RawOffer, sha256: string): Element;
  /** the receiver's session-terminate for this offer, once it came, with its reason's condition */
  terminated(o: RawOffer, timeoutMs?: number): Promise<string | undefined>;
}

export function jinglePeer(account: Account): JinglePeer {
  const received: Element[] = [];
  // acknowledged, so the receiver's sessions stay up as long as the test wants
  account.port.onIqSet(NS_JINGLE, "jingle", async (_iq, el) => void received.push(el));
  const iq = (to: string, child: Element) => xml("iq", { type: "set", to, id: randomBytes(6).toString("hex") }, child);
  const fromReceiver = (o: RawOffer, action: string) => received.find((j) => j.attrs.sid === o.sid && j.attrs.action === action);
  const peer: JinglePeer = {
    received,
    offerIq(to, file) {
      const offer: RawOffer = { sid: randomBytes(8).toString("hex"), ibb: randomBytes(8).toString("hex"), blockSize: 4096 };
      const sha = file.sha256 ?? randomBytes(32).toString("base64");
      const jingle = makeJingle({
        action: "session-initiate", sid: offer.sid, initiator: account.jid,
        contents: [{
          creator: "initiator", name: "f", senders: "initiator",
          description: makeDescription({ name: file.name, size: file.size, hashes: file.noHash ? [] : [{ algo: "sha-256", value: sha }], range: file.noRange ? undefined : {}, extensions: [] }),
          transport: file.s5b
            ? xml("transport", { xmlns: NS_JINGLE_S5B, sid: offer.ibb, mode: "tcp" }, xml("candidate", { cid: "c1", host: "192.0.2.1", port: "9", jid: account.jid, priority: "8257536", type: "direct" }))
            : makeIbbTransport({ sid: offer.ibb, blockSize: offer.blockSize, stanza: "iq" }),
        }],
      });
      return { iq: iq(to, jingle), offer };
    },
    async offer(to, file) {
      const { iq: stanza, offer } = peer.offerIq(to, file);
      await account.port.request(stanza, 10_000);
      return offer;
    },
    async sendData(to, o, data, timeoutMs = 10_000) {
      await peer.openStream(to, o, timeoutMs);
      await peer.sendBlock(to, o, 0, data, timeoutMs);
    },
    async openStream(to, o, timeoutMs = 10_000) {
      await until(`the receiver's session-accept of ${o.sid}`, () => fromReceiver(o, "session-accept") !== undefined, timeoutMs);
      await account.port.request(iq(to, makeOpen(o.ibb, o.blockSize)), timeoutMs);
    },
    async sendBlock(to, o, seq, data, timeoutMs = 10_000) {
      await account.port.request(iq(to, makeData(o.ibb, seq % 65536, data)), timeoutMs);
    },
    async terminate(to, o, condition) {
      await account.port.request(iq(to, makeJingle({ action: "session-terminate", sid: o.sid, contents: [], reason: { condition } })), 10_000);
    },
    checksumIq(to, o, sha256) {
      const info = makeChecksum("initiator", "f", { hashes: [{ algo: "sha-256", value: sha256 }], extensions: [] });
      return iq(to, makeJingle({ action: "session-info", sid: o.sid, contents: [], info }));
    },
    async terminated(o, timeoutMs = 10_000) {
      await until(`the receiver's session-terminate of ${o.sid}`, () => fromReceiver(o, "session-terminate") !== undefined, timeoutMs);
      return fromReceiver(o, "session-terminate")!.getChild("reason")?.children.find((c): c is Element => typeof c !== "string" && c.name !== "text")?.name;
    },
  };
  return peer;
}

/** A hostile user's own connection (no reconnect: the test decides what happens) and its raw Jingle peer. */
export async function openJinglePeer(server: { host: string; service: string }, user: string, resource: string): Promise<{ account: Account; peer: JinglePeer }> {
  const account = await openTestAccount({ jid: `${user}@${server.host}`, password: `${user}pass`, service: server.service, resource, reconnect: false });
  return { account, peer: jinglePeer(account) };
}
