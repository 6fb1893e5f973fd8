// XEP-0353: Jingle Message Initiation, v0.8 — find the device that will take a file when all we
// know is the bare JID: <propose/> to the bare JID, the chosen device answers <proceed/>.
// https://xmpp.org/extensions/xep-0353.html
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { NS_JINGLE_FT } from "@xft/protocol";

export const NS_JMI = "urn:xmpp:jingle-message:0";
export const NS_HINTS = "urn:xmpp:hints";

export type JmiAction = "propose" | "proceed" | "reject" | "retract";

export interface JmiMessage {
  action: JmiAction;
  id: string;
  from: string;
}

export function makeJmi(to: string, action: JmiAction, id: string): Element {
  return xml(
    "message",
    { to, type: "chat", id: `jmi-${id}` },
    xml(action, { xmlns: NS_JMI, id }, action === "propose" ? xml("description", { xmlns: NS_JINGLE_FT }) : undefined),
    // §3: keep the propose out of offline storage and archives
    action === "propose" ? xml("no-store", { xmlns: NS_HINTS }) : undefined,
  );
}

export function parseJmi(message: Element): JmiMessage | undefined {
  const el = message.getChildElements().find((c) => c.attrs.xmlns === NS_JMI);
  if (!el || !["propose", "proceed", "reject", "retract"].includes(el.name)) return undefined;
  const id = el.attrs.id;
  if (typeof id !== "string" || id === "") return undefined;
  if (el.name === "propose" && !el.getChild("description", NS_JINGLE_FT)) return undefined; // not a file proposal
  return { action: el.name as JmiAction, id, from: String(message.attrs.from ?? "") };
}
