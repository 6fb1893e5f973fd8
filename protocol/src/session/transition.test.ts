import assert from "node:assert/strict";
import { parse, type Element } from "ltx/lib/ltx.js";
import { assertStanzaError } from "../fixtures/assert.js";
import * as fx from "../fixtures/xep0234.js";
import { NS_JINGLE, NS_JINGLE_ERRORS, parseJingle, type Jingle } from "../xep0166/jingle.js";
import { NS_JINGLE_FT, parseDescription, type FileDescription } from "../xep0234/file.js";
import { NS_JINGLE_IBB, parseIbbTransport } from "../xep0261/transport.js";
import { transition } from "./transition.js";
import type { SessionContext, SessionEffect, SessionEvent, SessionState, TransferEvent, Transition } from "./types.js";

const SHA = "2XarmwTlNxDAMkvymloX3S5+VbylNrJt/l5QyPa+YoU=";
const PEER = "juliet@capulet.example/yn0cl4bnw0yr3vym";
const SID = "851ba2";
const IBB_SID = "ch3d9s71";
const SIZE = 6144;
const BIG = 1_048_576;
const N = 270336; // XEP-0234 §Ranged Transfers
const OUT_OF_ORDER = { name: "out-of-order", xmlns: NS_JINGLE_ERRORS };
const UNKNOWN_SESSION = { name: "unknown-session", xmlns: NS_JINGLE_ERRORS };

function context(o: Partial<SessionContext> & { size?: number; hashes?: FileDescription["hashes"] } = {}): SessionContext {
  const { size = SIZE, hashes = [{ algo: "sha-256", value: SHA }], ...rest } = o;
  return {
    sid: SID, peer: PEER, role: "initiator", sending: true, contentName: "a-file-offer", contentCreator: "initiator",
    file: { name: "test.txt", size, hashes, range: {}, extensions: [] },
    transport: { sid: IBB_SID, blockSize: 4096, stanza: "iq" },
    startOffset: 0, maxBlockSize: 4096,
    ...rest,
  };
}
/** we offer a file (push): initiator and File Sender */
const pushSender = (o: Parameters<typeof context>[0] = {}) => context(o);
/** we receive an offered file (push): responder and File Receiver */
const pushReceiver = (o: Parameters<typeof context>[0] = {}) => context({ role: "responder", sending: false, ...o });

/** a <jingle/>, bare or inside the <iq/> of an XEP example */
function jingleOf(x: string): Jingle {
  const el = parse(x);
  return parseJingle(el.is("iq") ? el.getChild("jingle", NS_JINGLE)! : el);
}
const remote = (x: string): SessionEvent => ({ type: "remote", jingle: jingleOf(x) });

/** a session-accept as the peer sends it, with an IBB transport */
function acceptXml({ blockSize = 4096, file = `<range/><size>${SIZE}</size>`, transport = undefined as string | undefined, name = "a-file-offer", senders = "initiator" } = {}) {
  const t = transport ?? `<transport xmlns='${NS_JINGLE_IBB}' block-size='${blockSize}' sid='${IBB_SID}'/>`;
  return `<jingle xmlns='${NS_JINGLE}' action='session-accept' responder='${PEER}' sid='${SID}'>
    <content creator='initiator' name='${name}' senders='${senders}'>
      <description xmlns='${NS_JINGLE_FT}'><file><name>test.txt</name>${file}<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>${SHA}</hash></file></description>
      ${t}
    </content>
  </jingle>`;
}
const terminateXml = (condition: string, text?: string) =>
  `<jingle xmlns='${NS_JINGLE}' action='session-terminate' sid='${SID}'><reason><${condition}/>${text ? `<text>${text}</text>` : ""}</reason></jingle>`;
const receivedXml = `<jingle xmlns='${NS_JINGLE}' action='session-info' sid='${SID}'><received xmlns='${NS_JINGLE_FT}' creator='initiator' name='a-file-offer'/></jingle>`;

function ev(ctx: SessionContext, type: TransferEvent["type"], offset: number, reason?: string): SessionEffect {
  return { type: "emit", event: { type, sid: ctx.sid, peer: ctx.peer, sending: ctx.sending, name: ctx.file.name, offset, size: ctx.file.size, sha256: SHA, reason } };
}
function terminateEffect(ctx: SessionContext, condition: string, text?: string): SessionEffect {
  return { type: "send-jingle", jingle: { action: "session-terminate", sid: ctx.sid, contents: [], reason: { condition: condition as never, text } } };
}
const data = (seq: number, n: number, fill = 0x61): SessionEvent => ({ type: "ibb-data", seq, data: Buffer.alloc(n, fill) });
const streaming = (ctx: SessionContext, offset: number, nextSeq = 0): SessionState => ({ phase: "streaming", ctx, offset, nextSeq });

function ok(t: Transition): Transition {
  assert.equal(t.error, undefined, t.error?.message);
  return t;
}
/** the state is left exactly as it was and nothing is done */
function unchanged(before: SessionState, t: Transition) {
  assert.equal(t.state, before);
  assert.deepEqual(t.effects, []);
}
function ended(t: Transition, outcome: string, offset: number) {
  assert.equal(t.state.phase, "ended");
  assert.equal(t.state.phase === "ended" && t.state.outcome, outcome);
  assert.equal(t.state.phase === "ended" && t.state.offset, offset);
}

describe("session transition", () => {
  describe("push, we send (initiator, File Sender)", () => {
    it("accepted at offset 0: open IBB, send from 0, close, completed on <received/>", () => {
      const ctx = pushSender();
      const t1 = ok(transition({ phase: "initiating", ctx }, remote(acceptXml())));
      assert.equal(t1.state.phase, "connecting");
      assert.deepEqual(t1.effects, [{ type: "open-ibb" }]);
      assert.equal(t1.state.ctx.startOffset, 0);

      const t2 = ok(transition(t1.state, { type: "ibb-opened" }));
      assert.deepEqual(t2.effects, [ev(ctx, "started", 0), { type: "start-sending", offset: 0 }]);
      assert.deepEqual(t2.state, streaming(t1.state.ctx, 0, 0));

      const t3 = ok(transition(t2.state, { type: "send-done", offset: SIZE }));
      assert.equal(t3.state.phase, "confirming");
      assert.deepEqual(t3.effects, [{ type: "close-ibb" }]);

      const t4 = ok(transition(t3.state, remote(receivedXml)));
      ended(t4, "completed", SIZE);
      assert.deepEqual(t4.effects, [{ type: "stop-sending" }, ev(ctx, "completed", SIZE, "peer confirmed")]);
    });

    it("acks move the sender's offset, so an interruption reports the byte the receiver confirmed", () => {
      const ctx = { ...pushSender(), startOffset: 0 };
      const t1 = ok(transition(streaming(ctx, 0, 3), { type: "acked", offset: 65532 }));
      assert.deepEqual(t1.effects, []);
      const stale = ok(transition(t1.state, { type: "acked", offset: 100 }));
      assert.equal((stale.state as { offset: number }).offset, 65532, "a late, lower ack does not move it back");
      const lost = ok(transition(stale.state, { type: "link-lost", reason: "stalled" }));
      ended(lost, "interrupted", 65532);
    });

    it("the XEP-0234 <received/> example (session-info) completes a confirming sender", () => {
      const ctx = pushSender();
      const t = ok(transition({ phase: "confirming", ctx, offset: SIZE }, remote(fx.received)));
      ended(t, "completed", SIZE);
    });

    it("session-terminate <success/> after all data also completes", () => {
      const ctx = pushSender();
      const t = ok(transition({ phase: "confirming", ctx, offset: SIZE }, remote(terminateXml("success"))));
      ended(t, "completed", SIZE);
      assert.deepEqual(t.effects, [{ type: "stop-sending" }, ev(ctx, "completed", SIZE, "peer confirmed")]);
    });

    it("accepted at offset N (<range offset='270336'/>): the sender starts sending at N", () => {
      const ctx = pushSender({ size: BIG });
      const t1 = ok(transition({ phase: "initiating", ctx }, remote(acceptXml({ file: `<range offset='${N}'/><size>${BIG}</size>` }))));
      assert.equal(t1.state.ctx.startOffset, N);
      const t2 = ok(transition(t1.state, { type: "ibb-opened" }));
      assert.deepEqual(t2.effects, [ev(ctx, "resumed", N), { type: "start-sending", offset: N }]);
      assert.deepEqual(t2.state, streaming(t1.state.ctx, N, 0));
    });

    it("resumes a file over 4 GiB past 2^32 exactly", () => {
      const ctx = pushSender({ size: 6_000_000_000 });
      const t1 = ok(transition({ phase: "initiating", ctx }, remote(acceptXml({ file: `<range offset='5000000000'/><size>6000000000</size>` }))));
      const t2 = ok(transition(t1.state, { type: "ibb-opened" }));
      assert.deepEqual(t2.effects[1], { type: "start-sending", offset: 5_000_000_000 });
    });

    it("the responder may lower the block size", () => {
      const t = ok(transition({ phase: "initiating", ctx: pushSender() }, remote(acceptXml({ blockSize: 2048 }))));
      assert.equal(t.state.ctx.transport.blockSize, 2048);
    });

    it("session-accept raising the block size -> not-acceptable (cancel), nothing happens", () => {
      const s: SessionState = { phase: "initiating", ctx: pushSender() };
      const t = transition(s, remote(acceptXml({ blockSize: 8192 })));
      unchanged(s, t);
      assertStanzaError(t.error, "not-acceptable", "cancel");
    });

    it("session-accept with a range offset beyond the size -> bad-request (modify)", () => {
      const s: SessionState = { phase: "initiating", ctx: pushSender() };
      for (const file of [`<range offset='${SIZE + 1}'/>`, `<range offset='${SIZE + 1}'/><size>${SIZE}</size>`]) {
        const t = transition(s, remote(acceptXml({ file })));
        unchanged(s, t);
        assertStanzaError(t.error, "bad-request", "modify");
      }
    });

    it("session-accept without a usable IBB transport -> bad-request (modify)", () => {
      const s: SessionState = { phase: "initiating", ctx: pushSender() };
      const s5b = `<transport xmlns='urn:xmpp:jingle:transports:s5b:1' mode='tcp' sid='vj3hs98y'/>`;
      for (const x of [acceptXml({ transport: s5b }), acceptXml({ transport: " " }), fx.sessionAccept]) {
        const t = transition(s, remote(x));
        unchanged(s, t);
        assertStanzaError(t.error, "bad-request", "modify");
      }
    });

    it("session-accept in the wrong phase -> unexpected-request (wait) + <out-of-order/>", () => {
      const ctx = pushSender();
      for (const s of [streaming(ctx, 0), { phase: "connecting", ctx } as SessionState, { phase: "confirming", ctx, offset: SIZE } as SessionState]) {
        const t = transition(s, remote(acceptXml()));
        unchanged(s, t);
        assertStanzaError(t.error, "unexpected-request", "wait", OUT_OF_ORDER);
      }
    });

    it("<received/> overtaking the acks of the last blocks -> completed, pump stopped", () => {
      const t = transition(streaming(pushSender(), 4096), remote(receivedXml));
      ended(t, "completed", SIZE);
      assert.ok(t.effects.some((e) => e.type === "stop-sending"));
    });

    it("<received/> before the bytestream is even open -> unexpected-request (wait) + <out-of-order/>", () => {
      const s: SessionState = { phase: "connecting", ctx: pushSender() };
      const t = transition(s, remote(receivedXml));
      unchanged(s, t);
      assertStanzaError(t.error, "unexpected-request", "wait", OUT_OF_ORDER);
    });

    it("a data packet sent to the sender -> unexpected-request", () => {
      const s = streaming(pushSender(), 0);
      const t = transition(s, data(0, 10));
      unchanged(s, t);
      assert.equal(t.error?.condition, "unexpected-request");
    });

    for (const errorType of ["cancel", "wait"]) {
      it(`send-failed with recipient-unavailable (type ${errorType}) -> interrupted (resumable), no terminate`, () => {
        const ctx = pushSender({ size: BIG });
        const t = transition(streaming(ctx, N), { type: "send-failed", offset: N + 8192, condition: "recipient-unavailable", errorType });
        ended(t, "interrupted", N + 8192);
        assert.deepEqual(t.effects, [{ type: "stop-sending" }, ev(ctx, "interrupted", N + 8192, "recipient-unavailable")]);
      });
    }

    it("send-failed with item-not-found -> interrupted: the receiver lost the bytestream (restart, its own disconnect), a continuation can go on", () => {
      const ctx = pushSender();
      const t = transition(streaming(ctx, 0), { type: "send-failed", offset: 4096, condition: "item-not-found", errorType: "cancel", text: "no such stream" });
      ended(t, "interrupted", 4096);
      assert.deepEqual(t.effects, [{ type: "stop-sending" }, ev(ctx, "interrupted", 4096, "item-not-found: no such stream")]);
    });

    it("send-failed with another error (not-acceptable) -> failed, with session-terminate failed-transport", () => {
      const ctx = pushSender();
      const t = transition(streaming(ctx, 0), { type: "send-failed", offset: 4096, condition: "not-acceptable", errorType: "cancel", text: "no" });
      ended(t, "failed", 4096);
      assert.deepEqual(t.effects, [
        terminateEffect(ctx, "failed-transport", "not-acceptable: no"),
        { type: "stop-sending" },
        ev(ctx, "failed", 4096, "not-acceptable: no"),
      ]);
    });

    it("the peer closing the bytestream early -> interrupted", () => {
      const ctx = pushSender();
      const t = transition(streaming(ctx, 4096), { type: "ibb-closed" });
      ended(t, "interrupted", 4096);
      assert.deepEqual(t.effects, [{ type: "stop-sending" }, ev(ctx, "interrupted", 4096, "peer closed the bytestream")]);
    });

    it("session-terminate <success/> overtaking the last acks -> completed (the receiver verified the hash)", () => {
      const t = transition(streaming(pushSender(), 4096), remote(terminateXml("success")));
      ended(t, "completed", SIZE);
    });

    it("session-terminate <success/> before the bytestream opened -> interrupted, not completed", () => {
      const t = transition({ phase: "connecting", ctx: pushSender() }, remote(terminateXml("success")));
      ended(t, "interrupted", 0);
    });

    it("cancel while streaming: close IBB, terminate <cancel/>, stop sending", () => {
      const ctx = pushSender();
      const t = transition(streaming(ctx, 4096), { type: "cancel", reason: "user" });
      ended(t, "cancelled", 4096);
      assert.deepEqual(t.effects, [{ type: "close-ibb" }, terminateEffect(ctx, "cancel", "user"), { type: "stop-sending" }, ev(ctx, "failed", 4096, "user")]);
    });

    it("the peer declines the offer -> declined", () => {
      const ctx = pushSender();
      const t = transition({ phase: "initiating", ctx }, remote(terminateXml("decline")));
      ended(t, "declined", 0);
      assert.deepEqual(t.effects, [{ type: "stop-sending" }, ev(ctx, "declined", 0, "decline")]);
    });

    it("session-initiate that fails to reach the peer: recipient-unavailable -> interrupted, item-not-found -> failed", () => {
      const s: SessionState = { phase: "initiating", ctx: pushSender() };
      ended(transition(s, { type: "initiate-failed", condition: "recipient-unavailable" }), "interrupted", 0);
      ended(transition(s, { type: "initiate-failed", condition: "item-not-found" }), "failed", 0);
    });
  });

  describe("push, we receive (responder, File Receiver)", () => {
    function acceptedContent(t: Transition) {
      assert.equal(t.effects.length, 1);
      const e = t.effects[0]!;
      assert.equal(e.type, "send-jingle");
      const j = (e as { jingle: Jingle }).jingle;
      assert.equal(j.action, "session-accept");
      assert.equal(j.sid, SID);
      assert.equal(j.contents.length, 1);
      const c = j.contents[0]!;
      return { c, file: parseDescription(parse(c.description!.toString())), transport: parseIbbTransport(parse(c.transport!.toString())) };
    }

    it("accepted at 0: session-accept, write every block where it belongs, verify, received + success", () => {
      const ctx = pushReceiver();
      const t1 = ok(transition({ phase: "pending", ctx }, { type: "accept", offset: 0 }));
      assert.equal(t1.state.phase, "connecting");
      const { c, file, transport } = acceptedContent(t1);
      assert.deepEqual([c.creator, c.name, c.senders], ["initiator", "a-file-offer", "initiator"]);
      assert.deepEqual(file, { name: "test.txt", size: SIZE, hashes: [{ algo: "sha-256", value: SHA }], range: {}, extensions: [] });
      assert.deepEqual(transport, { sid: IBB_SID, blockSize: 4096, stanza: "iq" });

      const t2 = ok(transition(t1.state, { type: "ibb-opened", blockSize: 4096 }));
      assert.deepEqual(t2.effects, [ev(ctx, "started", 0)]);
      assert.deepEqual(t2.state, streaming(t1.state.ctx, 0, 0));

      const a = Buffer.alloc(4096, 1);
      const b = Buffer.alloc(2048, 2);
      const t3 = ok(transition(t2.state, { type: "ibb-data", seq: 0, data: a }));
      assert.deepEqual(t3.effects, [{ type: "write", offset: 0, data: a }]);
      assert.deepEqual(t3.state, streaming(t1.state.ctx, 4096, 1));
      const t4 = ok(transition(t3.state, { type: "ibb-data", seq: 1, data: b }));
      assert.deepEqual(t4.effects, [{ type: "write", offset: 4096, data: b }, { type: "verify" }]);
      assert.deepEqual(t4.state, { phase: "verifying", ctx: t1.state.ctx, offset: SIZE });

      const t5 = ok(transition(t4.state, { type: "verified", ok: true, detail: "sha-256 verified" }));
      ended(t5, "completed", SIZE);
      assert.equal(t5.effects.length, 3);
      const info = t5.effects[0] as { type: string; jingle: Jingle };
      assert.equal(info.type, "send-jingle");
      assert.equal(info.jingle.action, "session-info");
      assert.equal(info.jingle.sid, SID);
      assert.equal((info.jingle.info as Element).toString(), `<received xmlns="${NS_JINGLE_FT}" creator="initiator" name="a-file-offer"/>`);
      assert.deepEqual(t5.effects.slice(1), [terminateEffect(ctx, "success"), ev(ctx, "completed", SIZE, "sha-256 verified")]);

      // a hash-less file that no <checksum/> came for: completed, said unverified, with the hash of what arrived
      const t6 = ok(transition(t4.state, { type: "verified", ok: true, detail: "unverified: no hash", unverifiedSha256: "abc=" }));
      ended(t6, "completed", SIZE);
      assert.deepEqual(t6.effects.at(-1), { type: "emit", event: { ...(ev(ctx, "completed", SIZE, "unverified: no hash") as { event: object }).event, sha256: "abc=", unverified: true } });
    });

    it("accepted at N: session-accept carries <range offset=N/>, the first block is written at N", () => {
      const ctx = pushReceiver({ size: BIG });
      const t1 = ok(transition({ phase: "pending", ctx }, { type: "accept", offset: N }));
      assert.deepEqual(acceptedContent(t1).file.range, { offset: N });
      assert.equal(t1.state.ctx.startOffset, N);
      const t2 = ok(transition(t1.state, { type: "ibb-opened", blockSize: 4096 }));
      assert.deepEqual(t2.effects, [ev(ctx, "resumed", N)]);
      const t3 = ok(transition(t2.state, data(0, 4096)));
      assert.deepEqual(t3.effects, [{ type: "write", offset: N, data: Buffer.alloc(4096, 0x61) }]);
      const t4 = ok(transition(t3.state, data(1, 100)));
      assert.deepEqual(t4.effects, [{ type: "write", offset: N + 4096, data: Buffer.alloc(100, 0x61) }]);
    });

    it("accepted at 5000000000 of a 6000000000-byte file writes at 5000000000", () => {
      const ctx = pushReceiver({ size: 6_000_000_000 });
      const t1 = ok(transition({ phase: "pending", ctx }, { type: "accept", offset: 5_000_000_000 }));
      const t2 = ok(transition(t1.state, { type: "ibb-opened" }));
      const t3 = ok(transition(t2.state, data(0, 10)));
      assert.deepEqual(t3.effects, [{ type: "write", offset: 5_000_000_000, data: Buffer.alloc(10, 0x61) }]);
    });

    it("accepted at the file's size: nothing to transfer, verify at once", () => {
      const ctx = pushReceiver();
      const t1 = ok(transition({ phase: "pending", ctx }, { type: "accept", offset: SIZE }));
      const t2 = ok(transition(t1.state, { type: "ibb-opened" }));
      assert.deepEqual(t2.effects, [ev(ctx, "resumed", SIZE), { type: "verify" }]);
      assert.equal(t2.state.phase, "verifying");
    });

    it("accept offset beyond the size -> failed with failed-application", () => {
      const ctx = pushReceiver();
      const t = transition({ phase: "pending", ctx }, { type: "accept", offset: SIZE + 1 });
      ended(t, "failed", 0);
      assert.deepEqual(t.effects[0], terminateEffect(ctx, "failed-application", "bad range"));
    });

    it("negotiates the block size down and refuses an IBB open above it with resource-constraint (modify)", () => {
      const ctx = pushReceiver({ transport: { sid: IBB_SID, blockSize: 8192, stanza: "iq" }, maxBlockSize: 4096 });
      const t1 = ok(transition({ phase: "pending", ctx }, { type: "accept", offset: 0 }));
      assert.equal(acceptedContent(t1).transport.blockSize, 4096);
      const t2 = transition(t1.state, { type: "ibb-opened", blockSize: 8192 });
      unchanged(t1.state, t2);
      assertStanzaError(t2.error, "resource-constraint", "modify");
    });

    it("seq wraps 65535 -> 0 and continues (65536 + 2 one-byte blocks)", () => {
      const total = 65536 + 2;
      const ctx = pushReceiver({ size: total, transport: { sid: IBB_SID, blockSize: 1, stanza: "iq" }, maxBlockSize: 1 });
      let state: SessionState = streaming(ctx, 0, 0);
      const one = Buffer.from([7]);
      let writes = 0;
      for (let i = 0; i < total; i++) {
        const t = transition(state, { type: "ibb-data", seq: i % 65536, data: one });
        if (t.error) assert.fail(`block ${i}: ${t.error.message}`);
        const w = t.effects[0];
        if (w?.type !== "write" || w.offset !== i) assert.fail(`block ${i}: ${JSON.stringify(t.effects)}`);
        writes++;
        state = t.state;
        if (i === 65535) {
          assert.equal(state.phase === "streaming" && state.nextSeq, 0, "after seq 65535 the next is 0");
          // seq 65536 does not exist: a peer that does not wrap is out of order
          const bad = transition(state, { type: "ibb-data", seq: 65536, data: one });
          assert.equal(bad.state.phase, "ended");
          assert.equal(bad.error?.condition, "unexpected-request");
        }
      }
      assert.equal(writes, total);
      assert.deepEqual(state, { phase: "verifying", ctx, offset: total });
    });

    it("out-of-order seq -> close IBB, interrupted (partial kept), unexpected-request (cancel)", () => {
      const ctx = pushReceiver();
      const t = transition(streaming(ctx, 4096, 1), data(2, 10));
      ended(t, "interrupted", 4096);
      assert.deepEqual(t.effects, [
        { type: "close-ibb" },
        terminateEffect(ctx, "failed-transport", "IBB packet out of order"),
        { type: "keep-partial" },
        ev(ctx, "interrupted", 4096, "IBB seq 2 out of order (expected 1)"),
      ]);
      assertStanzaError(t.error, "unexpected-request", "cancel");
    });

    it("a repeated seq is out of order too, and its data is not written", () => {
      const ctx = pushReceiver();
      const t1 = ok(transition(streaming(ctx, 0, 0), data(0, 4096)));
      const t2 = transition(t1.state, data(0, 4096));
      ended(t2, "interrupted", 4096);
      assert.ok(!t2.effects.some((e) => e.type === "write"));
      assert.deepEqual(t2.effects.at(-1), ev(ctx, "interrupted", 4096, "IBB seq 0 out of order (expected 1)"));
      assertStanzaError(t2.error, "unexpected-request", "cancel");
    });

    it("a block larger than the negotiated block-size -> not-acceptable (cancel), interrupted, nothing written", () => {
      const ctx = pushReceiver();
      const t = transition(streaming(ctx, 0, 0), data(0, 4097));
      ended(t, "interrupted", 0);
      assert.deepEqual(t.effects, [
        { type: "close-ibb" },
        terminateEffect(ctx, "failed-transport", "IBB block larger than negotiated"),
        { type: "keep-partial" },
        ev(ctx, "interrupted", 0, "IBB block of 4097 bytes exceeds block-size 4096"),
      ]);
      assertStanzaError(t.error, "not-acceptable", "cancel");
    });

    it("more bytes than the announced size -> failed, partial discarded, media-error", () => {
      const ctx = pushReceiver();
      const t = transition(streaming(ctx, 4096, 1), data(1, 4096));
      ended(t, "failed", 4096);
      assert.deepEqual(t.effects, [
        { type: "close-ibb" },
        terminateEffect(ctx, "media-error", "more data than the announced size"),
        { type: "discard-partial", reason: "more data than the announced size" },
        ev(ctx, "failed", 4096, `peer sent more than the announced ${SIZE} bytes`),
      ]);
      assertStanzaError(t.error, "not-acceptable", "cancel");
    });

    it("data after the last byte, while verifying -> not-acceptable, nothing written", () => {
      const s: SessionState = { phase: "verifying", ctx: pushReceiver(), offset: SIZE };
      const t = transition(s, data(2, 1));
      unchanged(s, t);
      assertStanzaError(t.error, "not-acceptable", "cancel");
    });

    it("data before the bytestream is open -> unexpected-request", () => {
      const s: SessionState = { phase: "connecting", ctx: pushReceiver() };
      const t = transition(s, data(0, 1));
      unchanged(s, t);
      assert.equal(t.error?.condition, "unexpected-request");
    });

    it("ibb-closed before the last byte -> interrupted, partial kept", () => {
      const ctx = pushReceiver();
      const t = transition(streaming(ctx, 4096, 1), { type: "ibb-closed" });
      ended(t, "interrupted", 4096);
      assert.deepEqual(t.effects, [{ type: "keep-partial" }, ev(ctx, "interrupted", 4096, "bytestream closed before all bytes arrived")]);
    });

    it("hash mismatch -> failed, partial discarded, media-error terminate, no <received/>", () => {
      const ctx = pushReceiver();
      const t = transition({ phase: "verifying", ctx, offset: SIZE }, { type: "verified", ok: false, detail: "sha-256 mismatch" });
      ended(t, "failed", SIZE);
      assert.deepEqual(t.effects, [
        terminateEffect(ctx, "media-error", "sha-256 mismatch"),
        { type: "discard-partial", reason: "sha-256 mismatch" },
        ev(ctx, "failed", SIZE, "sha-256 mismatch"),
      ]);
    });

    it("the peer's <success/> while we verify does not decide anything", () => {
      const s: SessionState = { phase: "verifying", ctx: pushReceiver(), offset: SIZE };
      unchanged(s, ok(transition(s, remote(terminateXml("success")))));
    });

    for (const condition of ["connectivity-error", "timeout", "failed-transport"]) {
      it(`session-terminate <${condition}/> -> interrupted, partial kept`, () => {
        const ctx = pushReceiver();
        const t = ok(transition(streaming(ctx, 4096, 1), remote(terminateXml(condition, "link down"))));
        ended(t, "interrupted", 4096);
        assert.deepEqual(t.effects, [{ type: "keep-partial" }, ev(ctx, "interrupted", 4096, `${condition}: link down`)]);
      });
    }

    it("session-terminate <cancel/> (the XEP-0234 abort example) -> cancelled", () => {
      const t = ok(transition(streaming(pushReceiver(), 4096, 1), remote(fx.abortAll)));
      ended(t, "cancelled", 4096);
    });

    it("session-terminate <media-error/> -> failed", () => {
      ended(ok(transition(streaming(pushReceiver(), 0), remote(terminateXml("media-error")))), "failed", 0);
    });

    it("decline: session-terminate <decline/>, the partial's handle released, declined event", () => {
      const ctx = pushReceiver();
      const t = ok(transition({ phase: "pending", ctx }, { type: "decline", reason: "no thanks" }));
      ended(t, "declined", 0);
      assert.deepEqual(t.effects, [terminateEffect(ctx, "decline", "no thanks"), { type: "keep-partial" }, ev(ctx, "declined", 0, "no thanks")]);
    });

    it("decline or accept outside pending does nothing", () => {
      const s = streaming(pushReceiver(), 10, 1);
      unchanged(s, ok(transition(s, { type: "decline" })));
      unchanged(s, ok(transition(s, { type: "accept", offset: 0 })));
    });

    it("cancel while receiving: close IBB, terminate <cancel/>, partial kept for later", () => {
      const ctx = pushReceiver();
      const t = transition(streaming(ctx, 4096, 1), { type: "cancel" });
      ended(t, "cancelled", 4096);
      assert.deepEqual(t.effects, [{ type: "close-ibb" }, terminateEffect(ctx, "cancel", undefined), { type: "keep-partial" }, ev(ctx, "failed", 4096, "cancelled")]);
    });

    it("a session-accept sent to the responder -> unexpected-request (wait) + <out-of-order/>", () => {
      const s: SessionState = { phase: "pending", ctx: pushReceiver() };
      const t = transition(s, remote(acceptXml()));
      unchanged(s, t);
      assertStanzaError(t.error, "unexpected-request", "wait", OUT_OF_ORDER);
    });

    const checksumXml = (sha: string) =>
      `<jingle xmlns='${NS_JINGLE}' action='session-info' sid='${SID}'><checksum xmlns='${NS_JINGLE_FT}' creator='initiator' name='a-file-offer'><file><hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>${sha}</hash></file></checksum></jingle>`;
    const OTHER_SHA = Buffer.alloc(32, 9).toString("base64");

    it("a checksum session-info gives the hash an offer only announced (empty <hash/>): the file is verified against it", () => {
      const ctx = pushReceiver({ hashes: [{ algo: "sha-256", value: "" }] });
      const t = ok(transition(streaming(ctx, 0), remote(checksumXml(SHA))));
      assert.deepEqual(t.effects, []);
      assert.deepEqual(t.state.ctx.file.hashes, [{ algo: "sha-256", value: SHA }]);
    });

    it("a checksum repeating the offer's hash changes nothing", () => {
      const ctx = pushReceiver();
      const t = ok(transition(streaming(ctx, 100, 1), remote(checksumXml(SHA))));
      assert.deepEqual(t.effects, []);
      assert.deepEqual(t.state, streaming(ctx, 100, 1));
    });

    it("a checksum naming another hash while streaming -> failed with media-error, partial discarded, the IQ refused (not-acceptable, modify)", () => {
      const ctx = pushReceiver();
      const t = transition(streaming(ctx, 100, 1), remote(checksumXml(OTHER_SHA)));
      ended(t, "failed", 100);
      const reason = `checksum sha-256 ${OTHER_SHA} differs from the offer's ${SHA}`;
      assert.deepEqual(t.effects, [{ type: "close-ibb" }, terminateEffect(ctx, "media-error", reason), { type: "discard-partial", reason }, ev(ctx, "failed", 100, reason)]);
      assert.deepEqual(t.state.ctx.file.hashes, [{ algo: "sha-256", value: SHA }], "the offer's hash stays");
      assertStanzaError(t.error, "not-acceptable", "modify");
    });

    it("a checksum naming another hash while connecting -> failed the same way (no bytestream to close yet)", () => {
      const ctx = pushReceiver();
      const t = transition({ phase: "connecting", ctx }, remote(checksumXml(OTHER_SHA)));
      ended(t, "failed", 0);
      assert.equal(t.effects[0].type, "send-jingle");
      assert.ok(t.effects.some((e) => e.type === "discard-partial"));
    });

    for (const phase of ["pending", "verifying"] as const) {
      it(`a checksum naming another hash while ${phase} is refused (not-acceptable) and the offer's hash stands`, () => {
        const ctx = pushReceiver();
        const state: SessionState = phase === "pending" ? { phase, ctx } : { phase, ctx, offset: SIZE };
        const t = transition(state, remote(checksumXml(OTHER_SHA)));
        assert.deepEqual(t.state, state);
        assert.deepEqual(t.effects, []);
        assertStanzaError(t.error, "not-acceptable", "modify");
      });
    }

    it("link lost -> interrupted, partial kept", () => {
      const ctx = pushReceiver();
      const t = transition(streaming(ctx, 100, 1), { type: "link-lost", reason: "connection lost" });
      ended(t, "interrupted", 100);
      assert.deepEqual(t.effects, [{ type: "keep-partial" }, ev(ctx, "interrupted", 100, "connection lost")]);
    });

    it("going offline (SIGTERM) -> <gone/> to the sender, interrupted, partial kept", () => {
      const ctx = pushReceiver();
      const t = transition(streaming(ctx, 100, 1), { type: "going-offline", reason: "xft stopped by SIGTERM" });
      ended(t, "interrupted", 100);
      assert.deepEqual(t.effects, [
        { type: "send-jingle", jingle: { action: "session-terminate", sid: ctx.sid, contents: [], reason: { condition: "gone", text: "xft stopped by SIGTERM" } } },
        { type: "keep-partial" },
        ev(ctx, "interrupted", 100, "xft stopped by SIGTERM"),
      ]);
    });
  });

  describe("pull (XEP-0234 §Requesting a File)", () => {
    it("we request (initiator, File Receiver) from N: the sender's description is taken, data lands at N", () => {
      const ctx = context({ sending: false, contentName: "file-request", size: BIG, startOffset: N });
      ctx.file.range = { offset: N };
      const accept = acceptXml({ name: "file-request", senders: "responder", file: `<date>2017-08-27T00:00:00Z</date><range/><size>${BIG}</size>` });
      const t1 = ok(transition({ phase: "initiating", ctx }, remote(accept)));
      assert.deepEqual(t1.effects, [{ type: "open-ibb" }]);
      assert.equal(t1.state.ctx.startOffset, N, "the receiver keeps its own offset");
      assert.equal(t1.state.ctx.file.date, "2017-08-27T00:00:00Z");
      assert.deepEqual(t1.state.ctx.file.hashes, [{ algo: "sha-256", value: SHA }]);
      const t2 = ok(transition(t1.state, { type: "ibb-opened" }));
      assert.deepEqual(t2.effects, [ev(ctx, "resumed", N)]);
      const t3 = ok(transition(t2.state, data(0, 4096)));
      assert.deepEqual(t3.effects, [{ type: "write", offset: N, data: Buffer.alloc(4096, 0x61) }]);
    });

    it("we request: the sender's first data overtaking the answer to our open counts as the open's success", () => {
      const ctx = context({ sending: false, contentName: "file-request", size: BIG, startOffset: N });
      const t = ok(transition({ phase: "connecting", ctx }, data(0, 4096)));
      assert.deepEqual(t.effects, [ev(ctx, "resumed", N), { type: "write", offset: N, data: Buffer.alloc(4096, 0x61) }]);
      assert.equal(t.state.phase, "streaming");
      const late = transition(t.state, { type: "ibb-opened" });
      assert.equal(late.state, t.state, "the late answer changes nothing");
      assert.deepEqual(late.effects, []);
    });

    it("data before our own push's bytestream opened is still refused (only the pull's sender may start early)", () => {
      const s: SessionState = { phase: "connecting", ctx: pushReceiver() };
      const t = transition(s, data(0, 10));
      unchanged(s, t);
      assert.equal(t.error?.condition, "unexpected-request");
    });

    it("we serve a request (responder, File Sender) from N: senders='responder', sending starts at N", () => {
      const ctx = context({ role: "responder", sending: true, contentName: "file-request", size: BIG });
      const t1 = ok(transition({ phase: "pending", ctx }, { type: "accept", offset: N }));
      const j = (t1.effects[0] as { jingle: Jingle }).jingle;
      assert.equal(j.action, "session-accept");
      assert.equal(j.contents[0]!.senders, "responder");
      assert.deepEqual(parseDescription(j.contents[0]!.description!).range, { offset: N });
      const t2 = ok(transition(t1.state, { type: "ibb-opened", blockSize: 4096 }));
      assert.deepEqual(t2.effects, [ev(ctx, "resumed", N), { type: "start-sending", offset: N }]);
    });
  });

  describe("after the session ended", () => {
    const s: SessionState = { phase: "ended", ctx: pushReceiver(), outcome: "completed", offset: SIZE, reason: "done" };

    it("any Jingle action -> item-not-found (cancel) + <unknown-session/>", () => {
      for (const x of [acceptXml(), terminateXml("success"), receivedXml]) {
        const t = transition(s, remote(x));
        unchanged(s, t);
        assertStanzaError(t.error, "item-not-found", "cancel", UNKNOWN_SESSION);
      }
    });

    it("IBB data -> item-not-found (XEP-0047: no such bytestream any more), nothing written", () => {
      const t = transition(s, data(0, 1));
      unchanged(s, t);
      assert.equal(t.error?.condition, "item-not-found");
    });

    it("every other event is ignored", () => {
      const events: SessionEvent[] = [
        { type: "accept", offset: 0 }, { type: "decline" }, { type: "cancel" }, { type: "ibb-opened" }, { type: "ibb-closed" },
        { type: "send-done", offset: 1 }, { type: "send-failed", offset: 1, condition: "item-not-found" },
        { type: "verified", ok: true, detail: "" }, { type: "link-lost", reason: "x" }, { type: "initiate-failed", condition: "x" },
        { type: "ibb-open-failed", condition: "x" }, { type: "going-offline", reason: "x" },
      ];
      for (const e of events) {
        const t = transition(s, e);
        unchanged(s, t);
        assert.equal(t.error, undefined, e.type);
      }
    });
  });
});
