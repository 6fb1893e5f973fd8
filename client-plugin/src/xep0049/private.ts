// XEP-0049: Private XML Storage, v1.2 (2004-03-01) — store one element per namespace on the
// user's own server, read it back from any of the user's devices.
// https://xmpp.org/extensions/xep-0049.html
// Pure builders and parsers: no connection here (see prefs/store.ts for the I/O).
import { createElement as xml, type Element } from "ltx/lib/ltx.js";

export const NS_PRIVATE = "jabber:iq:private";

/** A request we refuse to build, or a result that does not answer our request. */
export class PrivateStorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrivateStorageError";
  }
}

/** §2.3: "namespaces beginning with 'jabber:' or 'http://jabber.org/', as well as 'vcard-temp'" are reserved. */
export function isReservedNamespace(ns: string): boolean {
  return ns.startsWith("jabber:") || ns.startsWith("http://jabber.org/") || ns === "vcard-temp";
}

function checkKey(name: string, xmlns: string | undefined): string {
  if (!name || name.includes(":")) throw new PrivateStorageError(`private storage: bad element name ${JSON.stringify(name)}`);
  // §2.1: the stored fragment's root "is scoped by its own namespace". Always an explicit xmlns
  // attribute: ejabberd rejects a child that would inherit jabber:iq:private.
  if (!xmlns) throw new PrivateStorageError(`private storage: <${name}/> needs its own xmlns`);
  if (isReservedNamespace(xmlns)) throw new PrivateStorageError(`private storage: namespace ${xmlns} is reserved (XEP-0049 §2.3)`);
  return xmlns;
}

/**
 * §2.3 "Client Retrieves Private Data": an empty element naming what to fetch. Exactly one
 * child ("A client MUST NOT query for more than [one] namespace in a single IQ get"); no 'to':
 * the data is the sender's own (another user's gets forbidden / service-unavailable).
 */
export function makePrivateGet(name: string, xmlns: string): Element {
  checkKey(name, xmlns);
  return xml("iq", { type: "get" }, xml("query", { xmlns: NS_PRIVATE }, xml(name, { xmlns })));
}

/** §2.3 "Client Stores Private Data": exactly one element, with its own explicit xmlns. */
export function makePrivateSet(element: Element): Element {
  checkKey(element.name, element.attrs.xmlns);
  return xml("iq", { type: "set" }, xml("query", { xmlns: NS_PRIVATE }, element));
}

/**
 * The stored element from a get's result, or undefined when the server holds none (servers
 * echo the empty element we asked for, or an empty query). A result naming another element or
 * namespace is an error: it is not what we asked for.
 */
export function parsePrivateResult(iq: Element, name: string, xmlns: string): Element | undefined {
  checkKey(name, xmlns);
  if (iq.name !== "iq" || iq.attrs.type !== "result") throw new PrivateStorageError(`private storage: expected an iq result, got <${iq.name} type='${iq.attrs.type}'>`);
  const query = iq.getChild("query", NS_PRIVATE);
  if (!query) return undefined;
  const children = query.getChildElements();
  if (children.length === 0) return undefined;
  // §2.3 allows several elements in a result when they share the namespace; we asked for one.
  const match = children.find((c) => c.getName() === name && c.getNS() === xmlns);
  if (!match) {
    const got = children.map((c) => `<${c.name} xmlns='${c.getNS()}'/>`).join(", ");
    throw new PrivateStorageError(`private storage: asked for <${name} xmlns='${xmlns}'/>, got ${got}`);
  }
  return match;
}
