import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { assertStanzaError } from "../fixtures/assert.js";
import { NS_JINGLE, NS_JINGLE_ERRORS, parseJingle } from "../xep0166/jingle.js";
import { NS_JINGLE_S5B } from "../xep0260/fallback.js";
import { NS_JINGLE_IBB } from "../xep0261/transport.js";
import { transition } from "./transition.js";
import type { SessionContext, SessionEvent, SessionState } from "./types.js";

const PEER = "alice@localhost/libervia.X";
const SID = "ab83c1de";
const S5B_SID = "fd92eb44";
const CONTENT = "60bc9f05";

/** we receive a file Libervia offered over SOCKS5 (the driver gave a placeholder IBB transport) */
function receiver(o: Partial<SessionContext> = {}): SessionContext {
  return {
    sid: SID, peer: PEER, role: "responder", sending: false, contentName: CONTENT, contentCreator: "initiator",
    file: { name: "notes.bin", size: 300000, hashes: [], range: {}, extensions: [] },
    transport: { sid: "placeholder", blockSize: 8192, stanza: "iq" }, startOffset: 0, maxBlockSize: 8192,
    s5bFallback: { sid: S5B_SID }, ...o,
  };
}
const remote = (action: string, transport: string): SessionEvent => ({
  type: "remote",
  jingle: parseJingle(parse(`<jingle xmlns='${NS_JINGLE}' action='${action}' sid='${SID}'><content creator='initiator' name='${CONTENT}'>${transport}</content></jingle>`)),
});
const IBB_REPLACE = remote("transport-replace", `<transport xmlns='${NS_JINGLE_IBB}' sid='543bc4fb' block-size='4096'/>`);

describe("a SOCKS5 offer received over IBB (XEP-0260 §2.4, §3)", () => {
  it("accept: session-accept names SOCKS5 with no candidates, then a transport-info with candidate-error", () => {
    const t = transition({ phase: "pending", ctx: receiver() }, { type: "accept", offset: 0 });
    assert.equal(t.state.phase, "connecting");
    assert.deepEqual(t.effects.map((e) => (e.type === "send-jingle" ? e.jingle.action : e.type)), ["session-accept", "transport-info"]);
    const [accept, info] = t.effects.map((e) => (e.type === "send-jingle" ? e.jingle.contents[0] : undefined));
    assert.equal(accept!.transport!.toString(), `<transport xmlns="${NS_JINGLE_S5B}" sid="${S5B_SID}" mode="tcp"/>`);
    assert.ok(accept!.description, "the accept still describes the file");
    assert.equal(info!.name, CONTENT);
    assert.equal(info!.transport!.toString(), `<transport xmlns="${NS_JINGLE_S5B}" sid="${S5B_SID}"><candidate-error/></transport>`);
  });

  it("an IBB offer is accepted with IBB, as before", () => {
    const t = transition({ phase: "pending", ctx: receiver({ s5bFallback: undefined }) }, { type: "accept", offset: 0 });
    assert.equal(t.effects.length, 1);
    const [e] = t.effects;
    assert.ok(e.type === "send-jingle" && e.jingle.contents[0].transport!.is("transport", NS_JINGLE_IBB));
  });

  it("the initiator's transport-info (its own candidate-error) is acknowledged and changes nothing", () => {
    const state: SessionState = { phase: "connecting", ctx: receiver() };
    const t = transition(state, remote("transport-info", `<transport xmlns='${NS_JINGLE_S5B}' sid='${S5B_SID}'><candidate-error/></transport>`));
    assert.equal(t.error, undefined);
    assert.deepEqual(t.effects, []);
    assert.equal(t.state, state);
  });

  it("transport-replace to IBB: the IBB sid is routed here, transport-accept sent, the fallback over", () => {
    const t = transition({ phase: "connecting", ctx: receiver() }, IBB_REPLACE);
    assert.equal(t.error, undefined);
    assert.equal(t.state.phase, "connecting");
    assert.deepEqual(t.state.ctx.transport, { sid: "543bc4fb", blockSize: 4096, stanza: "iq" });
    assert.equal(t.state.ctx.s5bFallback, undefined);
    assert.deepEqual(t.effects[0], { type: "rebind-ibb", previousSid: "placeholder" });
    const accept = t.effects[1];
    assert.ok(accept.type === "send-jingle");
    assert.equal(accept.jingle.action, "transport-accept");
    assert.equal(accept.jingle.contents[0].transport!.toString(), `<transport xmlns="${NS_JINGLE_IBB}" sid="543bc4fb" block-size="4096" stanza="iq"/>`);
    // and the IBB open that follows starts the transfer
    assert.equal(transition(t.state, { type: "ibb-opened", blockSize: 4096 }).state.phase, "streaming");
  });

  it("a replace offering a larger block than ours is lowered to ours", () => {
    const big = remote("transport-replace", `<transport xmlns='${NS_JINGLE_IBB}' sid='543bc4fb' block-size='65535'/>`);
    assert.equal(transition({ phase: "connecting", ctx: receiver() }, big).state.ctx.transport.blockSize, 8192);
  });

  it("refuses a replace to anything but IBB (bad-request), one outside the fallback (feature-not-implemented), one after IBB started (out-of-order)", () => {
    const ice = transition({ phase: "connecting", ctx: receiver() }, remote("transport-replace", "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1'/>"));
    assertStanzaError(ice.error, "bad-request", "modify");
    assert.equal(ice.state.ctx.s5bFallback?.sid, S5B_SID, "still waiting for IBB");
    assertStanzaError(transition({ phase: "connecting", ctx: receiver({ s5bFallback: undefined }) }, IBB_REPLACE).error, "feature-not-implemented", "cancel");
    const late = transition({ phase: "streaming", ctx: receiver(), offset: 0, nextSeq: 0 }, IBB_REPLACE);
    assertStanzaError(late.error, "unexpected-request", "wait", { name: "out-of-order", xmlns: NS_JINGLE_ERRORS });
  });
});
