import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { throwsStanzaError } from "../fixtures/assert.js";
import { makeInfoQuery, makeInfoResult, makeItemsQuery, makeItemsResult, NS_DISCO_INFO, NS_DISCO_ITEMS, parseInfo, parseItems } from "./disco.js";

// XEP-0030 §3.1 Example 2 (abridged) and §4.1 Example 17, as printed.
const INFO_RESULT = `<iq type='result' from='plays.shakespeare.lit' to='romeo@montague.net/orchard' id='info1'>
  <query xmlns='http://jabber.org/protocol/disco#info'>
    <identity category='conference' type='text' name='Play-Specific Chatrooms'/>
    <identity category='directory' type='chatroom' name='Play-Specific Chatrooms'/>
    <feature var='http://jabber.org/protocol/disco#info'/>
    <feature var='http://jabber.org/protocol/muc'/>
  </query>
</iq>`;
const ITEMS_RESULT = `<iq type='result' from='shakespeare.lit' to='romeo@montague.net/orchard' id='items1'>
  <query xmlns='http://jabber.org/protocol/disco#items'>
    <item jid='people.shakespeare.lit' name='Directory of Characters'/>
    <item jid='plays.shakespeare.lit' name='Play-Specific Chatrooms'/>
    <item jid='mim.shakespeare.lit' name='Gateway to Marlowe IM'/>
    <item jid='words.shakespeare.lit' name='Shakespearean Lexicon'/>
    <item jid='globe.shakespeare.lit' name='Calendar of Performances'/>
    <item jid='headlines.shakespeare.lit' name='Latest Shakespearean News'/>
    <item jid='catalog.shakespeare.lit' name='Buy Shakespeare Stuff!'/>
    <item jid='en2fr.shakespeare.lit' name='French Translation Service'/>
  </query>
</iq>`;

describe("XEP-0030 disco", () => {
  it("§3.1 Example 2: identities and features of an info result", () => {
    assert.deepEqual(parseInfo(parse(INFO_RESULT)), {
      identities: [
        { category: "conference", type: "text", name: "Play-Specific Chatrooms" },
        { category: "directory", type: "chatroom", name: "Play-Specific Chatrooms" },
      ],
      features: ["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/muc"],
    });
  });

  it("§4.1 Example 17: the items of an items result", () => {
    const items = parseItems(parse(ITEMS_RESULT));
    assert.equal(items.length, 8);
    assert.deepEqual(items[0], { jid: "people.shakespeare.lit", name: "Directory of Characters" });
  });

  it("info result round trip; duplicate features written once", () => {
    const info = { identities: [{ category: "store", type: "file", name: "files" }], features: ["a", "b", "a"] };
    const el = makeInfoResult(info);
    assert.equal(el.attrs.xmlns, NS_DISCO_INFO);
    assert.equal(el.getChildren("feature").length, 2);
    assert.deepEqual(parseInfo(parse(el.toString())), { identities: info.identities, features: ["a", "b"] });
  });

  it("items result round trip", () => {
    const items = [{ jid: "files.example.org" }, { jid: "example.org", node: "n", name: "x" }];
    assert.deepEqual(parseItems(parse(makeItemsResult(items).toString())), items);
  });

  it("queries carry the namespace, and node only when given", () => {
    assert.equal(makeInfoQuery().toString(), `<query xmlns="${NS_DISCO_INFO}"/>`);
    assert.equal(makeItemsQuery("n").toString(), `<query xmlns="${NS_DISCO_ITEMS}" node="n"/>`);
  });

  it("skips identities without category/type, features without var, items without jid", () => {
    const info = parseInfo(parse(`<query xmlns='${NS_DISCO_INFO}'><identity type='x'/><identity category='c' type='t'/><feature/><feature var=''/><feature var='f'/></query>`));
    assert.deepEqual(info, { identities: [{ category: "c", type: "t" }], features: ["f"] });
    assert.deepEqual(parseItems(parse(`<query xmlns='${NS_DISCO_ITEMS}'><item name='no jid'/><item jid='a.b'/></query>`)), [{ jid: "a.b" }]);
  });

  it("an answer without the query -> bad-request", () => {
    throwsStanzaError(() => parseInfo(parse("<iq type='result'/>")), "bad-request", "modify");
    throwsStanzaError(() => parseItems(parse(`<iq type='result'><query xmlns='${NS_DISCO_INFO}'/></iq>`)), "bad-request", "modify");
  });
});
