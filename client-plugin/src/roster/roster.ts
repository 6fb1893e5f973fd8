// The roster of the logged-in account, kept current: fetched at login and after every new
// session (a resumed stream keeps it), changed by the server's pushes. The policies ask it
// synchronously; `ready` settles once the first fetch answered (or failed: then nobody is a contact).
import { EventEmitter } from "node:events";
import { ProtocolError, type XmppPort } from "@xft/protocol";
import {
  applyRosterItems, emptyRoster, isContact, isTrustedPush, makeRosterGet, NS_ROSTER, parseRosterItems, seesOurPresence, type Roster,
} from "./items.js";

export interface Contacts {
  /** settles once the roster was fetched (or could not be: then it is empty) */
  readonly ready: Promise<void>;
  isContact(jid: string): boolean;
  seesOurPresence(jid: string): boolean;
  /** the roster as it is now */
  current(): Roster;
  events: EventEmitter<{ changed: [Roster] }>;
}

/** A roster fetch that takes longer than this leaves the roster empty (nobody trusted) until the next. */
const FETCH_TIMEOUT_MS = 15_000;

export function createContacts(port: XmppPort): Contacts {
  let roster: Roster = emptyRoster;
  const events = new EventEmitter<{ changed: [Roster] }>();
  const set = (next: Roster) => {
    roster = next;
    events.emit("changed", roster);
  };
  const fetch = () =>
    port.request(makeRosterGet(), FETCH_TIMEOUT_MS).then(
      (result) => {
        const query = result.getChild("query", NS_ROSTER);
        set(applyRosterItems(roster, query ? parseRosterItems(query) : [], true));
      },
      () => undefined, // no roster: nobody is a contact, which refuses rather than trusts
    );
  port.onIqSet(NS_ROSTER, "query", async (iq, query) => {
    if (!isTrustedPush(iq.attrs.from as string | undefined, port.jid())) {
      throw new ProtocolError("cancel", "service-unavailable", "roster pushes come from the account's own server");
    }
    set(applyRosterItems(roster, parseRosterItems(query)));
  });
  port.onOnline?.((resumed) => {
    if (!resumed) void fetch();
  });
  return {
    ready: fetch(),
    isContact: (jid) => isContact(roster, jid),
    seesOurPresence: (jid) => seesOurPresence(roster, jid),
    current: () => roster,
    events,
  };
}
