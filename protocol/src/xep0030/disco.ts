// XEP-0030: Service Discovery, v2.5rc3 — stanza builders and parsers (no behaviour). Used by the
// component to describe itself and by the client plugin to find it.
// https://xmpp.org/extensions/xep-0030.html
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { badRequest } from "../errors/stanza-error.js";

export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";

/** §3.1: category and type are required; name is for humans. */
export interface Identity {
  category: string;
  type: string;
  name?: string;
}

export interface DiscoInfo {
  identities: Identity[];
  features: string[];
}

export interface DiscoItem {
  jid: string;
  node?: string;
  name?: string;
}

/** §3.1 Example 1: the <query/> of an info request (node: §3.2). */
export function makeInfoQuery(node?: string): Element {
  return xml("query", { xmlns: NS_DISCO_INFO, node });
}

/** §4.1 Example 16: the <query/> of an items request. */
export function makeItemsQuery(node?: string): Element {
  return xml("query", { xmlns: NS_DISCO_ITEMS, node });
}

/** §3.1 Example 2: the <query/> of an info result. Features are written once each, in order. */
export function makeInfoResult(info: DiscoInfo, node?: string): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node },
    ...info.identities.map((i) => xml("identity", { category: i.category, type: i.type, name: i.name })),
    ...[...new Set(info.features)].map((v) => xml("feature", { var: v })),
  );
}

export function makeItemsResult(items: DiscoItem[], node?: string): Element {
  return xml("query", { xmlns: NS_DISCO_ITEMS, node }, ...items.map((i) => xml("item", { jid: i.jid, node: i.node, name: i.name })));
}

function queryOf(el: Element, ns: string): Element {
  const query = el.is("query", ns) ? el : el.getChild("query", ns);
  if (!query) throw badRequest(`no <query xmlns='${ns}'/>`);
  return query;
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * Reads an info result (the <iq/> or its <query/>). §3.1: identities without category or type,
 * and features without var, are not valid: they are skipped rather than failing the whole
 * answer, since a server's other entries may still name what we look for.
 */
export function parseInfo(el: Element): DiscoInfo {
  const query = queryOf(el, NS_DISCO_INFO);
  const identities: Identity[] = [];
  const features: string[] = [];
  for (const child of query.getChildElements()) {
    if (child.name === "identity") {
      const category = text(child.attrs.category);
      const type = text(child.attrs.type);
      if (category && type) identities.push({ category, type, ...(text(child.attrs.name) ? { name: child.attrs.name } : {}) });
    } else if (child.name === "feature") {
      const v = text(child.attrs.var);
      if (v && !features.includes(v)) features.push(v);
    }
  }
  return { identities, features };
}

/** Reads an items result (the <iq/> or its <query/>); §4.1: an item without jid is skipped. */
export function parseItems(el: Element): DiscoItem[] {
  const items: DiscoItem[] = [];
  for (const child of queryOf(el, NS_DISCO_ITEMS).getChildren("item")) {
    const jid = text(child.attrs.jid);
    if (!jid) continue;
    items.push({ jid, ...(text(child.attrs.node) ? { node: child.attrs.node } : {}), ...(text(child.attrs.name) ? { name: child.attrs.name } : {}) });
  }
  return items;
}
