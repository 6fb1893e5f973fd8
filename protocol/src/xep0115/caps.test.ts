import assert from "node:assert/strict";
import { createElement as xml } from "ltx/lib/ltx.js";
import { CAPS_NODE, capsNode, capsVer, capsVerificationString, makeCaps, NS_CAPS, parseCaps } from "./caps.js";

describe("XEP-0115 entity capabilities", () => {
  it("§5.2 simple example: S and ver as the XEP gives them", () => {
    const input = {
      identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
      features: ["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc", "http://jabber.org/protocol/caps"],
    };
    assert.equal(
      capsVerificationString(input),
      "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<",
    );
    assert.equal(capsVer(input), "QgayPKawpkPSDYmwT/WM94uAlu0=");
  });

  it("§5.3 complex example: identities with xml:lang, an extended form, non-ASCII names", () => {
    const input = {
      identities: [
        { category: "client", type: "pc", lang: "en", name: "Psi 0.11" },
        { category: "client", type: "pc", lang: "el", name: "Ψ 0.11" },
      ],
      features: ["http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc"],
      forms: [{
        formType: "urn:xmpp:dataforms:softwareinfo",
        fields: [
          { var: "FORM_TYPE", values: ["urn:xmpp:dataforms:softwareinfo"] },
          { var: "ip_version", values: ["ipv6", "ipv4"] },
          { var: "os", values: ["Mac"] },
          { var: "os_version", values: ["10.5.1"] },
          { var: "software", values: ["Psi"] },
          { var: "software_version", values: ["0.11"] },
        ],
      }],
    };
    assert.equal(
      capsVerificationString(input),
      "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
        "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<" +
        "ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<",
    );
    assert.equal(capsVer(input), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
  });

  it("the order features are listed in does not change ver; another feature does", () => {
    const a = { identities: [{ category: "client", type: "pc", name: "xft" }], features: ["b", "a", "c"] };
    assert.equal(capsVer(a), capsVer({ ...a, features: ["c", "b", "a", "a"] }));
    assert.notEqual(capsVer(a), capsVer({ ...a, features: ["a", "b"] }));
  });

  it("<c/> carries hash, node and ver, and parses back; a <c/> missing ver is none", () => {
    const info = { identities: [{ category: "client", type: "pc", name: "xft" }], features: [NS_CAPS] };
    const c = makeCaps(info);
    assert.deepEqual(parseCaps(xml("presence", {}, c)), { hash: "sha-1", node: CAPS_NODE, ver: capsVer(info) });
    assert.equal(capsNode(info), `${CAPS_NODE}#${capsVer(info)}`);
    assert.equal(parseCaps(xml("presence", {}, xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: "n" }))), undefined);
    assert.equal(parseCaps(xml("presence", {})), undefined);
  });
});
