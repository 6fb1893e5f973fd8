// JID helpers shared by the engine, the client plugin and the component (RFC 7622).

/**
 * The bare JID (localpart@domainpart) of a bare or full JID, lower-cased: the resource (after the
 * first '/', RFC 7622 §3.1) is dropped. Lower-casing stands in for PRECIS case mapping; this does
 * not validate (the store's bareJid does, for what it keeps).
 */
export function bare(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}
