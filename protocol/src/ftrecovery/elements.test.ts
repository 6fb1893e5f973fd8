import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { ProtocolError } from "../errors/stanza-error.js";
import { parseFile } from "../xep0234/file.js";
import {
  checkpointFor, makeCheckpoints, makeContinues, makeRecipient, makeSender, MAX_CHECKPOINTS, parseCheckpoints, parseContinues, parseRecipient, parseSender,
} from "./elements.js";
import { makeFile } from "../xep0234/file.js";

const H1 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const H2 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";

function fileWith(...children: string[]) {
  return parseFile(parse(`<file xmlns='urn:xmpp:jingle:apps:file-transfer:5'><name>a</name><size>1000</size>${children.join("")}</file>`));
}

describe("ftrecovery elements (xep-draft)", () => {
  it("continues, checkpoints and recipient survive a round trip through <file/>", () => {
    const el = makeFile({
      name: "a", size: 1000, hashes: [], extensions: [makeContinues("old-sid"), makeCheckpoints([{ length: 100, sha256: H1 }, { length: 500, sha256: H2 }]), makeRecipient("bob@b.test")],
    });
    const file = parseFile(parse(el.toString()));
    assert.equal(parseContinues(file), "old-sid");
    assert.deepEqual(parseCheckpoints(file), [{ length: 100, sha256: H1 }, { length: 500, sha256: H2 }]);
    assert.equal(parseRecipient(file), "bob@b.test");
  });

  it("a store's <sender/>: a bare JID, lower-cased; anything else refused", () => {
    const el = makeFile({ name: "a", size: 1000, hashes: [], extensions: [makeSender("Alice@A.test")] });
    assert.equal(parseSender(parseFile(parse(el.toString()))), "alice@a.test");
    assert.equal(parseSender(fileWith()), undefined);
    assert.throws(() => parseSender(fileWith("<sender xmlns='urn:xmpp:jingle-ft-recovery:0'>alice@a.test/phone</sender>")), ProtocolError);
    assert.throws(() => parseSender(fileWith("<sender xmlns='urn:xmpp:jingle-ft-recovery:0'/>")), ProtocolError);
  });

  it("an offer without our elements has none of them", () => {
    const file = fileWith();
    assert.equal(parseContinues(file), undefined);
    assert.deepEqual(parseCheckpoints(file), []);
    assert.equal(parseRecipient(file), undefined);
  });

  it("refuses a bad sid, a full JID as recipient and a checkpoint beyond the size", () => {
    assert.throws(() => parseContinues(fileWith("<continues xmlns='urn:xmpp:jingle-ft-recovery:0'/>")), ProtocolError);
    assert.throws(() => parseRecipient(fileWith("<recipient xmlns='urn:xmpp:jingle-ft-recovery:0'>bob@b.test/phone</recipient>")), ProtocolError);
    assert.throws(() => parseRecipient(fileWith("<recipient xmlns='urn:xmpp:jingle-ft-recovery:0'>b.test</recipient>")), ProtocolError);
    const beyond = `<checkpoints xmlns='urn:xmpp:jingle-ft-recovery:0'><range xmlns='urn:xmpp:jingle:apps:file-transfer:5' offset='0' length='2000'><hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>${H1}</hash></range></checkpoints>`;
    assert.throws(() => parseCheckpoints(fileWith(beyond)), ProtocolError);
  });

  it("ignores ranges that are not sha-256 prefixes, and reads at most MAX_CHECKPOINTS", () => {
    const range = (offset: number, length: number, algo = "sha-256") =>
      `<range xmlns='urn:xmpp:jingle:apps:file-transfer:5' offset='${offset}' length='${length}'><hash xmlns='urn:xmpp:hashes:2' algo='${algo}'>${H1}</hash></range>`;
    const file = fileWith(`<checkpoints xmlns='urn:xmpp:jingle-ft-recovery:0'>${range(10, 100)}${range(0, 50, "sha-1")}${range(0, 60)}</checkpoints>`);
    assert.deepEqual(parseCheckpoints(file), [{ length: 60, sha256: H1 }]);
    const many = fileWith(`<checkpoints xmlns='urn:xmpp:jingle-ft-recovery:0'>${Array.from({ length: 100 }, (_, i) => range(0, i + 1)).join("")}</checkpoints>`);
    assert.equal(parseCheckpoints(many).length, MAX_CHECKPOINTS);
  });

  it("checkpointFor picks the longest prefix the receiver holds", () => {
    const points = [{ length: 100, sha256: H1 }, { length: 200, sha256: H2 }];
    assert.equal(checkpointFor(points, 99), undefined);
    assert.equal(checkpointFor(points, 100)?.length, 100);
    assert.equal(checkpointFor(points, 199)?.length, 100);
    assert.equal(checkpointFor(points, 5000)?.length, 200);
  });
});
