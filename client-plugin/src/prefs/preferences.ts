// The user's recovery preferences: the three options of patent US 2014/0108575 (automatic
// retransfer, automatic reception, offline forwarding) plus the "set period" to wait for a
// receiver's confirmation and the store to forward to. One element, kept in XEP-0049 private
// storage (see store.ts) so that every device of the user reads the same choices.
// Element: xep-draft/xep-jingle-ft-recovery.xml §Preferences (urn:xmpp:jingle-ft-recovery:prefs:0).
// Values are character data of child elements, never attributes: Prosody 0.12 was seen to
// return an attribute-only private element empty.
import { clone, createElement as xml, type Element } from "ltx/lib/ltx.js";

export const NS_PREFS = "urn:xmpp:jingle-ft-recovery:prefs:0";
export const PREFS_ELEMENT = "preferences";

export interface Preferences {
  /** sender: after an interruption, re-offer the rest of the file without asking */
  autoRetransfer: boolean;
  /** receiver: accept continuations of files already being received without a prompt */
  autoReceive: boolean;
  /** sender: when the receiver does not confirm within confirmTimeout, hand the file to the store */
  offlineForward: boolean;
  /** seconds to wait for the receiver's confirmation (the patent's "set period"), 1..86400 */
  confirmTimeout: number;
  /** JID of the offline store component; absent: discovered with XEP-0030 on the user's server */
  component?: string;
}

/** auto-receive is off by default: receiving without a prompt is something a user opts in to. */
export const DEFAULT_PREFERENCES: Readonly<Preferences> = Object.freeze({
  autoRetransfer: true,
  autoReceive: false,
  offlineForward: true,
  confirmTimeout: 60,
});

/** Wire and CLI names, in the order they are written and printed. */
export const PREFERENCE_KEYS = ["auto-retransfer", "auto-receive", "offline-forward", "confirm-timeout", "component"] as const;
export type PreferenceKey = (typeof PREFERENCE_KEYS)[number];

export const PREFERENCE_FIELDS: Readonly<Record<PreferenceKey, keyof Preferences>> = {
  "auto-retransfer": "autoRetransfer",
  "auto-receive": "autoReceive",
  "offline-forward": "offlineForward",
  "confirm-timeout": "confirmTimeout",
  component: "component",
};

export const CONFIRM_TIMEOUT_MAX = 86_400;

/** A bad preference: unknown key or invalid value. `key` names it (undefined: the element itself). */
export class PreferenceError extends Error {
  constructor(readonly key: string | undefined, message: string) {
    super(message);
    this.name = "PreferenceError";
  }
}

export function isPreferenceKey(key: string): key is PreferenceKey {
  return (PREFERENCE_KEYS as readonly string[]).includes(key);
}

// RFC 7622, loosely: [local@]domain[/resource], no spaces, nothing that is not allowed in a localpart.
const JID_RE = /^(?:[^\s"&'/:<>@]{1,1023}@)?[^\s@/.][^\s@/]{0,1022}(?:\/\S.{0,1022})?$/u;

function parseBoolean(key: PreferenceKey, raw: string): boolean {
  // xs:boolean: true | false | 1 | 0, whitespace collapsed
  const s = raw.trim();
  if (s === "true" || s === "1") return true;
  if (s === "false" || s === "0") return false;
  throw new PreferenceError(key, `${key} must be true or false (got ${JSON.stringify(raw)})`);
}

function parseSeconds(key: PreferenceKey, raw: string): number {
  const s = raw.trim();
  const n = Number(s);
  if (!/^[0-9]{1,6}$/.test(s) || n < 1 || n > CONFIRM_TIMEOUT_MAX) {
    throw new PreferenceError(key, `${key} must be a whole number of seconds from 1 to ${CONFIRM_TIMEOUT_MAX} (got ${JSON.stringify(raw)})`);
  }
  return n;
}

function parseJid(key: PreferenceKey, raw: string): string | undefined {
  const s = raw.trim();
  if (s === "") return undefined; // empty: none set, discover
  if (!JID_RE.test(s) || s.endsWith(".")) throw new PreferenceError(key, `${key} must be a JID like files.example.org (got ${JSON.stringify(raw)})`);
  return s;
}

/**
 * One value from its text (element content or the right side of key=value). The result has
 * exactly one own key; for `component`, an empty text gives `{ component: undefined }`: unset.
 */
export function parsePreferenceValue(key: PreferenceKey, raw: string): Partial<Preferences> {
  switch (key) {
    case "auto-retransfer":
    case "auto-receive":
    case "offline-forward":
      return { [PREFERENCE_FIELDS[key]]: parseBoolean(key, raw) };
    case "confirm-timeout":
      return { confirmTimeout: parseSeconds(key, raw) };
    case "component":
      return { component: parseJid(key, raw) };
  }
}

function unknownKey(key: string): PreferenceError {
  return new PreferenceError(key, `unknown preference ${JSON.stringify(key)} (known: ${PREFERENCE_KEYS.join(", ")})`);
}

/** "key=value" from the command line. `component=` (empty) unsets the component. */
export function parseAssignment(text: string): Partial<Preferences> {
  const eq = text.indexOf("=");
  if (eq === -1 && isPreferenceKey(text)) throw new PreferenceError(text, `${text} needs a value: ${text}=VALUE`);
  if (eq <= 0) throw new PreferenceError(undefined, `expected KEY=VALUE, got ${JSON.stringify(text)}`);
  const key = text.slice(0, eq);
  if (!isPreferenceKey(key)) throw unknownKey(key);
  return parsePreferenceValue(key, text.slice(eq + 1));
}

/** Throws PreferenceError naming the first invalid field (for values built in code). */
export function checkPreferences(p: Preferences): Preferences {
  for (const key of PREFERENCE_KEYS) {
    const value = p[PREFERENCE_FIELDS[key]];
    const ok = key === "component" ? value === undefined || (typeof value === "string" && parseJid(key, value) === value)
      : key === "confirm-timeout" ? Number.isInteger(value) && (value as number) >= 1 && (value as number) <= CONFIRM_TIMEOUT_MAX
      : typeof value === "boolean";
    if (!ok) throw new PreferenceError(key, `${key}: invalid value ${JSON.stringify(value)}`);
  }
  return p;
}

/** Known fields with a value: the overrides win. A `component` key present with undefined unsets it. */
export function mergeOverrides(stored: Preferences, overrides: Partial<Preferences>): Preferences {
  const merged: Preferences = { ...stored };
  for (const key of PREFERENCE_KEYS) {
    const field = PREFERENCE_FIELDS[key];
    if (!Object.prototype.hasOwnProperty.call(overrides, field)) continue;
    const value = overrides[field];
    if (value !== undefined) (merged as any)[field] = value;
    else if (field === "component") delete merged.component;
  }
  return checkPreferences(merged);
}

function formatValue(p: Preferences, key: PreferenceKey): string {
  const value = p[PREFERENCE_FIELDS[key]];
  return value === undefined ? "" : String(value);
}

/**
 * <preferences xmlns='urn:xmpp:jingle-ft-recovery:prefs:0'> with every known option as text
 * (component only when set). `extensions`: unknown children read earlier, written back
 * unchanged (the draft: "preserved by a writer that rewrites the element after reading it").
 */
export function makePreferences(p: Preferences, extensions: Element[] = []): Element {
  checkPreferences(p);
  return xml(
    PREFS_ELEMENT,
    { xmlns: NS_PREFS },
    ...PREFERENCE_KEYS.filter((key) => p[PREFERENCE_FIELDS[key]] !== undefined).map((key) => xml(key, {}, formatValue(p, key))),
    ...extensions.map((el) => clone(el)),
  );
}

function isKnownChild(child: Element): boolean {
  return isPreferenceKey(child.getName()) && child.getNS() === NS_PREFS;
}

/**
 * Missing children take their default; unknown ones are ignored. A bad value throws
 * PreferenceError naming its key, or, when `onInvalid` is given, is reported there and takes
 * its default (so that a client can still run, and overwrite it, after another wrote nonsense).
 */
export function parsePreferences(el: Element, onInvalid?: (err: PreferenceError) => void): Preferences {
  if (el.getName() !== PREFS_ELEMENT || el.getNS() !== NS_PREFS) {
    throw new PreferenceError(undefined, `expected <${PREFS_ELEMENT} xmlns='${NS_PREFS}'/>, got <${el.name} xmlns='${el.getNS()}'/>`);
  }
  let p: Preferences = { ...DEFAULT_PREFERENCES };
  const seen = new Set<string>();
  for (const child of el.getChildElements()) {
    if (!isKnownChild(child)) continue;
    const key = child.getName() as PreferenceKey;
    try {
      if (seen.has(key)) throw new PreferenceError(key, `${key} is given twice`);
      seen.add(key);
      p = mergeOverrides(p, parsePreferenceValue(key, child.getText()));
    } catch (err) {
      if (!(err instanceof PreferenceError) || !onInvalid) throw err;
      onInvalid(err);
    }
  }
  return p;
}

/** Children this version does not know (other names or namespaces), to be written back as they were. */
export function preferenceExtensions(el: Element): Element[] {
  return el.getChildElements().filter((child) => !isKnownChild(child));
}

/** `key=value` lines in PREFERENCE_KEYS order; an absent component prints as `component=`. */
export function formatPreferences(p: Preferences): string[] {
  return PREFERENCE_KEYS.map((key) => `${key}=${formatValue(p, key)}`);
}

/** One JSON-ready object with the wire names; an absent component is null. */
export function preferencesToJson(p: Preferences): Record<PreferenceKey, boolean | number | string | null> {
  return {
    "auto-retransfer": p.autoRetransfer,
    "auto-receive": p.autoReceive,
    "offline-forward": p.offlineForward,
    "confirm-timeout": p.confirmTimeout,
    component: p.component ?? null,
  };
}
