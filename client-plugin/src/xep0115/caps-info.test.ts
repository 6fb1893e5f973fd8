import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { answerMatchesVer, capsInputOf } from "./caps-info.js";

// XEP-0115 §5.3: the complex example's disco#info answer (Psi, two xml:lang identities, a softwareinfo form)
const PSI = `<iq type='result' from='benvolio@capulet.lit/230193' id='disco1'>
  <query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>
    <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
    <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
    <feature var='http://jabber.org/protocol/caps'/>
    <feature var='http://jabber.org/protocol/disco#info'/>
    <feature var='http://jabber.org/protocol/disco#items'/>
    <feature var='http://jabber.org/protocol/muc'/>
    <x xmlns='jabber:x:data' type='result'>
      <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
      <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>
      <field var='os'><value>Mac</value></field>
      <field var='os_version'><value>10.5.1</value></field>
      <field var='software'><value>Psi</value></field>
      <field var='software_version'><value>0.11</value></field>
    </x>
  </query>
</iq>`;

describe("XEP-0115 §5.4: checking a disco#info answer against the ver it was asked for (issue 13 item 4)", () => {
  it("the §5.3 example answer (xml:lang identities, a form) hashes to its ver", () => {
    const answer = parse(PSI);
    assert.equal(capsInputOf(answer)!.identities.length, 2);
    assert.equal(answerMatchesVer(answer, "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w="), true);
  });

  it("a feature more or less, another hash function, or no query: not a match (not cached by ver)", () => {
    const more = parse(PSI.replace("<feature var='http://jabber.org/protocol/muc'/>", "<feature var='http://jabber.org/protocol/muc'/><feature var='urn:xmpp:jingle:apps:file-transfer:5'/>"));
    assert.equal(answerMatchesVer(more, "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w="), false);
    assert.equal(answerMatchesVer(parse(PSI), "sha-256", "q07IKJEyjvHSyhy//CH0CxmKi8w="), false);
    assert.equal(answerMatchesVer(parse("<iq type='result'/>"), "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w="), false);
  });
});
