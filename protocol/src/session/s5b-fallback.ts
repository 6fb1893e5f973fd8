// A file offered over SOCKS5, received over IBB (xep0260/fallback.ts): the session's steps from
// our session-accept to the initiator's transport-replace. Pure, like transition.ts, which calls
// these; the wait for the replace is bounded by the driver's stall timeout ("connecting").
import { featureNotImplemented, unexpectedRequest } from "../errors/stanza-error.js";
import { jingleError, type Jingle } from "../xep0166/jingle.js";
import { makeCandidateError, makeS5bAccept } from "../xep0260/fallback.js";
import { makeIbbTransport, negotiateBlockSize, parseIbbTransport } from "../xep0261/transport.js";
import type { SessionContext, SessionEffect, SessionState, Transition } from "./types.js";

/** Our session-accept names the SOCKS5 transport with no candidates, then says none works. */
export function acceptOverS5b(accept: SessionEffect, ctx: SessionContext): SessionEffect[] {
  const fallback = ctx.s5bFallback;
  if (!fallback || accept.type !== "send-jingle") return [accept];
  const [content] = accept.jingle.contents;
  const s5bAccept: SessionEffect = { ...accept, jingle: { ...accept.jingle, contents: [{ ...content, transport: makeS5bAccept(fallback) }] } };
  const candidateError: SessionEffect = {
    type: "send-jingle",
    jingle: { action: "transport-info", sid: ctx.sid, contents: [{ creator: content.creator, name: content.name, senders: content.senders, transport: makeCandidateError(fallback) }] },
  };
  return [s5bAccept, candidateError];
}

/**
 * transport-info (the initiator's own candidate-error or candidate-used: acknowledged, nothing
 * to do) and transport-replace (XEP-0260 §3: IBB instead; we take it with transport-accept and
 * route the new IBB sid here). Anything else, or outside this fallback, is refused.
 */
export function onTransportChange(state: SessionState, j: Jingle): Transition {
  const { ctx } = state;
  if (!ctx.s5bFallback || ctx.sending) return { state, effects: [], error: featureNotImplemented(`${j.action} is not supported in a file-transfer session`) };
  if (state.phase !== "connecting") return { state, effects: [], error: unexpectedRequest(`${j.action} in ${state.phase}`, jingleError("out-of-order")) };
  if (j.action === "transport-info") return { state, effects: [] };
  const content = j.contents.find((c) => c.name === ctx.contentName) ?? j.contents[0];
  const offered = parseIbbTransport(content?.transport ?? makeCandidateError(ctx.s5bFallback)); // not IBB: bad-request
  const next: SessionContext = { ...ctx, s5bFallback: undefined, transport: { ...offered, blockSize: negotiateBlockSize(offered.blockSize, ctx.maxBlockSize) } };
  const accept: Jingle = {
    action: "transport-accept", sid: ctx.sid,
    contents: [{ creator: ctx.contentCreator, name: ctx.contentName, senders: content!.senders, transport: makeIbbTransport(next.transport) }],
  };
  return { state: { phase: "connecting", ctx: next }, effects: [{ type: "rebind-ibb", previousSid: ctx.transport.sid }, { type: "send-jingle", jingle: accept }] };
}
