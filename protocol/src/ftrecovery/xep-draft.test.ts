// The examples of xep-draft/xep-jingle-ft-recovery.xml are fixtures: each one is read from the
// draft itself and must mean, to our parsers, what the draft's text says it means.
import assert from "node:assert/strict";
import type { Element } from "ltx/lib/ltx.js";
import { parseStanzaError } from "../errors/stanza-error.js";
import { parseJingle } from "../xep0166/jingle.js";
import { parseDescription } from "../xep0234/file.js";
import { draftExample } from "./draft-examples.js";
import { checkpointFor, parseCheckpoints, parseContinues, parseRecipient } from "./elements.js";

const example = draftExample;

function fileOf(iq: Element) {
  const jingle = parseJingle(iq.getChild("jingle")!);
  return { jingle, file: parseDescription(jingle.contents[0].description!) };
}

describe("xep-draft examples (jingle-ft-recovery)", () => {
  it("a forward to the store: an ordinary offer whose <file/> names a bare-JID <recipient/>", () => {
    const { jingle, file } = fileOf(example("Sender forwards a file to the store for an offline recipient"));
    assert.equal(jingle.action, "session-initiate");
    assert.equal(parseRecipient(file), "bob@example.org");
    assert.equal(file.size, 3145745);
    assert.equal(file.hashes[0].algo, "sha-256");
  });

  it("the store's refusal is the session-initiate's stanza error, with the limit in its text", () => {
    const refusal = example("Store refuses a file larger than it takes");
    assert.deepEqual(parseStanzaError(refusal), { type: "modify", condition: "not-acceptable", text: "file of 3145745 bytes is larger than the 1048576 bytes allowed" });
    assert.equal(refusal.attrs.id, example("Sender forwards a file to the store for an offline recipient").attrs.id, "the reply to the forward offer");
  });

  it("a re-offered upload is accepted at the bytes the store holds", () => {
    const { jingle, file } = fileOf(example("Store accepts a re-offered upload at the bytes it holds"));
    assert.equal(jingle.action, "session-accept");
    assert.equal(file.range?.offset, 2097152);
    assert.ok(file.range!.offset! < file.size!);
  });

  it("a continuation offer: <continues/> names the old session, checkpoints are prefix ranges", () => {
    const { jingle, file } = fileOf(example("Sender re-offers a file as the continuation of an interrupted session"));
    assert.equal(jingle.action, "session-initiate");
    assert.notEqual(jingle.sid, parseContinues(file), "a new session id");
    assert.equal(parseContinues(file), "a73kd9x1");
    const points = parseCheckpoints(file);
    assert.deepEqual(points.map((p) => p.length), [65536, 131072]);
    assert.equal(checkpointFor(points, 100_000)?.length, 65536, "the longest checkpoint at or below what is held");
    assert.equal(checkpointFor(points, 1000), undefined);
  });

  it("the accept of a continuation starts at the byte held", () => {
    const { jingle, file } = fileOf(example("Receiver accepts the continuation at the byte it holds"));
    assert.equal(jingle.action, "session-accept");
    assert.equal(file.range?.offset, 1245108);
    assert.equal(jingle.sid, fileOf(example("Sender re-offers a file as the continuation of an interrupted session")).jingle.sid);
  });

  it("a receiver's pull asks for the rest by hash, with a range and <continues/>", () => {
    const { jingle, file } = fileOf(example("Receiver pulls the remainder of an interrupted download"));
    assert.equal(jingle.action, "session-initiate");
    assert.equal(jingle.contents[0].senders, "responder");
    assert.equal(file.range?.offset, 1245108);
    assert.equal(parseContinues(file), "a73kd9x1");
    assert.equal(file.hashes[0].algo, "sha-256");
  });

  it("crossing continuations: the sender refuses the pull with conflict + tie-break, the receiver names the winner", () => {
    const refusal = example("Sender refuses a crossing pull");
    assert.deepEqual(parseStanzaError(refusal), { type: "cancel", condition: "conflict", text: undefined });
    assert.ok(refusal.getChild("error")!.getChild("tie-break", "urn:xmpp:jingle:errors:1"));
    const withdraw = parseJingle(example("Receiver withdraws its pull in favour of the sender's continuation").getChild("jingle")!);
    assert.equal(withdraw.action, "session-terminate");
    assert.deepEqual(withdraw.reason, { condition: "alternative-session", sid: "b8f2kd03", text: undefined, extra: undefined });
  });
});
