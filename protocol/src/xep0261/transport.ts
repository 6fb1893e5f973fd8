// XEP-0261: Jingle In-Band Bytestreams Transport Method, v1.0
// https://xmpp.org/extensions/xep-0261.html
import { createElement as xml, Element } from "ltx/lib/ltx.js";
import { badRequest } from "../errors/stanza-error.js";
import { MAX_BLOCK_SIZE, type IbbStanzaKind } from "../xep0047/ibb.js";

export const NS_JINGLE_IBB = "urn:xmpp:jingle:transports:ibb:1";

export interface IbbTransport {
  sid: string;
  blockSize: number;
  stanza: IbbStanzaKind;
}

export function makeIbbTransport({ sid, blockSize, stanza }: IbbTransport): Element {
  return xml("transport", { xmlns: NS_JINGLE_IBB, sid, "block-size": String(blockSize), stanza });
}

export function parseIbbTransport(el: Element): IbbTransport {
  if (!el.is("transport", NS_JINGLE_IBB)) throw badRequest("not a Jingle IBB transport");
  const sid = el.attrs.sid;
  if (typeof sid !== "string" || sid === "" || sid.length > 128) throw badRequest("IBB transport without sid");
  const raw = String(el.attrs["block-size"] ?? "");
  if (!/^[0-9]{1,6}$/.test(raw) || Number(raw) < 1) throw badRequest("IBB transport block-size must be a positive integer");
  const stanza = el.attrs.stanza ?? "iq";
  if (stanza !== "iq" && stanza !== "message") throw badRequest("IBB transport stanza must be iq or message");
  return { sid, blockSize: Number(raw), stanza };
}

/** §2: the responder may lower the block size, never raise it; we also cap at xs:short. */
export function negotiateBlockSize(offered: number, ourMax: number): number {
  return Math.max(1, Math.min(offered, ourMax, MAX_BLOCK_SIZE));
}
