// preferencesStore against a fake port that keeps private storage like Prosody's mod_private:
// one element per name + namespace, the empty element echoed when nothing is stored.
import assert from "node:assert/strict";
import { IqError, type XmppPort } from "@xft/protocol";
import { clone, createElement as xml, parse, type Element } from "ltx/lib/ltx.js";
import { NS_PRIVATE } from "../xep0049/private.js";
import { DEFAULT_PREFERENCES, NS_PREFS, PreferenceError } from "./preferences.js";
import { preferencesStore, PreferencesStoreError } from "./store.js";

function fakeServer() {
  const stored = new Map<string, Element>();
  const sent: string[] = [];
  let failWith: IqError | undefined;
  const port: XmppPort = {
    jid: () => "alice@example.org/a",
    send: async () => undefined,
    onIqSet: () => undefined,
    onMessage: () => undefined,
    async request(iq) {
      sent.push(iq.toString());
      if (failWith) throw failWith;
      const query = iq.getChild("query", NS_PRIVATE)!;
      const [child] = query.getChildElements();
      const key = `{${child.attrs.xmlns}}${child.name}`;
      if (iq.attrs.type === "set") {
        stored.set(key, clone(child));
        return xml("iq", { type: "result", id: iq.attrs.id });
      }
      return xml("iq", { type: "result", id: iq.attrs.id }, xml("query", { xmlns: NS_PRIVATE }, stored.has(key) ? clone(stored.get(key)!) : clone(child)));
    },
  };
  return {
    port, sent, stored,
    put: (text: string) => stored.set(`{${NS_PREFS}}preferences`, parse(text)),
    get: () => stored.get(`{${NS_PREFS}}preferences`)?.toString(),
    fail: (err: IqError | undefined) => (failWith = err),
  };
}

describe("preferences in private storage (fake server)", () => {
  it("nothing stored: the defaults, from one get", async () => {
    const server = fakeServer();
    assert.deepEqual(await preferencesStore(server.port).load(), DEFAULT_PREFERENCES);
    assert.deepEqual(server.sent, [
      `<iq type="get"><query xmlns="jabber:iq:private"><preferences xmlns="${NS_PREFS}"/></query></iq>`,
    ]);
  });

  it("save writes the element with text children and an explicit xmlns; load reads it back", async () => {
    const server = fakeServer();
    const store = preferencesStore(server.port);
    const p = { autoRetransfer: false, autoReceive: true, offlineForward: false, confirmTimeout: 90, component: "files.example.org" };
    await store.save(p);
    assert.equal(server.sent.at(-1),
      `<iq type="set"><query xmlns="jabber:iq:private"><preferences xmlns="${NS_PREFS}">` +
      "<auto-retransfer>false</auto-retransfer><auto-receive>true</auto-receive><offline-forward>false</offline-forward>" +
      "<confirm-timeout>90</confirm-timeout><component>files.example.org</component></preferences></query></iq>");
    assert.deepEqual(await store.load(), p);
  });

  it("save keeps children another version wrote", async () => {
    const server = fakeServer();
    server.put(`<preferences xmlns="${NS_PREFS}"><auto-receive>true</auto-receive><later>x</later></preferences>`);
    const store = preferencesStore(server.port);
    await store.save({ ...(await store.load()), confirmTimeout: 5 });
    assert.equal(server.get(), `<preferences xmlns="${NS_PREFS}"><auto-retransfer>true</auto-retransfer><auto-receive>true</auto-receive>` +
      "<offline-forward>true</offline-forward><confirm-timeout>5</confirm-timeout><later>x</later></preferences>");
  });

  it("a stored bad value: PreferenceError naming it, or the default with onInvalid", async () => {
    const server = fakeServer();
    server.put(`<preferences xmlns="${NS_PREFS}"><confirm-timeout>never</confirm-timeout><auto-receive>true</auto-receive></preferences>`);
    const store = preferencesStore(server.port);
    await assert.rejects(store.load(), (err: unknown) => err instanceof PreferenceError && err.key === "confirm-timeout");
    const seen: PreferenceError[] = [];
    assert.deepEqual(await store.load((e) => seen.push(e)), { ...DEFAULT_PREFERENCES, autoReceive: true });
    assert.equal(seen.length, 1);
  });

  it("an IQ error becomes a PreferencesStoreError with the cause", async () => {
    const server = fakeServer();
    server.fail(new IqError("service-unavailable", "cancel"));
    await assert.rejects(preferencesStore(server.port).load(), (err: unknown) =>
      err instanceof PreferencesStoreError && err.cause instanceof IqError && /cannot read preferences/.test(err.message));
    await assert.rejects(preferencesStore(server.port).save(DEFAULT_PREFERENCES), /cannot write preferences.*service-unavailable/);
  });
});
