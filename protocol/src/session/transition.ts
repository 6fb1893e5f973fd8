// transition(state, event) -> {state, effects}: the whole behaviour of a file-transfer session.
// XEP-0166 (session flow), XEP-0234 (file transfer, range, received), XEP-0261/0047 (IBB).
import { badRequest, featureNotImplemented, itemNotFound, notAcceptable, ProtocolError, unexpectedRequest } from "../errors/stanza-error.js";
import { jingleError, type Jingle, type Reason, type ReasonCondition } from "../xep0166/jingle.js";
import { makeDescription, makeReceived, parseDescription, parseFileInfo, type FileDescription } from "../xep0234/file.js";
import { makeIbbTransport, negotiateBlockSize, parseIbbTransport } from "../xep0261/transport.js";
import { nextSeq } from "../xep0047/ibb.js";
import { sha256Of, type Hash } from "../xep0300/hash.js";
import { applyChecksum } from "../xep0234/checksum.js";
import { acceptOverS5b, onTransportChange } from "./s5b-fallback.js";
import type { Outcome, SessionContext, SessionEffect, SessionEvent, SessionState, Transition, TransferEventType } from "./types.js";

/** Reasons and IBB errors that mean "the path broke", not "the peer said no": resumable. */
const CONNECTIVITY_REASONS: ReadonlySet<string> = new Set(["connectivity-error", "timeout", "failed-transport", "gone", "expired"]);
/** XEP-0047 §2.2 / §3: these stanza errors mean the recipient is (temporarily) out of reach. */
const UNREACHABLE_CONDITIONS: ReadonlySet<string> = new Set(["recipient-unavailable", "remote-server-timeout", "remote-server-not-found", "service-unavailable", "timeout"]);

const outOfOrder = (what: string) => unexpectedRequest(what, jingleError("out-of-order"));

export function size(ctx: SessionContext): number {
  return ctx.file.size ?? 0;
}

function jingle(ctx: SessionContext, action: Jingle["action"], extra: Partial<Jingle> = {}): SessionEffect {
  return { type: "send-jingle", jingle: { action, sid: ctx.sid, contents: [], ...extra } };
}

function terminate(ctx: SessionContext, condition: ReasonCondition, text?: string): SessionEffect {
  const reason: Reason = { condition, text };
  return jingle(ctx, "session-terminate", { reason });
}

function emit(ctx: SessionContext, type: TransferEventType, offset: number, reason?: string): SessionEffect {
  return {
    type: "emit",
    event: { type, sid: ctx.sid, peer: ctx.peer, sending: ctx.sending, name: ctx.file.name, offset, size: ctx.file.size, sha256: sha256Of(ctx.file.hashes), reason },
  };
}

function end(ctx: SessionContext, outcome: Outcome, offset: number, reason: string, effects: SessionEffect[] = []): Transition {
  const eventType: TransferEventType =
    outcome === "completed" ? "completed" : outcome === "interrupted" ? "interrupted" : outcome === "declined" ? "declined" : "failed";
  // A receiver always lets go of its partial file when a session ends: kept for a later resume
  // unless an effect before this one discarded it (hash mismatch, too many bytes).
  const discarded = effects.some((e) => e.type === "discard-partial");
  const cleanup: SessionEffect[] = ctx.sending ? [{ type: "stop-sending" }] : outcome === "completed" || discarded ? [] : [{ type: "keep-partial" }];
  return {
    state: { phase: "ended", ctx, outcome, offset, reason },
    effects: [...effects, ...cleanup, emit(ctx, eventType, offset, reason)],
  };
}

function started(ctx: SessionContext, offset: number): SessionEffect {
  return emit(ctx, offset > 0 ? "resumed" : "started", offset);
}

function offsetOf(state: SessionState): number {
  return "offset" in state ? state.offset : state.ctx.startOffset;
}

/** The content we describe in session-accept: the agreed file and where data starts. */
function acceptContent(ctx: SessionContext, offset: number) {
  const file: FileDescription = { ...ctx.file, range: offset > 0 ? { offset } : {} };
  return {
    creator: ctx.contentCreator,
    name: ctx.contentName,
    senders: (ctx.sending === (ctx.role === "initiator") ? "initiator" : "responder") as "initiator" | "responder",
    description: makeDescription(file),
    transport: makeIbbTransport(ctx.transport),
  };
}

function onRemoteTerminate(state: SessionState, j: Jingle): Transition {
  const { ctx } = state;
  const condition = j.reason?.condition ?? "general-error";
  const text = j.reason?.text ? `${condition}: ${j.reason.text}` : condition;
  const offset = offsetOf(state);
  if (condition === "success") {
    // The File Receiver ends with <success/> only after it verified the whole file's hash. Its
    // terminate can overtake the acks of our last blocks (one read carries both), so while
    // streaming it still means "all received", not "ended early".
    if (ctx.sending && (state.phase === "confirming" || state.phase === "streaming" || offset >= size(ctx))) return end(ctx, "completed", size(ctx), "peer confirmed");
    if (!ctx.sending && state.phase === "verifying") return { state, effects: [] }; // our own check decides
    return end(ctx, "interrupted", offset, "peer ended the session before all bytes were transferred");
  }
  if (condition === "decline" || condition === "busy") return end(ctx, "declined", offset, text);
  if (condition === "cancel") return end(ctx, "cancelled", offset, text);
  if (CONNECTIVITY_REASONS.has(condition)) return end(ctx, "interrupted", offset, text);
  return end(ctx, "failed", offset, text);
}

function onSessionAccept(state: SessionState & { phase: "initiating" }, j: Jingle): Transition {
  const { ctx } = state;
  const content = j.contents.find((c) => c.name === ctx.contentName) ?? j.contents[0];
  if (!content?.transport) return { state, effects: [], error: badRequest("session-accept without a transport") };
  const transport = parseIbbTransport(content.transport);
  if (transport.blockSize > ctx.transport.blockSize) {
    // XEP-0261: the responder may lower the block size, never raise it.
    return { state, effects: [], error: notAcceptable(`block-size ${transport.blockSize} exceeds the offered ${ctx.transport.blockSize}`) };
  }
  let offset = ctx.startOffset;
  if (ctx.sending && content.description) {
    const accepted = parseDescription(content.description);
    const requested = accepted.range?.offset;
    if (requested !== undefined) {
      if (requested > size(ctx)) return { state, effects: [], error: badRequest(`range offset ${requested} is beyond the file size ${size(ctx)}`) };
      offset = requested; // XEP-0234: the File Sender SHOULD respect the provided range
    }
  }
  let file = ctx.file;
  if (!ctx.sending && content.description) {
    // pull: the responder tells us what it is about to send (size and hash)
    const described = parseDescription(content.description);
    file = { ...ctx.file, ...described, hashes: described.hashes.length ? described.hashes : ctx.file.hashes };
  }
  const next: SessionContext = { ...ctx, file, transport: { ...ctx.transport, blockSize: transport.blockSize }, startOffset: offset };
  return { state: { phase: "connecting", ctx: next }, effects: [{ type: "open-ibb" }] };
}

function onData(state: SessionState & { phase: "streaming" }, seq: number, data: Buffer): Transition {
  const { ctx } = state;
  if (ctx.sending) return { state, effects: [], error: unexpectedRequest("this side sends data, it does not receive it") };
  if (seq !== state.nextSeq) {
    // XEP-0047 §2.2: a packet out of sequence (or repeated) closes the bytestream.
    const t = end(ctx, "interrupted", state.offset, `IBB seq ${seq} out of order (expected ${state.nextSeq})`, [
      { type: "close-ibb" },
      terminate(ctx, "failed-transport", "IBB packet out of order"),
    ]);
    // XEP-0047 §2.2: a sequence number already used gets <unexpected-request/> "with a type of 'cancel'"
    return { ...t, error: new ProtocolError("cancel", "unexpected-request", `seq ${seq} out of order, expected ${state.nextSeq}`) };
  }
  if (data.length > ctx.transport.blockSize) {
    const t = end(ctx, "interrupted", state.offset, `IBB block of ${data.length} bytes exceeds block-size ${ctx.transport.blockSize}`, [
      { type: "close-ibb" },
      terminate(ctx, "failed-transport", "IBB block larger than negotiated"),
    ]);
    return { ...t, error: notAcceptable(`block of ${data.length} bytes exceeds block-size ${ctx.transport.blockSize}`) };
  }
  const offset = state.offset + data.length;
  if (offset > size(ctx)) {
    const t = end(ctx, "failed", state.offset, `peer sent more than the announced ${size(ctx)} bytes`, [
      { type: "close-ibb" },
      terminate(ctx, "media-error", "more data than the announced size"),
      { type: "discard-partial", reason: "more data than the announced size" },
    ]);
    return { ...t, error: notAcceptable("more data than the announced size") };
  }
  const effects: SessionEffect[] = data.length ? [{ type: "write", offset: state.offset, data }] : [];
  if (offset === size(ctx)) {
    return { state: { phase: "verifying", ctx, offset }, effects: [...effects, { type: "verify" }] };
  }
  return { state: { phase: "streaming", ctx, offset, nextSeq: nextSeq(seq) }, effects };
}

export function transition(state: SessionState, event: SessionEvent): Transition {
  try {
    return step(state, event);
  } catch (err) {
    // A payload the parsers refuse (a bad session-accept description or transport, a bad checksum)
    // is answered with its stanza error; the session stays where it was.
    if (err instanceof ProtocolError) return { state, effects: [], error: err };
    throw err;
  }
}

function step(state: SessionState, event: SessionEvent): Transition {
  const { ctx } = state;
  if (state.phase === "ended") {
    // XEP-0166: an unknown session is <item-not-found/> + <unknown-session/>, as the driver answers too
    if (event.type === "remote") return { state, effects: [], error: itemNotFound("session already ended", jingleError("unknown-session")) };
    // XEP-0047 §2.2: data for a bytestream we no longer have; the sender takes it as an
    // interruption (a continuation can pick up from what we kept)
    if (event.type === "ibb-data") return { state, effects: [], error: itemNotFound("bytestream closed") };
    return { state, effects: [] };
  }

  switch (event.type) {
    case "link-lost":
      return end(ctx, "interrupted", offsetOf(state), event.reason);
    case "going-offline":
      // XEP-0166 <gone/>: we leave; the peer takes it as an interruption (resumable), and a
      // receiver keeps its partial for the continuation
      return end(ctx, "interrupted", offsetOf(state), event.reason, [terminate(ctx, "gone", event.reason)]);
    case "cancel":
      return end(ctx, "cancelled", offsetOf(state), event.reason ?? "cancelled", [
        ...(state.phase === "streaming" ? [{ type: "close-ibb" } as SessionEffect] : []),
        terminate(ctx, "cancel", event.reason),
      ]);
    case "remote": {
      const j = event.jingle;
      if (j.action === "session-terminate") return onRemoteTerminate(state, j);
      if (j.action === "session-info") {
        // XEP-0234 §received: the File Receiver confirms the whole file.
        if (j.info?.name === "received" && ctx.sending) {
          // as with <success/>: <received/> may overtake the acks of our last blocks
          if (state.phase !== "confirming" && state.phase !== "streaming") return { state, effects: [], error: outOfOrder(`received in ${state.phase}`) };
          return end(ctx, "completed", size(ctx), "peer confirmed");
        }
        const info = j.info ? parseFileInfo(j.info) : undefined;
        if (info?.kind === "checksum" && !ctx.sending) return onChecksum(state, info.file.hashes);
        return { state, effects: [] }; // an empty session-info is a ping (XEP-0166 §6.8)
      }
      if (j.action === "session-accept") {
        if (state.phase !== "initiating") return { state, effects: [], error: outOfOrder(`session-accept in ${state.phase}`) };
        return onSessionAccept(state, j);
      }
      if (j.action === "session-initiate") return { state, effects: [], error: outOfOrder("session already initiated") };
      if (j.action === "transport-replace" || j.action === "transport-info") return onTransportChange(state, j);
      return { state, effects: [], error: featureNotImplementedFor(j.action) };
    }
    case "initiate-failed":
      if (state.phase !== "initiating") return { state, effects: [] };
      // <conflict/> (XEP-0166 tie-break): the peer's own session for this file won; ours is not
      // a failure of the transfer, which goes on in that session
      return end(ctx, UNREACHABLE_CONDITIONS.has(event.condition) || event.condition === "conflict" ? "interrupted" : "failed", ctx.startOffset, describe(event.condition, event.text));
    case "accept": {
      if (state.phase !== "pending") return { state, effects: [] };
      if (event.offset > size(ctx)) return end(ctx, "failed", 0, `range offset ${event.offset} beyond size`, [terminate(ctx, "failed-application", "bad range")]);
      const blockSize = negotiateBlockSize(ctx.transport.blockSize, ctx.maxBlockSize);
      const next: SessionContext = { ...ctx, startOffset: event.offset, transport: { ...ctx.transport, blockSize } };
      const accept = jingle(next, "session-accept", { contents: [acceptContent(next, event.offset)] });
      return { state: { phase: "connecting", ctx: next }, effects: acceptOverS5b(accept, next) };
    }
    case "decline":
      if (state.phase !== "pending") return { state, effects: [] };
      return end(ctx, "declined", 0, event.reason ?? "declined", [terminate(ctx, "decline", event.reason)]);
    case "ibb-opened": {
      if (state.phase !== "connecting") return { state, effects: [], error: unexpectedRequest(`IBB open in ${state.phase}`) };
      if (event.blockSize !== undefined && event.blockSize > ctx.transport.blockSize) {
        // XEP-0047 §2.1: a block size we will not accept is refused with resource-constraint
        return { state, effects: [], error: new ProtocolError("modify", "resource-constraint", `block-size ${event.blockSize} above the agreed ${ctx.transport.blockSize}`) };
      }
      const offset = ctx.startOffset;
      const effects: SessionEffect[] = [started(ctx, offset)];
      if (ctx.sending) effects.push({ type: "start-sending", offset });
      if (!ctx.sending && offset === size(ctx)) {
        return { state: { phase: "verifying", ctx, offset }, effects: [...effects, { type: "verify" }] };
      }
      return { state: { phase: "streaming", ctx, offset, nextSeq: 0 }, effects };
    }
    case "ibb-open-failed":
      return end(ctx, UNREACHABLE_CONDITIONS.has(event.condition) ? "interrupted" : "failed", ctx.startOffset, describe(event.condition, event.text), [
        terminate(ctx, "failed-transport", describe(event.condition, event.text)),
      ]);
    case "ibb-data":
      if (state.phase === "connecting" && ctx.role === "initiator" && !ctx.sending) {
        // A pull: we opened the bytestream and the File Sender starts as soon as it accepted the
        // open. Its first data can be parsed from the same read as its answer to our open, and so
        // reach us before that answer is processed: data on our stream proves the open succeeded.
        const opened = step(state, { type: "ibb-opened" });
        const data = step(opened.state, event);
        return { ...data, effects: [...opened.effects, ...data.effects] };
      }
      if (state.phase === "verifying") return { state, effects: [], error: notAcceptable("more data than the announced size") };
      if (state.phase !== "streaming") return { state, effects: [], error: unexpectedRequest(`IBB data in ${state.phase}`) };
      return onData(state, event.seq, event.data);
    case "ibb-closed":
      if (state.phase === "streaming") {
        if (ctx.sending) return end(ctx, "interrupted", state.offset, "peer closed the bytestream");
        return end(ctx, "interrupted", state.offset, "bytestream closed before all bytes arrived");
      }
      return { state, effects: [] };
    case "acked":
      // the sender's offset is what the receiver confirmed, so an interruption reports that byte
      if (state.phase !== "streaming" || !ctx.sending || event.offset <= state.offset) return { state, effects: [] };
      return { state: { ...state, offset: event.offset }, effects: [] };
    case "send-done":
      if (state.phase !== "streaming" || !ctx.sending) return { state, effects: [] };
      return { state: { phase: "confirming", ctx, offset: event.offset }, effects: [{ type: "close-ibb" }] };
    case "send-failed": {
      if (state.phase !== "streaming" || !ctx.sending) return { state, effects: [] };
      const reason = describe(event.condition, event.text);
      // item-not-found: the receiver no longer has the bytestream (it restarted, or ended the
      // session when its own connection dropped): interrupted, not a reason to give up
      if (UNREACHABLE_CONDITIONS.has(event.condition) || event.condition === "item-not-found") return end(ctx, "interrupted", event.offset, reason);
      return end(ctx, "failed", event.offset, reason, [terminate(ctx, "failed-transport", reason)]);
    }
    case "verified": {
      if (state.phase !== "verifying") return { state, effects: [] };
      if (!event.ok) {
        return end(ctx, "failed", state.offset, event.detail, [
          terminate(ctx, "media-error", event.detail),
          { type: "discard-partial", reason: event.detail },
        ]);
      }
      const received: SessionEffect = jingle(ctx, "session-info", { info: receivedElement(ctx) });
      const t = end(ctx, "completed", state.offset, event.detail, [received, terminate(ctx, "success")]);
      if (event.unverifiedSha256 === undefined) return t;
      // all bytes came, nothing could check them: said so, with the hash of what arrived
      const said = (e: SessionEffect): SessionEffect => (e.type === "emit" ? { ...e, event: { ...e.event, sha256: event.unverifiedSha256, unverified: true } } : e);
      return { ...t, effects: t.effects.map(said) };
    }
  }
}

/**
 * XEP-0234 §checksum: it may complete the offer's hashes, never change them (xep0234/checksum.ts).
 * A contradicting one is refused (not-acceptable) and, once accepted, fails the session. Pending
 * or verifying, the offer's hash stands and the final check decides (ending the session there
 * would race with the user's accept or with that check).
 */
function onChecksum(state: SessionState, announced: Hash[]): Transition {
  const { ctx } = state;
  const outcome = applyChecksum(ctx.file.hashes, announced);
  if ("hashes" in outcome) return { state: { ...state, ctx: { ...ctx, file: { ...ctx.file, hashes: outcome.hashes } } } as SessionState, effects: [] };
  const refusal = new ProtocolError("modify", "not-acceptable", outcome.mismatch);
  if (state.phase !== "connecting" && state.phase !== "streaming") return { state, effects: [], error: refusal };
  const t = end(ctx, "failed", offsetOf(state), outcome.mismatch, [
    ...(state.phase === "streaming" ? [{ type: "close-ibb" } as SessionEffect] : []),
    terminate(ctx, "media-error", outcome.mismatch),
    { type: "discard-partial", reason: outcome.mismatch },
  ]);
  return { ...t, error: refusal };
}

function receivedElement(ctx: SessionContext) {
  return makeReceived(ctx.contentCreator, ctx.contentName);
}

function featureNotImplementedFor(action: string) {
  return featureNotImplemented(`${action} is not supported in a file-transfer session`);
}

function describe(condition: string, text?: string): string {
  return text ? `${condition}: ${text}` : condition;
}
