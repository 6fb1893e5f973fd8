// Which offline stores a receiver trusts, and for what (xep-draft §'Vouching for a Store'): pure,
// a transition(state, event) -> {state, effects}; the plugin does the I/O.
//
// The user's own store (their server's) is trusted for any file. A store elsewhere, typically
// the one on a sender's server across federation, is trusted only because a sender vouched for
// it with a <stored/> message, and only as far as each step below held:
//   1. the voucher is a roster contact of the user: a stranger's vouch counts for nothing, since
//      a subscription it led to would show the user's presence (and PEP) to a JID a stranger
//      chose (issue 12 item 2);
//   2. the vouched JID answers disco#info as a store (identity store/file and the forward
//      feature), asked once per store, with a bounded wait: a vouch naming an account or any
//      other entity is refused;
//   3. the checked store is sent a directed presence (RFC 6121 §4.6), which lets it see that we
//      are online and deliver, and grants no subscription;
//   4. its subscription request is approved only once it offered a vouched file (<sender/> the
//      voucher, that sha-256 and size): from then on it may see our presence, so that a delivery
//      cut short continues at a later login.
// Every other subscription request is the application's (ask-user).
//
// Order does not matter: at login the store's pending subscription request and the sender's
// vouch (an offline message) come in whichever order the server sends them.
import { bare, NS_FT_FORWARD, type DiscoInfo, type StoredVouch } from "@xft/protocol";

export interface Vouch extends StoredVouch {
  /** bare JID of the sender who vouched (the message's server-stamped 'from') */
  voucher: string;
}

/** What we learnt of a vouched JID by asking it (step 2). */
export type StoreCheck = "checking" | "store" | "not-store";

export interface StoreTrust {
  /** vouches from contacts, for stores being checked or checked to be stores */
  readonly vouches: readonly Vouch[];
  readonly checks: Readonly<Record<string, StoreCheck>>;
  /** stores that asked to see our presence and were not approved (yet) */
  readonly unanswered: readonly string[];
  /** checked stores that offered a file vouched for: their subscription is approved */
  readonly delivering: readonly string[];
}

export type TrustEvent =
  | { type: "vouched"; from: string; vouch: StoredVouch; fromContact: boolean }
  | { type: "store-checked"; store: string; info?: DiscoInfo }
  | { type: "vouched-offer"; store: string }
  | { type: "subscribe-request"; from: string; ownStore: boolean }
  /** a new session (not a resumed stream): the directed presences we sent are gone */
  | { type: "online" };

export type RefusedReason = "not-a-contact" | "not-an-account" | "self-vouch" | "not-a-store";

export type TrustEffect =
  /** send <presence type='subscribed'/>: the store may see our presence and deliver */
  | { type: "approve"; store: string }
  /** not ours to decide: the application (the user) answers the request */
  | { type: "ask-user"; from: string }
  /** ask the vouched JID disco#info (bounded), then feed back store-checked */
  | { type: "check-store"; store: string }
  /** send it a directed available presence: it sees us online, no subscription is granted */
  | { type: "announce"; store: string }
  /** a vouch that counts for nothing, and why (for the application's log) */
  | { type: "refused"; voucher: string; store: string; reason: RefusedReason };

/** Bounds on what peers can make us remember: the oldest entries go first. */
export const MAX_VOUCHES = 256;
export const MAX_UNANSWERED = 64;
export const MAX_STORES = 64;

export const initialTrust: StoreTrust = { vouches: [], checks: {}, unanswered: [], delivering: [] };

/** Step 2: what the component announces (component/src/xep0030/disco.ts) and nothing less. */
export function isFileStore(info: DiscoInfo | undefined): boolean {
  return Boolean(info?.identities.some((i) => i.category === "store" && i.type === "file") && info.features.includes(NS_FT_FORWARD));
}

const remember = (list: readonly string[], jid: string, max: number) => [...list.filter((s) => s !== jid), jid].slice(-max);

function withCheck(checks: StoreTrust["checks"], store: string, check: StoreCheck): StoreTrust["checks"] {
  const entries = Object.entries(checks).filter(([s]) => s !== store);
  return Object.fromEntries([...entries, [store, check]].slice(-MAX_STORES));
}

type Step = { state: StoreTrust; effects: TrustEffect[] };

export function trustStep(state: StoreTrust, event: TrustEvent): Step {
  switch (event.type) {
    case "subscribe-request": {
      const from = bare(event.from);
      if (event.ownStore || state.delivering.includes(from)) return { state, effects: [{ type: "approve", store: from }] };
      return { state: { ...state, unanswered: remember(state.unanswered, from, MAX_UNANSWERED) }, effects: [{ type: "ask-user", from }] };
    }
    case "vouched":
      return vouched(state, bare(event.from), event.vouch, event.fromContact);
    case "store-checked": {
      const store = bare(event.store);
      if (state.checks[store] !== "checking") return { state, effects: [] }; // not asked, or answered already
      if (isFileStore(event.info)) return { state: { ...state, checks: withCheck(state.checks, store, "store") }, effects: [{ type: "announce", store }] };
      const refused = state.vouches.filter((v) => v.store === store);
      return {
        state: { ...state, checks: withCheck(state.checks, store, "not-store"), vouches: state.vouches.filter((v) => v.store !== store) },
        effects: refused.map((v) => ({ type: "refused", voucher: v.voucher, store, reason: "not-a-store" })),
      };
    }
    case "vouched-offer": {
      const store = bare(event.store);
      if (state.checks[store] !== "store" || state.delivering.includes(store)) return { state, effects: [] };
      const asked = state.unanswered.includes(store);
      return {
        state: { ...state, delivering: remember(state.delivering, store, MAX_STORES), unanswered: state.unanswered.filter((s) => s !== store) },
        effects: asked ? [{ type: "approve", store }] : [], // approving unasked would pre-approve (RFC 6121 §3.4)
      };
    }
    case "online": {
      // approved stores see our broadcast presence; the others only knew us by a directed one
      const announce = Object.entries(state.checks).filter(([s, c]) => c === "store" && !state.delivering.includes(s));
      return { state, effects: announce.map(([store]) => ({ type: "announce", store })) };
    }
  }
}

function vouched(state: StoreTrust, from: string, vouch: StoredVouch, fromContact: boolean): Step {
  const refuse = (reason: RefusedReason): Step => ({ state, effects: [{ type: "refused", voucher: from, store: vouch.store, reason }] });
  if (!fromContact) return refuse("not-a-contact");
  // only an account vouches (a store must not vouch for itself or another service)
  if (!from.includes("@")) return refuse("not-an-account");
  if (vouch.store === from) return refuse("self-vouch");
  const check = state.checks[vouch.store];
  if (check === "not-store") return refuse("not-a-store");
  const entry: Vouch = { ...vouch, voucher: from };
  const same = (v: Vouch) => v.voucher === entry.voucher && v.store === entry.store && v.sha256 === entry.sha256 && v.size === entry.size;
  const vouches = [...state.vouches.filter((v) => !same(v)), entry].slice(-MAX_VOUCHES);
  if (check === undefined) {
    return { state: { ...state, vouches, checks: withCheck(state.checks, vouch.store, "checking") }, effects: [{ type: "check-store", store: vouch.store }] };
  }
  // checking: its answer decides; a checked store is told again (it may have lost us)
  return { state: { ...state, vouches }, effects: check === "store" ? [{ type: "announce", store: vouch.store }] : [] };
}

/**
 * The vouch that makes an offer from `store` trusted: the store was checked to be one, its
 * <sender/> names the voucher, and its sha-256 and size are a file the voucher left at that
 * store. None: an ordinary offer.
 */
export function vouchFor(state: StoreTrust, offer: { from: string; sender?: string; sha256?: string; size?: number }): Vouch | undefined {
  if (!offer.sender || !offer.sha256) return undefined;
  const store = bare(offer.from);
  if (state.checks[store] !== "store") return undefined;
  const sender = bare(offer.sender);
  return state.vouches.find((v) => v.store === store && v.voucher === sender && v.sha256 === offer.sha256 && v.size === offer.size);
}
