// XEP-0260: Jingle SOCKS5 Bytestreams Transport Method, v1.0, only as far as leaving it for IBB.
// https://xmpp.org/extensions/xep-0260.html
// We have no SOCKS5. Some initiators offer it alone, whatever our disco#info says (Libervia 0.9
// takes its first registered streaming transport), and replace it by IBB only when no candidate
// works (§2.5: both sides sent <candidate-error/>; §3: the initiator then sends transport-replace).
// So a SOCKS5 file offer is accepted with no candidates of ours and a <candidate-error/>, and
// the session waits (bounded by the stall timeout) for the initiator's transport-replace to IBB.
import { createElement as xml, Element } from "ltx/lib/ltx.js";
import { badRequest } from "../errors/stanza-error.js";
import { NS_JINGLE_IBB, parseIbbTransport, type IbbTransport } from "../xep0261/transport.js";

export const NS_JINGLE_S5B = "urn:xmpp:jingle:transports:s5b:1";

/** The offer came over SOCKS5: its transport sid, which our session-accept and candidate-error name. */
export interface S5bFallback {
  sid: string;
}

export interface OfferedTransport {
  transport: IbbTransport;
  s5bFallback?: S5bFallback;
}

/**
 * The transport of a session-initiate: IBB as offered, or a SOCKS5 one we will leave for IBB
 * (then `placeholder` stands for the IBB transport until the initiator names it). A pull
 * (we would send) over SOCKS5 and any other transport are refused.
 */
export function offeredTransport(el: Element, weSend: boolean, placeholder: IbbTransport): OfferedTransport {
  if (el.is("transport", NS_JINGLE_IBB)) return { transport: parseIbbTransport(el) };
  if (el.is("transport", NS_JINGLE_S5B) && !weSend) return { transport: placeholder, s5bFallback: { sid: s5bSid(el) } };
  throw badRequest("only the IBB transport (XEP-0261) is supported");
}

function s5bSid(el: Element): string {
  const sid = el.attrs.sid;
  if (typeof sid !== "string" || sid === "" || sid.length > 128) throw badRequest("SOCKS5 transport without sid");
  return sid;
}

/** §2.2: the responder's transport in session-accept, here with no candidates. */
export function makeS5bAccept({ sid }: S5bFallback): Element {
  return xml("transport", { xmlns: NS_JINGLE_S5B, sid, mode: "tcp" });
}

/** §2.4: none of the initiator's candidates works for us (we try none). */
export function makeCandidateError({ sid }: S5bFallback): Element {
  return xml("transport", { xmlns: NS_JINGLE_S5B, sid }, xml("candidate-error"));
}
