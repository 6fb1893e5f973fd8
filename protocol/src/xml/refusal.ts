// What a connection answers to a stanza its parser refused for a cap (stream-parser.ts,
// "stanza-refused"): an IQ get or set gets a policy-violation error (RFC 6120 §8.3.3.12), so its
// sender is not left waiting; anything else is dropped without a word, as a reply to a message or
// presence would only reflect traffic back at whoever sent it.
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { ProtocolError } from "../errors/stanza-error.js";

export function refusalReply(shell: Element, reason: string): Element | undefined {
  const { type, id, from, to } = shell.attrs;
  if (shell.name !== "iq" || (type !== "get" && type !== "set") || id === undefined) return undefined;
  const error = new ProtocolError("modify", "policy-violation", `stanza refused: ${reason}`);
  return xml("iq", { type: "error", id, ...(from ? { to: from } : {}), ...(to ? { from: to } : {}) }, error.toElement());
}
