// Which offline stores a receiver trusts, and for what (xep-draft §'Vouching for a Store'): pure,
// a transition(state, event) -> {state, effects}; the plugin does the I/O.
//
// The user's own store (their server's) is trusted for any file. A store elsewhere, typically
// the one on a sender's server across federation, is trusted only because that sender vouched
// for it with a <stored/> message, whose 'from' the sender's server stamped and ours checked by
// dialback: nobody can vouch in another's name. Such a store is trusted for the vouched files
// only: its subscription request is approved, and its offer is taken when the offer's <sender/>
// names the voucher and the offer's sha-256 and size are a file that voucher said it left there.
//
// Order does not matter: at login the store's pending subscription request and the sender's
// vouch (an offline message) come in whichever order the server sends them; a request from a
// store nobody vouched for yet is remembered, and approved when the vouch arrives.
import type { StoredVouch } from "@xft/protocol";

export interface Vouch extends StoredVouch {
  /** bare JID of the sender who vouched (the message's server-stamped 'from') */
  voucher: string;
}

export interface StoreTrust {
  readonly vouches: readonly Vouch[];
  /** stores that asked to see our presence, not our own, not vouched for (yet) */
  readonly unanswered: readonly string[];
}

export type TrustEvent =
  | { type: "vouched"; from: string; vouch: StoredVouch }
  | { type: "subscribe-request"; from: string; ownStore: boolean };

export type TrustEffect =
  /** send <presence type='subscribed'/>: the store may see our presence and deliver */
  | { type: "approve"; store: string }
  /** not ours to decide: the application (the user) answers the request */
  | { type: "ask-user"; from: string };

/** Bounds on what peers can make us remember: the oldest entries go first. */
export const MAX_VOUCHES = 256;
export const MAX_UNANSWERED = 64;

export const initialTrust: StoreTrust = { vouches: [], unanswered: [] };

const bareOf = (jid: string) => {
  const slash = jid.indexOf("/");
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
};

export function trustStep(state: StoreTrust, event: TrustEvent): { state: StoreTrust; effects: TrustEffect[] } {
  const from = bareOf(event.from);
  if (event.type === "subscribe-request") {
    if (event.ownStore || state.vouches.some((v) => v.store === from)) return { state, effects: [{ type: "approve", store: from }] };
    const unanswered = [...state.unanswered.filter((s) => s !== from), from].slice(-MAX_UNANSWERED);
    return { state: { ...state, unanswered }, effects: [{ type: "ask-user", from }] };
  }
  // Only an account vouches (a store must not vouch for itself or another service), and only
  // for a store other than itself.
  if (!from.includes("@") || event.vouch.store === from) return { state, effects: [] };
  const vouch: Vouch = { ...event.vouch, voucher: from };
  const same = (v: Vouch) => v.voucher === vouch.voucher && v.store === vouch.store && v.sha256 === vouch.sha256 && v.size === vouch.size;
  const vouches = [...state.vouches.filter((v) => !same(v)), vouch].slice(-MAX_VOUCHES);
  const waiting = state.unanswered.includes(vouch.store);
  return {
    state: { vouches, unanswered: waiting ? state.unanswered.filter((s) => s !== vouch.store) : state.unanswered },
    effects: waiting ? [{ type: "approve", store: vouch.store }] : [],
  };
}

/**
 * The vouch that makes an offer from `store` trusted: its <sender/> names the voucher, and its
 * sha-256 and size are a file the voucher left at that store. None: an ordinary offer.
 */
export function vouchFor(state: StoreTrust, offer: { from: string; sender?: string; sha256?: string; size?: number }): Vouch | undefined {
  if (!offer.sender || !offer.sha256) return undefined;
  const store = bareOf(offer.from);
  return state.vouches.find((v) => v.store === store && v.voucher === offer.sender && v.sha256 === offer.sha256 && v.size === offer.size);
}
