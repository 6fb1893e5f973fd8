// The preferences element in the user's XEP-0049 private storage: read once at login, written
// when the user changes a value. Works on any xmpp.js entity through an XmppPort (Prosody's and
// ejabberd's mod_private both keep one element per name + namespace).
import { IqError, type XmppPort } from "@xft/protocol";
import type { Element } from "ltx/lib/ltx.js";
import { makePrivateGet, makePrivateSet, parsePrivateResult } from "../xep0049/private.js";
import {
  DEFAULT_PREFERENCES, makePreferences, NS_PREFS, parsePreferences, preferenceExtensions, PREFS_ELEMENT, type PreferenceError, type Preferences,
} from "./preferences.js";

/** Private storage could not be read or written (the IQ failed); `cause` is the IqError. */
export class PreferencesStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PreferencesStoreError";
  }
}

export interface PreferencesStoreOptions {
  /** ms to wait for the server's answer; default the port's (30 s) */
  timeoutMs?: number;
}

export interface PreferencesStore {
  /**
   * The stored preferences; defaults for anything not stored. A stored bad value throws
   * PreferenceError, or with `onInvalid` is reported there and replaced by its default.
   */
  load(onInvalid?: (err: PreferenceError) => void): Promise<Preferences>;
  /** replaces the stored element; children another version wrote and we do not know are kept */
  save(p: Preferences): Promise<void>;
}

export function preferencesStore(port: XmppPort, { timeoutMs }: PreferencesStoreOptions = {}): PreferencesStore {
  async function request(iq: Element, what: string): Promise<Element> {
    try {
      return await port.request(iq, timeoutMs);
    } catch (err: any) {
      throw new PreferencesStoreError(`cannot ${what} preferences in private storage: ${err?.message ?? err}`, { cause: err });
    }
  }

  async function fetch(): Promise<Element | undefined> {
    const result = await request(makePrivateGet(PREFS_ELEMENT, NS_PREFS), "read");
    return parsePrivateResult(result, PREFS_ELEMENT, NS_PREFS);
  }

  return {
    async load(onInvalid) {
      const el = await fetch();
      return el ? parsePreferences(el, onInvalid) : { ...DEFAULT_PREFERENCES };
    },
    async save(p) {
      // Read-modify-write so that unknown children survive; a failed read only loses those.
      const current = await fetch().catch((err) => {
        if (err instanceof PreferencesStoreError && err.cause instanceof IqError) return undefined;
        throw err;
      });
      const el = makePreferences(p, current ? preferenceExtensions(current) : []);
      await request(makePrivateSet(el), "write");
    },
  };
}
