import assert from "node:assert/strict";
import { createElement as xml, parse } from "ltx/lib/ltx.js";
import {
  DEFAULT_PREFERENCES, formatPreferences, makePreferences, mergeOverrides, NS_PREFS, parseAssignment, parsePreferences,
  PreferenceError, preferenceExtensions, preferencesToJson, type Preferences,
} from "./preferences.js";

function golden(text: string): string {
  return parse(text.replace(/>\s+</g, "><").trim()).toString();
}

/** Asserts a PreferenceError naming `key`, with a message matching `re`. */
function throwsFor(fn: () => unknown, key: string | undefined, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PreferenceError, `expected a PreferenceError, got ${String(err)}`);
    assert.equal(err.key, key);
    assert.match(err.message, re);
    return true;
  });
}

const prefs = (inner: string) => parse(`<preferences xmlns='${NS_PREFS}'>${inner}</preferences>`);

const ALL_SET: Preferences = { autoRetransfer: false, autoReceive: true, offlineForward: false, confirmTimeout: 86400, component: "files.example.org" };

describe("recovery preferences element", () => {
  describe("golden XML", () => {
    it("defaults: every option as a child with text, no attributes, no component", () => {
      assert.equal(makePreferences(DEFAULT_PREFERENCES).toString(), golden(`
        <preferences xmlns="urn:xmpp:jingle-ft-recovery:prefs:0">
          <auto-retransfer>true</auto-retransfer>
          <auto-receive>false</auto-receive>
          <offline-forward>true</offline-forward>
          <confirm-timeout>60</confirm-timeout>
        </preferences>`));
    });

    it("every option set, component included", () => {
      assert.equal(makePreferences(ALL_SET).toString(), golden(`
        <preferences xmlns="urn:xmpp:jingle-ft-recovery:prefs:0">
          <auto-retransfer>false</auto-retransfer>
          <auto-receive>true</auto-receive>
          <offline-forward>false</offline-forward>
          <confirm-timeout>86400</confirm-timeout>
          <component>files.example.org</component>
        </preferences>`));
    });

    it("the XEP draft's example (xep-draft §Preferences) parses", () => {
      const el = parse(`
        <preferences xmlns='urn:xmpp:jingle-ft-recovery:prefs:0'>
          <auto-retransfer>true</auto-retransfer>
          <auto-receive>true</auto-receive>
          <offline-forward>true</offline-forward>
          <confirm-timeout>60</confirm-timeout>
        </preferences>`);
      assert.deepEqual(parsePreferences(el), { autoRetransfer: true, autoReceive: true, offlineForward: true, confirmTimeout: 60 });
    });

    it("round trip: XML out and back gives the same object", () => {
      for (const p of [DEFAULT_PREFERENCES, ALL_SET, { ...DEFAULT_PREFERENCES, confirmTimeout: 1, component: "store@example.org/x" }]) {
        assert.deepEqual(parsePreferences(parse(makePreferences(p).toString())), p);
      }
    });
  });

  describe("parsing", () => {
    it("an empty element (nothing stored yet) is all defaults", () => {
      assert.deepEqual(parsePreferences(prefs("")), DEFAULT_PREFERENCES);
    });

    it("auto-receive defaults to false: receiving without a prompt is opt-in", () => {
      assert.equal(DEFAULT_PREFERENCES.autoReceive, false);
      assert.equal(parsePreferences(prefs("<auto-retransfer>false</auto-retransfer>")).autoReceive, false);
    });

    it("xs:boolean: 1 and 0 too, surrounding whitespace ignored", () => {
      const p = parsePreferences(prefs("<auto-retransfer> 0 </auto-retransfer><auto-receive>1</auto-receive><confirm-timeout>\n 30\n</confirm-timeout>"));
      assert.equal(p.autoRetransfer, false);
      assert.equal(p.autoReceive, true);
      assert.equal(p.confirmTimeout, 30);
    });

    it("unknown children (other names, other namespaces) are ignored", () => {
      const el = prefs(`<later-option>x</later-option><auto-receive xmlns='urn:other'>bogus</auto-receive><x xmlns='urn:other'/>`);
      assert.deepEqual(parsePreferences(el), DEFAULT_PREFERENCES);
      assert.deepEqual(preferenceExtensions(el).map((c) => c.name), ["later-option", "auto-receive", "x"]);
    });

    it("unknown children are written back unchanged", () => {
      const read = prefs(`<auto-retransfer>false</auto-retransfer><later-option>x</later-option><x xmlns='urn:other'><y/></x>`);
      const written = makePreferences(parsePreferences(read), preferenceExtensions(read));
      const again = parse(written.toString());
      assert.equal(again.getChildText("later-option"), "x");
      assert.ok(again.getChild("x", "urn:other")?.getChild("y"));
      assert.equal(parsePreferences(again).autoRetransfer, false);
    });

    it("an empty component means none (discover)", () => {
      assert.equal(parsePreferences(prefs("<component/>")).component, undefined);
      assert.equal(parsePreferences(prefs("<component> files.example.org </component>")).component, "files.example.org");
    });

    it("invalid values throw a PreferenceError naming the key", () => {
      throwsFor(() => parsePreferences(prefs("<auto-retransfer>yes</auto-retransfer>")), "auto-retransfer", /true or false/);
      throwsFor(() => parsePreferences(prefs("<auto-receive/>")), "auto-receive", /true or false/);
      throwsFor(() => parsePreferences(prefs("<offline-forward>TRUE</offline-forward>")), "offline-forward", /true or false/);
      throwsFor(() => parsePreferences(prefs("<confirm-timeout>0</confirm-timeout>")), "confirm-timeout", /1 to 86400/);
      throwsFor(() => parsePreferences(prefs("<confirm-timeout>86401</confirm-timeout>")), "confirm-timeout", /1 to 86400/);
      throwsFor(() => parsePreferences(prefs("<confirm-timeout>1.5</confirm-timeout>")), "confirm-timeout", /whole number/);
      throwsFor(() => parsePreferences(prefs("<component>not a jid</component>")), "component", /JID/);
      throwsFor(() => parsePreferences(prefs("<confirm-timeout>5</confirm-timeout><confirm-timeout>6</confirm-timeout>")), "confirm-timeout", /twice/);
    });

    it("with onInvalid, a bad value is reported and takes its default; the others still count", () => {
      const seen: string[] = [];
      const p = parsePreferences(prefs("<auto-retransfer>false</auto-retransfer><confirm-timeout>soon</confirm-timeout>"), (e) => seen.push(e.key!));
      assert.deepEqual(seen, ["confirm-timeout"]);
      assert.deepEqual(p, { ...DEFAULT_PREFERENCES, autoRetransfer: false });
    });

    it("another element is not preferences", () => {
      throwsFor(() => parsePreferences(xml("preferences", { xmlns: "urn:other" })), undefined, /expected <preferences/);
    });
  });

  describe("makePreferences refuses invalid values built in code", () => {
    it("names the key", () => {
      throwsFor(() => makePreferences({ ...DEFAULT_PREFERENCES, confirmTimeout: 0 }), "confirm-timeout", /invalid/);
      throwsFor(() => makePreferences({ ...DEFAULT_PREFERENCES, autoReceive: "yes" as any }), "auto-receive", /invalid/);
    });
  });

  describe("parseAssignment (xft prefs set KEY=VALUE)", () => {
    it("parses each key", () => {
      assert.deepEqual(parseAssignment("auto-retransfer=false"), { autoRetransfer: false });
      assert.deepEqual(parseAssignment("auto-receive=true"), { autoReceive: true });
      assert.deepEqual(parseAssignment("offline-forward=0"), { offlineForward: false });
      assert.deepEqual(parseAssignment("confirm-timeout=120"), { confirmTimeout: 120 });
      assert.deepEqual(parseAssignment("component=files.example.org"), { component: "files.example.org" });
    });

    it("component= (empty) unsets the component: the key is there, its value undefined", () => {
      const a = parseAssignment("component=");
      assert.ok("component" in a);
      assert.equal(a.component, undefined);
    });

    it("clear errors", () => {
      throwsFor(() => parseAssignment("bogus=1"), "bogus", /^unknown preference "bogus" \(known: auto-retransfer, auto-receive, offline-forward, confirm-timeout, component\)$/);
      throwsFor(() => parseAssignment("autoRetransfer=true"), "autoRetransfer", /unknown preference/);
      throwsFor(() => parseAssignment("auto-retransfer"), "auto-retransfer", /^auto-retransfer needs a value: auto-retransfer=VALUE$/);
      throwsFor(() => parseAssignment("hello"), undefined, /^expected KEY=VALUE, got "hello"$/);
      throwsFor(() => parseAssignment("=true"), undefined, /expected KEY=VALUE/);
      throwsFor(() => parseAssignment("auto-receive=maybe"), "auto-receive", /^auto-receive must be true or false \(got "maybe"\)$/);
      throwsFor(() => parseAssignment("confirm-timeout=-1"), "confirm-timeout", /from 1 to 86400/);
      throwsFor(() => parseAssignment("confirm-timeout="), "confirm-timeout", /from 1 to 86400/);
      throwsFor(() => parseAssignment("component=a@b@c"), "component", /JID/);
    });

    it("messages are one line", () => {
      for (const bad of ["bogus=1", "auto-receive=\nx", "x"]) {
        try {
          parseAssignment(bad);
          assert.fail("no error");
        } catch (err: any) {
          assert.doesNotMatch(err.message, /\n/);
        }
      }
    });
  });

  describe("mergeOverrides", () => {
    it("given overrides win, absent ones keep the stored value", () => {
      const stored = { ...DEFAULT_PREFERENCES, component: "files.example.org" };
      assert.deepEqual(mergeOverrides(stored, { autoRetransfer: false, confirmTimeout: 5 }),
        { ...stored, autoRetransfer: false, confirmTimeout: 5 });
      assert.deepEqual(mergeOverrides(stored, {}), stored);
    });

    it("undefined values do not clear anything, except component (discover)", () => {
      const stored = { ...DEFAULT_PREFERENCES, component: "files.example.org" };
      assert.deepEqual(mergeOverrides(stored, { autoReceive: undefined }), stored);
      assert.deepEqual(mergeOverrides(stored, { component: undefined }), DEFAULT_PREFERENCES);
    });

    it("does not change its inputs, and checks the result", () => {
      const stored = { ...DEFAULT_PREFERENCES };
      mergeOverrides(stored, { autoReceive: true });
      assert.deepEqual(stored, DEFAULT_PREFERENCES);
      throwsFor(() => mergeOverrides(stored, { confirmTimeout: 100_000 }), "confirm-timeout", /invalid/);
    });
  });

  describe("output", () => {
    it("key=value lines in a fixed order; no component prints empty", () => {
      assert.deepEqual(formatPreferences(DEFAULT_PREFERENCES), [
        "auto-retransfer=true", "auto-receive=false", "offline-forward=true", "confirm-timeout=60", "component=",
      ]);
    });

    it("the lines are valid assignments that give the same preferences back", () => {
      const back = formatPreferences(ALL_SET).reduce((p, line) => mergeOverrides(p, parseAssignment(line)), DEFAULT_PREFERENCES as Preferences);
      assert.deepEqual(back, ALL_SET);
    });

    it("JSON uses the wire names; no component is null", () => {
      assert.deepEqual(preferencesToJson(DEFAULT_PREFERENCES), {
        "auto-retransfer": true, "auto-receive": false, "offline-forward": true, "confirm-timeout": 60, component: null,
      });
    });
  });
});
