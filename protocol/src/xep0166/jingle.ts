// XEP-0166: Jingle, v1.1.2 — the <jingle/> element, its actions, reasons and errors.
// https://xmpp.org/extensions/xep-0166.html
import { createElement as xml, Element } from "ltx/lib/ltx.js";
import { badRequest } from "../errors/stanza-error.js";

export const NS_JINGLE = "urn:xmpp:jingle:1";
export const NS_JINGLE_ERRORS = "urn:xmpp:jingle:errors:1";

export const ACTIONS = [
  "content-accept", "content-add", "content-modify", "content-reject", "content-remove",
  "description-info", "security-info", "session-accept", "session-info", "session-initiate",
  "session-terminate", "transport-accept", "transport-info", "transport-reject", "transport-replace",
] as const;
export type JingleAction = (typeof ACTIONS)[number];

/** §7.4 reason conditions */
export const REASONS = [
  "alternative-session", "busy", "cancel", "connectivity-error", "decline", "expired",
  "failed-application", "failed-transport", "general-error", "gone", "incompatible-parameters",
  "media-error", "security-error", "success", "timeout", "unsupported-applications",
  "unsupported-transports",
] as const;
export type ReasonCondition = (typeof REASONS)[number];

export type Role = "initiator" | "responder";
export type Senders = "initiator" | "responder" | "both" | "none";

export interface Content {
  creator: Role;
  name: string;
  senders: Senders;
  description?: Element;
  transport?: Element;
}

export interface Reason {
  condition: ReasonCondition;
  text?: string;
  /** application-specific child, e.g. <file-not-available/> */
  extra?: Element;
  /** §7.4 alternative-session: the session to use instead */
  sid?: string;
}

export interface Jingle {
  action: JingleAction;
  sid: string;
  initiator?: string;
  responder?: string;
  contents: Content[];
  reason?: Reason;
  /** session-info payload (first child that is not content/reason) */
  info?: Element;
}

export function makeReason(reason: Reason): Element {
  return xml("reason", {}, xml(reason.condition, {}, reason.sid !== undefined && xml("sid", {}, reason.sid)), reason.text !== undefined && xml("text", {}, reason.text), reason.extra);
}

export function makeJingle(j: Jingle): Element {
  const attrs: Record<string, string> = { xmlns: NS_JINGLE, action: j.action, sid: j.sid };
  if (j.initiator) attrs.initiator = j.initiator;
  if (j.responder) attrs.responder = j.responder;
  return xml(
    "jingle",
    attrs,
    ...j.contents.map((c) => xml("content", { creator: c.creator, name: c.name, senders: c.senders }, c.description, c.transport)),
    j.reason && makeReason(j.reason),
    j.info,
  );
}

function parseRole(raw: unknown, what: string): Role {
  if (raw === "initiator" || raw === "responder") return raw;
  throw badRequest(`${what} must be initiator or responder`);
}

function parseContent(el: Element): Content {
  const name = el.attrs.name;
  if (typeof name !== "string" || name === "") throw badRequest("content without name");
  const senders = el.attrs.senders ?? "both"; // §7.3: default 'both'
  if (!["initiator", "responder", "both", "none"].includes(senders)) throw badRequest("bad content senders");
  const description = el.getChildElements().find((c) => c.name === "description");
  const transport = el.getChildElements().find((c) => c.name === "transport");
  return { creator: parseRole(el.attrs.creator, "content creator"), name, senders, description, transport };
}

function parseReason(el: Element): Reason {
  const known = el.getChildElements().find((c) => (REASONS as readonly string[]).includes(c.name));
  const extra = el.getChildElements().find((c) => c.name !== "text" && c !== known);
  const sid = known?.getChildText("sid") ?? undefined;
  return { condition: (known?.name as ReasonCondition) ?? "general-error", text: el.getChildText("text") ?? undefined, extra, ...(sid ? { sid } : {}) };
}

export function parseJingle(el: Element): Jingle {
  if (!el.is("jingle", NS_JINGLE)) throw badRequest("not a jingle element");
  const action = el.attrs.action;
  if (!(ACTIONS as readonly string[]).includes(action)) throw badRequest(`unknown jingle action ${action}`);
  const sid = el.attrs.sid;
  if (typeof sid !== "string" || sid === "" || sid.length > 128) throw badRequest("jingle without sid");
  const reasonEl = el.getChild("reason");
  const info = el.getChildElements().find((c) => c.name !== "content" && c.name !== "reason");
  return {
    action,
    sid,
    initiator: el.attrs.initiator,
    responder: el.attrs.responder,
    contents: el.getChildren("content").map(parseContent),
    reason: reasonEl ? parseReason(reasonEl) : undefined,
    info,
  };
}

/** §8.2 / §8.3: Jingle-specific error conditions */
export const jingleError = (name: "unknown-session" | "out-of-order" | "tie-break" | "unsupported-info") => ({
  name,
  xmlns: NS_JINGLE_ERRORS,
});
