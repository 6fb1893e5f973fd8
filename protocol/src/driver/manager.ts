// The thin driver around the pure session machine: routes Jingle and IBB stanzas to sessions,
// processes each session's events one at a time and in order, and carries out the effects
// (stanzas, disk, events). Used unchanged by the client plugin and by the component.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { badRequest, conflict, featureNotImplemented, itemNotFound, ProtocolError, unexpectedRequest } from "../errors/stanza-error.js";
import { jingleError, makeJingle, NS_JINGLE, parseJingle, type Jingle } from "../xep0166/jingle.js";
import { makeDescription, NS_JINGLE_FT, NS_JINGLE_FT_ERRORS, parseDescription, type FileDescription } from "../xep0234/file.js";
import { MAX_BLOCK_SIZE, makeClose, makeData, makeOpen, NS_IBB, parseIbb } from "../xep0047/ibb.js";
import { makeIbbTransport } from "../xep0261/transport.js";
import { offeredTransport } from "../xep0260/fallback.js";
import { HASH_ALGO, sha256Of } from "../xep0300/hash.js";
import { transition } from "../session/transition.js";
import type { SessionContext, SessionEffect, SessionEvent, SessionState, TransferEvent } from "../session/types.js";
import { refuseReservedFileName } from "./offered-name.js";
import { bare } from "../xml/jid.js";
import { describeLocalFile, findPartial, newPartial, PartialFile, readBlocks, type LocalFile } from "./files.js";
import { findReceived, ReceivedFile, recordReceived } from "./received.js";
import { InputThrottle } from "./input-throttle.js";
import type { ReceiveSink } from "./sink.js";
import { checkpointFor, makeCheckpoints, makeContinues, parseCheckpoints, parseContinues } from "../ftrecovery/elements.js";
import { IqError, type XmppPort } from "./port.js";
import { pump } from "./pump.js";
import { ADMISSION_DEFAULTS, declineUnanswered, limitsOf, refuseOverCaps, type AdmissionOptions } from "./admission.js";
import { descriptionOf, HOSTED_DEFAULTS, HostedFiles, type HostedOptions } from "./hosted.js";

export interface FileTransferOptions extends AdmissionOptions, HostedOptions {
  /** largest IBB block we send or accept; <= 32767 so both XEP-0047's and XEP-0261's schemas accept it */
  blockSize?: number;
  /** IBB data stanzas in flight at once */
  window?: number;
  /** send data in iq (acknowledged, default) or message stanzas */
  stanza?: "iq" | "message";
  /** seconds to wait for any IQ answer */
  requestTimeout?: number;
  /** ms between two progress events of one transfer */
  progressInterval?: number;
  /** seconds without a byte of progress after which a running transfer counts as interrupted
   *  (a half-open TCP connection, a peer that vanished); 0: never */
  stallTimeout?: number;
  /** seconds a file offered without a sha-256 waits, once all its bytes came, for the sender's
   *  <checksum/> (Gajim sends it after the accept); then it is kept, said to be unverified */
  checksumWait?: number;
  /**
   * true: a dropped connection does not interrupt transfers at once, because the entity will
   * try to resume its stream (XEP-0198): a resumed stream carries the IBB stream on untouched;
   * a new session (not resumed) interrupts them. Only for entities that do reconnect.
   */
  keepOnDisconnect?: boolean;
  /** send the peer a directed presence when a session starts, so that its server tells us when
   *  it goes offline (RFC 6121 §4.6): a receiver waiting for data learns at once that the sender
   *  is gone, instead of after stallTimeout; default true */
  directedPresence?: boolean;
  /**
   * Asked before a file offer's session-initiate is answered. Throwing (or rejecting with) a
   * ProtocolError refuses the offer with that stanza error in the IQ reply (XEP-0166 §6.3.2,
   * RFC 6120 §8.3): the sender learns condition and text at once, before any session exists,
   * which a session-terminate <decline/> cannot say as precisely (a full store, a bad recipient).
   * Resolving lets the offer through to the 'offer' event. Default: every offer goes through.
   */
  screenOffer?: (offer: IncomingOffer) => Promise<void> | void;
  /** received IBB bytes not yet written to their sinks, over all sessions, past which we stop
   *  reading the connection until they are under a quarter of it (input-throttle.ts); needs a
   *  port that can pause its input. Default 512 KiB: one default window (16 x 32766 bytes) fits, so a transfer alone never waits */
  maxPendingInput?: number;
}

export const DEFAULTS = {
  blockSize: 32766, window: 16, stanza: "iq" as const, requestTimeout: 60, progressInterval: 250, stallTimeout: 30, checksumWait: 10, keepOnDisconnect: false, directedPresence: true,
  maxPendingInput: 512 * 1024, ...ADMISSION_DEFAULTS, ...HOSTED_DEFAULTS,
  screenOffer: (() => undefined) as (offer: IncomingOffer) => Promise<void> | void,
};

/** An incoming offer waiting for a decision (XEP-0234 §offering: the responder accepts or declines). */
export interface IncomingOffer {
  sid: string;
  from: string;
  file: FileDescription;
  /** the session this offer says it continues (xep-draft: <continues/>), if any */
  continues?: string;
  /** bytes of this file from this peer that dir already holds (0: none) */
  heldIn(dir: string, opts?: AcceptOptions): Promise<number>;
  /** takes the file into dir, continuing a partial download of the same file if dir holds one */
  accept(dir: string, opts?: AcceptOptions): Promise<Transfer>;
  /** takes the file into another kind of storage (the component's store) */
  acceptInto(sink: ReceiveSink): Promise<Transfer>;
  decline(reason?: string): void;
}

/** A partial copy that failed its checkpoint: the transfer restarts at 0 (xep-draft: checkpoints). */
export interface PartialRejected {
  sid: string;
  peer: string;
  held: number;
  reason: string;
}

export interface Transfer {
  sid: string;
  peer: string;
  /** settles with the final event: completed, failed, interrupted, declined */
  done: Promise<TransferEvent & { path?: string }>;
  cancel(reason?: string): void;
}

interface Session {
  state: SessionState;
  queue: Promise<unknown>;
  partial?: ReceiveSink;
  /** the sid of the session this one continues (ours or the peer's) */
  continues?: string;
  /** Date.now() of the last progress: bytes, an ack, a state change */
  lastActivity: number;
  local?: LocalFile;
  abort?: AbortController;
  lastProgress: number;
  savedAs?: string;
  settle: (e: TransferEvent & { path?: string }) => void;
  done: Promise<TransferEvent & { path?: string }>;
}

export type FileTransferEvents = {
  offer: [IncomingOffer];
  "transfer-started": [TransferEvent];
  "transfer-resumed": [TransferEvent];
  "transfer-progress": [TransferEvent];
  "transfer-interrupted": [TransferEvent];
  "transfer-completed": [TransferEvent & { path?: string }];
  "transfer-failed": [TransferEvent];
  "transfer-declined": [TransferEvent];
  "partial-rejected": [PartialRejected];
  /** a session-initiate refused in its IQ reply (bad offer, caps, reserved name, the screen) */
  "offer-refused": [{ sid: string; peer: string; name?: string; condition: string; reason: string }];
  error: [unknown];
};

/** XEP-0166 has no app error for this; reason-style condition in the Jingle errors namespace is the nearest. */
const NS_JINGLE_ERRORS_APPS = "urn:xmpp:jingle:errors:1";

const newSid = () => randomBytes(9).toString("base64url");

export class FileTransfer extends EventEmitter<FileTransferEvents> {
  private readonly sessions = new Map<string, Session>();
  /** session-terminates on their way: goOffline waits for them before the stream closes */
  private readonly lastWords = new Set<Promise<unknown>>();
  private readonly byIbbSid = new Map<string, string>();
  /** files we offered, by peer bare JID and sha-256: what a peer may pull (XEP-0234 §requesting) */
  private readonly hosted: HostedFiles;
  readonly options: Required<FileTransferOptions>;
  private watchdog?: NodeJS.Timeout;
  /** file bytes handed to the link and written to sinks, over all sessions: what was sent or
   *  received more than once is these minus the file sizes; sentTo splits bytesSent by the
   *  peer's bare JID (a sender whose file went to a peer and then to the store tells them apart) */
  readonly stats = { bytesSent: 0, bytesReceived: 0, sentTo: new Map<string, number>() };
  private readonly input?: InputThrottle;

  constructor(private readonly port: XmppPort, options: FileTransferOptions = {}) {
    super();
    // an option given as undefined (e.g. an absent CLI flag) keeps its default
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...DEFAULTS, ...given };
    this.options.blockSize = Math.min(this.options.blockSize, MAX_BLOCK_SIZE);
    limitsOf(this.options); // bad caps are refused now, not at the first offer
    this.hosted = new HostedFiles(this.options);
    if (port.pauseInput && port.resumeInput) {
      this.input = new InputThrottle({ pause: () => port.pauseInput!(), resume: () => port.resumeInput!() }, this.options.maxPendingInput);
    }
    port.onIqSet(NS_JINGLE, "jingle", (iq, el) => this.onJingle(iq, el));
    for (const name of ["open", "data", "close"]) port.onIqSet(NS_IBB, name, (iq, el) => this.onIbb(String(iq.attrs.from), el));
    port.onMessage((m) => this.onIbbMessage(m));
    port.onDisconnect?.((reason) => {
      if (!this.options.keepOnDisconnect) this.connectionLost(reason);
    });
    port.onPresence?.((p) => {
      if (p.attrs.type === "unavailable") this.peerGone(String(p.attrs.from ?? ""));
    });
    // a new session, not a resumed stream: whatever was in flight on the old one is gone
    port.onOnline?.((resumed) => {
      if (!resumed) this.connectionLost("connection lost: the stream was not resumed");
    });
    if (this.options.stallTimeout > 0) {
      this.watchdog = setInterval(() => this.checkStalled(), Math.max(250, (this.options.stallTimeout * 1000) / 4));
      this.watchdog.unref();
    }
  }

  /** stops the stall watchdog; sessions are left as they are */
  close(): void {
    clearInterval(this.watchdog);
  }

  // ---- public API -------------------------------------------------------------------------

  /** Offers a file (push). XEP-0234 §offering, with <range/> to announce ranged transfers. */
  async send(to: string, path: string, opts: SendOptions = {}): Promise<Transfer> {
    // XML 1.0 cannot carry most control characters at all: a name with one would get our
    // stream closed by the server (not-well-formed), so they never leave this process
    const name = opts.name?.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "");
    const local = opts.local ?? (await describeLocalFile(path, name));
    this.hosted.offered(bare(to), local);
    const file: FileDescription = {
      name: local.name, size: local.size, date: local.date, mediaType: opts.mediaType ?? "application/octet-stream",
      hashes: [{ algo: HASH_ALGO, value: local.sha256 }], range: {},
      extensions: [
        ...(opts.continues ? [makeContinues(opts.continues)] : []),
        ...(local.checkpoints.length ? [makeCheckpoints(local.checkpoints)] : []),
        ...(opts.extensions ?? []),
      ],
    };
    const ctx = this.newContext({ peer: to, role: "initiator", sending: true, file, contentName: "file-offer" });
    const session = this.addSession(ctx, { phase: "initiating", ctx });
    session.local = local;
    session.continues = opts.continues;
    await this.initiate(session, "initiator");
    return this.handle(session);
  }

  /** Pulls a file the peer offered earlier, from the bytes we already hold (XEP-0234 §requesting + §range). */
  async request(from: string, want: { sha256: string; size: number; name?: string; continues?: string }, dir: string): Promise<Transfer> {
    const held = await this.takePartial(undefined, dir, { sha256: want.sha256, size: want.size, peerBare: [bare(from)] }, "a pull of the same file");
    const partial =
      (held instanceof PartialFile ? held : undefined) ??
      (await newPartial(dir, { sid: "", peer: from, name: want.name ?? "file", size: want.size, sha256: want.sha256 }));
    const offset = await partial.offset();
    const file: FileDescription = {
      name: want.name, size: want.size, hashes: [{ algo: HASH_ALGO, value: want.sha256 }], range: offset > 0 ? { offset } : {},
      extensions: want.continues ? [makeContinues(want.continues)] : [],
    };
    const ctx = this.newContext({ peer: from, role: "initiator", sending: false, file, contentName: "file-request" });
    ctx.startOffset = offset;
    const session = this.addSession(ctx, { phase: "initiating", ctx });
    session.partial = partial;
    session.continues = want.continues;
    partial.record.sid = ctx.sid;
    await partial.prepare(offset);
    await this.initiate(session, "responder");
    return this.handle(session);
  }

  /** The handle of a running session (e.g. a pull the peer started), by peer full JID and sid. */
  transferOf(peer: string, sid: string): Transfer | undefined {
    const s = this.sessions.get(`${peer}|${sid}`);
    return s && s.state.phase !== "ended" ? this.handle(s) : undefined;
  }

  /** Sessions moving no bytes for stallTimeout: a half-open connection or a vanished peer. */
  private checkStalled(): void {
    const limit = this.options.stallTimeout * 1000;
    const now = Date.now();
    for (const s of this.sessions.values()) {
      const { phase } = s.state;
      if (phase !== "connecting" && phase !== "streaming" && phase !== "confirming") continue;
      if (now - s.lastActivity > limit) void this.dispatch(s, { type: "link-lost", reason: `stalled: no progress for ${this.options.stallTimeout} s` });
    }
  }

  /** The peer's device went offline (its unavailable presence): its sessions are interrupted. */
  private peerGone(peer: string): void {
    for (const s of this.sessions.values()) {
      if (s.state.phase !== "ended" && s.state.ctx.peer === peer) void this.dispatch(s, { type: "link-lost", reason: "peer went offline" });
    }
  }

  /**
   * This process is going offline (a signal): every running session ends with XEP-0166 <gone/>
   * sent to its peer, as an interruption (a receiver keeps its partial). Resolves once the peers
   * answered those terminates, or after timeoutMs: the caller closes the stream next.
   */
  async goOffline(reason: string, timeoutMs = 2000): Promise<void> {
    const live = [...this.sessions.values()].filter((s) => s.state.phase !== "ended");
    await Promise.all(live.map((s) => this.dispatch(s, { type: "going-offline", reason }).catch(() => undefined)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((done) => (timer = setTimeout(done, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.lastWords]), late]);
    clearTimeout(timer);
  }

  /** The connection is gone: every running session is interrupted (resumable). */
  connectionLost(reason = "connection lost"): void {
    for (const s of this.sessions.values()) if (s.state.phase !== "ended") void this.dispatch(s, { type: "link-lost", reason });
  }

  // ---- incoming stanzas ---------------------------------------------------------------------

  private async onJingle(iq: Element, el: Element): Promise<void> {
    const from = String(iq.attrs.from ?? "");
    const j = parseJingle(el);
    const key = `${from}|${j.sid}`;
    const existing = this.sessions.get(key);
    if (j.action === "session-initiate") {
      if (existing) {
        // XEP-0166 §6.3.2: a session-initiate that collides with a session we hold -> <tie-break/>
        throw conflict("session id already in use", jingleError("tie-break"));
      }
      // refused in the IQ reply, before any session: the application hears of it too
      return this.onInitiate(from, j).catch((err) => {
        const file = j.contents[0]?.description?.getChild("file");
        this.emit("offer-refused", {
          sid: j.sid, peer: from, name: file?.getChildText("name") ?? undefined,
          condition: err instanceof ProtocolError ? err.condition : "internal-server-error", reason: String(err?.message ?? err),
        });
        throw err;
      });
    }
    if (!existing || existing.state.phase === "ended") {
      if (j.action === "session-terminate" && existing) return; // duplicate terminate: harmless
      throw itemNotFound(`no session ${j.sid}`, jingleError("unknown-session"));
    }
    const t = await this.dispatch(existing, { type: "remote", jingle: j });
    if (t.error) throw t.error;
  }

  private async onInitiate(from: string, j: Jingle): Promise<void> {
    const content = j.contents[0];
    if (!content || !content.description || !content.transport) throw badRequest("session-initiate needs a content with description and transport");
    if (!content.description.is("description", NS_JINGLE_FT)) {
      throw featureNotImplemented("only file transfer (XEP-0234) is supported", { name: "unsupported-applications", xmlns: NS_JINGLE_ERRORS_APPS });
    }
    const weSend = content.senders === "responder";
    const placeholder = { sid: newSid(), blockSize: this.options.blockSize, stanza: this.options.stanza };
    const { transport, s5bFallback } = offeredTransport(content.transport, weSend, placeholder); // SOCKS5: left for IBB
    const file = parseDescription(content.description);
    const continues = parseContinues(file);
    const sha = sha256Of(file.hashes);
    if (continues) await this.supersede(from, continues, weSend, sha, j.sid);
    const ctx: SessionContext = {
      sid: j.sid, peer: from, role: "responder", sending: weSend, contentName: content.name, contentCreator: content.creator,
      file, transport, s5bFallback, startOffset: 0, maxBlockSize: this.options.blockSize,
    };
    if (weSend) {
      // a pull: serve only a file we offered to this peer before (never any file on disk)
      const sha = sha256Of(file.hashes);
      const local = sha ? this.hosted.find(bare(from), sha) : undefined;
      const session = this.addSession(ctx, { phase: "pending", ctx });
      session.continues = continues;
      if (!local) {
        setImmediate(() => void this.sendJingle(session, {
          action: "session-terminate", sid: j.sid, contents: [],
          reason: { condition: "failed-application", extra: xml("file-not-available", { xmlns: NS_JINGLE_FT_ERRORS }) },
        }).finally(() => void this.dispatch(session, { type: "link-lost", reason: "requested file not available" })));
        return;
      }
      session.local = local;
      const offset = file.range?.offset ?? 0;
      if (offset > local.size) throw badRequest(`range offset ${offset} is beyond the file size ${local.size}`);
      session.state = { phase: "pending", ctx: { ...ctx, file: { ...descriptionOf(local), range: {} } } };
      setImmediate(() => void this.dispatch(session, { type: "accept", offset }));
      return;
    }
    // an offer: without a sha-256 (none, <hash-used/>, another algorithm) the sender may still
    // send it in a <checksum/> (XEP-0234 §checksum); verify() waits for it a bounded time
    if (file.size === undefined) throw badRequest("file offer without <size/>");
    if (!file.name) file.name = "unnamed";
    refuseReservedFileName(file.name); // named like our part files: not-acceptable, nothing accepted
    parseCheckpoints(file); // refuses bad ones now, before anything is accepted
    refuseOverCaps(this.sessions.values(), bare(from), this.options); // no await from here to addSession: counted at once
    const session = this.addSession(ctx, { phase: "pending", ctx });
    session.continues = continues;
    const offer: IncomingOffer = {
      sid: j.sid, from, file, continues,
      heldIn: async (dir, opts) => {
        const match = { sha256: sha ?? "", size: file.size ?? 0, peerBare: peersOf(from, opts) };
        // only a look: a session of ours that still writes it keeps it until the offer is accepted
        const found = sha ? (await findPartial(dir, match, { includeInUse: true })) ?? (await findReceived(dir, match)) : undefined;
        return found && canResume(file) ? found.offset() : 0;
      },
      accept: (dir, opts) => this.acceptOffer(session, dir, opts),
      acceptInto: (sink) => this.acceptInto(session, sink),
      decline: (reason) => void this.dispatch(session, { type: "decline", reason }),
    };
    try {
      await this.options.screenOffer(offer);
    } catch (err) {
      this.drop(session); // refused in the IQ reply: no session ever existed for the sender
      throw err;
    }
    declineUnanswered(this.options.offerTimeout, () => session.state.phase === "pending", (reason) => void this.dispatch(session, { type: "decline", reason }));
    setImmediate(() => {
      if (this.listenerCount("offer") === 0) void this.dispatch(session, { type: "decline", reason: "not accepting files" });
      else this.emit("offer", offer);
    });
  }

  private async acceptOffer(session: Session, dir: string, opts?: AcceptOptions): Promise<Transfer> {
    let sink: ReceiveSink;
    try {
      sink = await this.partialFor(session, dir, opts);
    } catch (err: any) {
      // the offer cannot be taken (unwritable dir, bad name): say so to the sender, lose nothing
      await this.dispatch(session, { type: "decline", reason: `cannot store the file: ${err?.message ?? err}` });
      throw err;
    }
    return this.acceptInto(session, sink);
  }

  /** Accepts at the bytes the sink holds, once they passed the offer's checkpoint (if it has any). */
  private async acceptInto(session: Session, sink: ReceiveSink): Promise<Transfer> {
    let offset: number;
    try {
      offset = canResume(session.state.ctx.file) ? await this.checkedOffset(session, sink) : 0;
      await sink.prepare(offset);
    } catch (err: any) {
      await this.dispatch(session, { type: "decline", reason: `cannot store the file: ${err?.message ?? err}` });
      throw err;
    }
    session.partial = sink;
    const t = await this.dispatch(session, { type: "accept", offset });
    if (t.state.phase === "ended") await sink.close().catch(() => undefined); // ended meanwhile (e.g. the offer timed out): no part left open
    return this.handle(session);
  }

  /**
   * xep-draft §checkpoints: before resuming, the receiver checks the longest prefix it can
   * against the sender's checkpoints; held bytes that fail (or cannot be checked) are dropped
   * and the transfer starts at 0. An offer without checkpoints (another client) is trusted as
   * XEP-0234 does; the whole-file sha-256 still guards the result.
   */
  private async checkedOffset(session: Session, sink: ReceiveSink): Promise<number> {
    const held = await sink.offset();
    const { ctx } = session.state;
    const points = parseCheckpoints(ctx.file);
    if (held === 0 || points.length === 0) return held;
    const point = checkpointFor(points, held);
    const full = held === ctx.file.size ? { length: held, sha256: sha256Of(ctx.file.hashes) ?? "" } : undefined;
    const check = full ?? point;
    let reason: string | undefined;
    if (!check) reason = `the ${held} bytes held are fewer than the first checkpoint`;
    else if ((await sink.prefixSha256(check.length)) !== check.sha256) reason = `the first ${check.length} bytes held do not match the sender's checkpoint`;
    if (!reason) return held;
    this.emit("partial-rejected", { sid: ctx.sid, peer: ctx.peer, held, reason: `${reason}; starting again at 0` });
    return 0;
  }

  /**
   * An initiate that continues session `sid` (xep-draft §continuation): the old session from the
   * same bare JID is over, whatever it still believes. And when both sides start a continuation
   * of the same file at once, the File Sender's wins (xep-draft §tie-break): the sender refuses
   * the receiver's pull with <tie-break/>, the receiver ends its pending pull with
   * <alternative-session/>.
   */
  private async supersede(from: string, sid: string, weSend: boolean, sha: string | undefined, newSid: string): Promise<void> {
    const peer = bare(from);
    for (const s of this.sessions.values()) {
      const { ctx } = s.state;
      if (s.state.phase === "ended" || bare(ctx.peer) !== peer) continue;
      const sameFile = sha !== undefined && sha256Of(ctx.file.hashes) === sha;
      if (weSend && sameFile && s.state.phase === "initiating" && ctx.sending && s.continues) {
        throw conflict("a continuation of this file is already offered", jingleError("tie-break"));
      }
      if (!weSend && sameFile && s.state.phase === "initiating" && !ctx.sending && s.continues) {
        void this.sendJingle(s, { action: "session-terminate", sid: ctx.sid, contents: [], reason: { condition: "alternative-session", sid: newSid } }).catch(() => undefined);
        await this.dispatch(s, { type: "link-lost", reason: `superseded by the peer's continuation ${newSid}` });
        continue;
      }
      if (ctx.sid === sid || s.continues === sid) {
        await this.dispatch(s, { type: "link-lost", reason: `superseded by the continuation ${newSid}` });
      }
    }
  }

  private async partialFor(session: Session, dir: string, opts?: AcceptOptions): Promise<PartialFile | ReceivedFile> {
    const { ctx } = session.state;
    const sha = sha256Of(ctx.file.hashes) ?? "";
    const size = ctx.file.size ?? 0;
    const match = { sha256: sha, size, peerBare: peersOf(ctx.peer, opts) };
    const fresh = () => newPartial(dir, { sid: ctx.sid, peer: ctx.peer, name: ctx.file.name ?? "unnamed", size, sha256: sha });
    if (sha && !canResume(ctx.file)) {
      // the part we hold stays for a peer that can continue it; this copy comes from 0 into a
      // part of its own, so bytes are never mixed (issue 13 item 8)
      const held = (await findPartial(dir, match, { includeInUse: true })) ?? (await findReceived(dir, match));
      if (held) this.emit("partial-rejected", { sid: ctx.sid, peer: ctx.peer, held: await held.offset(), reason: RESTART_FROM_0 });
      return fresh();
    }
    const found = sha ? await this.takePartial(session, dir, match, `the offer ${ctx.sid} of the same file`) : undefined;
    if (found instanceof ReceivedFile) return found; // we have it all: answered at its end
    const partial = found ?? (await fresh());
    partial.record.sid = ctx.sid;
    partial.record.peer = ctx.peer;
    return partial;
  }


  /**
   * The partial (or received copy) of this file from these senders, for `session` alone. A part
   * that another session of ours still writes is taken over: its sender (the same bare JID, or the
   * store carrying that sender's file) offers the file anew, so that session's link is gone even
   * if nothing told us yet (a killed store, a cut without XEP-0198). That session ends as an
   * interruption, its part closed, before this one opens it; a stranger never matches (the record's
   * sender must be one of `match.peerBare`). Undefined when the part cannot be had in time.
   */
  private async takePartial(session: Session | undefined, dir: string, match: { sha256: string; size: number; peerBare: string[] }, by: string): Promise<PartialFile | ReceivedFile | undefined> {
    const found = await findPartial(dir, match, { includeInUse: true });
    if (!found) return findReceived(dir, match);
    const holders = [...this.sessions.values()].filter((s) => s !== session && s.state.phase !== "ended" && (s.partial as PartialFile | undefined)?.partPath === found.partPath);
    for (const holder of holders) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((done) => (timer = setTimeout(() => done(false), this.timeoutMs())));
      const ended = this.dispatch(holder, { type: "link-lost", reason: `superseded by ${by}` }).then(() => true, () => true);
      const inTime = await Promise.race([ended, late]);
      clearTimeout(timer);
      if (!inTime) return undefined;
    }
    return found.inUse ? undefined : found;
  }

  private async onIbb(from: string, el: Element): Promise<void> {
    const sid = String(el.attrs.sid ?? "");
    const key = this.byIbbSid.get(`${from}|${sid}`);
    const session = key ? this.sessions.get(key) : undefined;
    if (!session) throw itemNotFound(`no bytestream ${sid}`); // XEP-0047 §2.2: unknown sid
    const payload = parseIbb(el, session.state.ctx.transport.blockSize);
    // The block's base64 text (43 KiB) is most of the heap while blocks wait to be written, and
    // the IQ that carries it stays referenced until its result is sent: drop the decoded text so
    // it dies young instead of being copied by every scavenge and promoted.
    if (payload.kind === "data") el.children.length = 0;
    const event: SessionEvent =
      payload.kind === "open" ? { type: "ibb-opened", blockSize: payload.blockSize }
      : payload.kind === "data" ? { type: "ibb-data", seq: payload.seq, data: payload.data }
      : { type: "ibb-closed" };
    if (payload.kind === "open" && session.state.ctx.role === "initiator") throw unexpectedRequest("the Jingle initiator opens the bytestream");
    const held = payload.kind === "data" ? payload.data.length : 0;
    this.input?.took(held);
    try {
      const t = await this.dispatch(session, event);
      if (t.error) throw t.error;
    } finally {
      this.input?.released(held);
    }
  }

  /** XEP-0047 §3: data in message stanzas, when the sender asked for stanza='message'. */
  private onIbbMessage(m: Element): void {
    const data = m.getChild("data", NS_IBB);
    if (!data) return;
    this.onIbb(String(m.attrs.from ?? ""), data).catch((err) => {
      // no IQ to answer: an error here closes the stream (§3)
      const key = this.byIbbSid.get(`${m.attrs.from}|${data.attrs.sid}`);
      const s = key ? this.sessions.get(key) : undefined;
      if (s) void this.dispatch(s, { type: "link-lost", reason: `bad IBB message: ${err?.message ?? err}` });
    });
  }

  // ---- the session loop -----------------------------------------------------------------

  private newContext(p: Pick<SessionContext, "peer" | "role" | "sending" | "file" | "contentName">): SessionContext {
    return {
      ...p, sid: newSid(), contentCreator: "initiator", startOffset: 0, maxBlockSize: this.options.blockSize,
      transport: { sid: newSid(), blockSize: this.options.blockSize, stanza: this.options.stanza },
    };
  }

  private addSession(ctx: SessionContext, state: SessionState): Session {
    let settle!: Session["settle"];
    const done = new Promise<TransferEvent & { path?: string }>((r) => (settle = r));
    const session: Session = { state, queue: Promise.resolve(), lastProgress: 0, lastActivity: Date.now(), settle, done };
    this.sessions.set(`${ctx.peer}|${ctx.sid}`, session);
    this.byIbbSid.set(`${ctx.peer}|${ctx.transport.sid}`, `${ctx.peer}|${ctx.sid}`);
    return session;
  }

  private handle(session: Session): Transfer {
    const { sid, peer } = session.state.ctx;
    return { sid, peer, done: session.done, cancel: (reason) => void this.dispatch(session, { type: "cancel", reason }) };
  }

  private async initiate(session: Session, senders: "initiator" | "responder"): Promise<void> {
    const { ctx } = session.state;
    const jingle: Jingle = {
      action: "session-initiate", sid: ctx.sid, initiator: this.port.jid(),
      contents: [{
        creator: "initiator", name: ctx.contentName, senders,
        description: makeDescription(ctx.file), transport: makeIbbTransport(ctx.transport),
      }],
    };
    this.sendJingle(session, jingle).catch((err: IqError) =>
      this.dispatch(session, { type: "initiate-failed", condition: err.condition, text: err.text }),
    );
  }

  /** Runs one event through the machine, then its effects, strictly after the previous event's. */
  private dispatch(session: Session, event: SessionEvent) {
    const run = session.queue.then(async () => {
      session.lastActivity = Date.now();
      const t = transition(session.state, event);
      session.state = t.state;
      for (const effect of t.effects) await this.perform(session, effect);
      if (session.state.phase === "ended") this.release(session);
      return t;
    });
    // the queue keeps no result: it would hold the last transition's effects
    session.queue = run.then(() => undefined, (err) => this.failInternally(session, err));
    return run;
  }

  /**
   * An ended session stays a while (forget()) to recognise duplicate stanzas, for which its ids
   * are enough: what it held for the transfer goes now. The offer's extension elements alone (a
   * 1 MiB file's 15 checkpoints, a <range/> and a <hash/> each) made 100 uploads that ended together
   * hold ~4 MiB of the component's heap for 30 s (heap snapshot after 300 uploads).
   */
  private release(session: Session): void {
    const { ctx } = session.state;
    if (ctx.file.extensions.length > 0) session.state = { ...session.state, ctx: { ...ctx, file: { ...ctx.file, extensions: [] } } };
    session.partial = undefined;
    session.local = undefined;
  }

  /** A fault of ours (disk full, a bug): the transfer fails with the reason, the process stays up. */
  private failInternally(session: Session, err: any): void {
    if (this.listenerCount("error") > 0) this.emit("error", err);
    if (session.state.phase === "ended") return;
    const reason = `internal error: ${err?.message ?? err}`;
    const { ctx } = session.state;
    session.abort?.abort();
    void session.partial?.close().catch(() => undefined);
    session.state = { phase: "ended", ctx, outcome: "failed", offset: 0, reason };
    this.announce(session, { type: "failed", sid: ctx.sid, peer: ctx.peer, offset: 0, size: ctx.file.size, reason });
    this.release(session);
  }

  private async perform(session: Session, effect: SessionEffect): Promise<void> {
    const { ctx } = session.state;
    switch (effect.type) {
      case "send-jingle": {
        const sent = this.sendJingle(session, effect.jingle).catch((err: IqError) => {
          if (effect.jingle.action !== "session-terminate") void this.dispatch(session, { type: "link-lost", reason: `${effect.jingle.action} failed: ${err.message}` });
        });
        if (effect.jingle.action === "session-terminate") {
          this.lastWords.add(sent);
          void sent.finally(() => this.lastWords.delete(sent));
        }
        return;
      }
      case "open-ibb":
        this.port
          .request(this.iq(ctx.peer, makeOpen(ctx.transport.sid, ctx.transport.blockSize, ctx.transport.stanza)), this.timeoutMs())
          .then(
            () => this.dispatch(session, { type: "ibb-opened" }),
            (err: IqError) => this.dispatch(session, { type: "ibb-open-failed", condition: err.condition, text: err.text }),
          );
        return;
      case "rebind-ibb":
        this.byIbbSid.delete(`${ctx.peer}|${effect.previousSid}`);
        this.byIbbSid.set(`${ctx.peer}|${ctx.transport.sid}`, `${ctx.peer}|${ctx.sid}`);
        return;
      case "start-sending":
        this.startPump(session, effect.offset);
        return;
      case "stop-sending":
        session.abort?.abort();
        return;
      case "close-ibb":
        this.port.request(this.iq(ctx.peer, makeClose(ctx.transport.sid)), this.timeoutMs()).catch(() => undefined);
        return;
      case "write":
        this.stats.bytesReceived += effect.data.length;
        await session.partial!.write(effect.offset, effect.data);
        this.progress(session, effect.offset + effect.data.length);
        return;
      case "verify":
        void this.verify(session);
        return;
      case "keep-partial":
        await session.partial?.close();
        return;
      case "discard-partial":
        await session.partial?.discard();
        return;
      case "emit":
        return this.announce(session, effect.event);
    }
  }

  private announce(session: Session, event: TransferEvent): void {
    if ((event.type === "started" || event.type === "resumed") && this.options.directedPresence) {
      this.port.send(xml("presence", { to: session.state.ctx.peer })).catch(() => undefined);
    }
    this.hosted.ended(session.state.ctx, event.type);
    const withPath = session.savedAs ? { ...event, path: session.savedAs } : event;
    this.emit(`transfer-${event.type}` as "transfer-started", withPath);
    if (session.state.phase === "ended") {
      session.settle(withPath);
      this.forget(session);
    }
  }

  /** Removes a session at once, for one that never started (a screened-out offer). */
  private drop(session: Session) {
    const { ctx } = session.state;
    this.sessions.delete(`${ctx.peer}|${ctx.sid}`);
    this.byIbbSid.delete(`${ctx.peer}|${ctx.transport.sid}`);
  }

  private forget(session: Session) {
    // keep the ended session a little for duplicate stanzas, then drop it
    setTimeout(() => this.drop(session), 30_000).unref();
  }

  private progress(session: Session, offset: number): void {
    const now = Date.now();
    session.lastActivity = now;
    if (now - session.lastProgress < this.options.progressInterval && offset < (session.state.ctx.file.size ?? 0)) return;
    session.lastProgress = now;
    const { ctx } = session.state;
    this.emit("transfer-progress", { type: "started", sid: ctx.sid, peer: ctx.peer, offset, size: ctx.file.size });
  }

  private startPump(session: Session, offset: number): void {
    const { ctx } = session.state;
    const local = session.local!;
    const abort = new AbortController();
    session.abort = abort;
    const { sid, blockSize, stanza } = ctx.transport;
    const stats = this.stats;
    const peerBare = bare(ctx.peer);
    const count = (data: Buffer) => {
      stats.bytesSent += data.length;
      stats.sentTo.set(peerBare, (stats.sentTo.get(peerBare) ?? 0) + data.length);
    };
    const sendBlock =
      stanza === "message"
        ? (seq: number, data: Buffer) => (count(data), this.port.send(xml("message", { to: ctx.peer }, makeData(sid, seq, data))))
        : (seq: number, data: Buffer) => (count(data), this.port.request(this.iq(ctx.peer, makeData(sid, seq, data)), this.timeoutMs()).then(() => undefined));
    pump({
      blocks: readBlocks(local.path, offset, blockSize, local.size),
      startOffset: offset,
      window: stanza === "message" ? 1 : this.options.window,
      sendBlock,
      onAcked: (o) => {
        this.progress(session, o);
        void this.dispatch(session, { type: "acked", offset: o });
      },
      signal: abort.signal,
    }).then((r) =>
      this.dispatch(session, r.ok ? { type: "send-done", offset: r.offset } : { type: "send-failed", offset: r.offset, condition: r.error.condition, errorType: r.error.errorType, text: r.error.text }),
    );
  }

  private async verify(session: Session): Promise<void> {
    const partial = session.partial!;
    // a hash-less offer: the sender's <checksum/> may come after the last byte
    const expected = sha256Of(session.state.ctx.file.hashes) ?? (await this.checksumWithin(session, this.options.checksumWait * 1000));
    if (!expected) {
      if (!(partial instanceof PartialFile)) return void this.dispatch(session, { type: "verified", ok: false, detail: "no sha-256 to verify the file against" });
      try {
        const r = await partial.completeUnverified();
        session.savedAs = r.path;
        return void (await this.dispatch(session, { type: "verified", ok: true, detail: r.detail, unverifiedSha256: r.sha256 }));
      } catch (err: any) {
        return void (await this.dispatch(session, { type: "verified", ok: false, detail: `could not store the file: ${err?.message ?? err}` }));
      }
    }
    try {
      const r = await partial.complete(expected);
      session.savedAs = r.path;
      if (r.ok && r.path && partial instanceof PartialFile) {
        const { ctx } = session.state;
        await recordReceived(partial.dir, { sha256: expected, size: ctx.file.size ?? 0, peer: bare(ctx.peer), path: r.path }).catch(() => undefined);
      }
      await this.dispatch(session, { type: "verified", ok: r.ok, detail: r.detail });
    } catch (err: any) {
      await this.dispatch(session, { type: "verified", ok: false, detail: `could not verify: ${err?.message ?? err}` });
    }
  }

  /** The sha-256 a <checksum/> gives while the session verifies, polled; undefined after ms. */
  private async checksumWithin(session: Session, ms: number): Promise<string | undefined> {
    for (const end = Date.now() + ms; Date.now() < end && session.state.phase === "verifying"; ) {
      await new Promise((r) => setTimeout(r, 100));
      const sha = sha256Of(session.state.ctx.file.hashes);
      if (sha) return sha;
    }
    return undefined;
  }

  private sendJingle(session: Session, j: Jingle): Promise<Element> {
    const { ctx } = session.state;
    const withRoles: Jingle = { ...j, ...(j.action === "session-accept" ? { responder: this.port.jid() } : {}) };
    // XEP-0166 §6.3: the responder acknowledges a session-initiate at once, before anyone decides;
    // no answer within the stall timeout is a peer that is gone (Gajim 1.7.3 crashes on offers),
    // and the sender's recovery takes it from there instead of waiting the whole requestTimeout
    const timeout = j.action === "session-initiate" && this.options.stallTimeout > 0 ? Math.min(this.timeoutMs(), this.options.stallTimeout * 1000) : this.timeoutMs();
    return this.port.request(this.iq(ctx.peer, makeJingle(withRoles)), timeout);
  }

  private iq(to: string, child: Element): Element {
    return xml("iq", { type: "set", to, id: newSid() }, child);
  }

  private timeoutMs() {
    return this.options.requestTimeout * 1000;
  }
}

export interface AcceptOptions {
  /** also continue a partial copy received from this bare JID: a store delivering a file that
   *  sender left (the caller decides whom to believe; the checkpoints still check the bytes) */
  alsoFrom?: string;
}

/** XEP-0234 §ranged: only an offer with <range/> says its sender can start past byte 0; Dino,
 *  Gajim and Conversations send none, and a session-accept at byte N would get byte 0 there. */
function canResume(file: FileDescription): boolean {
  return file.range !== undefined;
}

const RESTART_FROM_0 = "restarted from 0: the peer cannot resume (its offer has no <range/>)";

function peersOf(from: string, opts?: AcceptOptions): string[] {
  return opts?.alsoFrom ? [bare(from), bare(opts.alsoFrom)] : [bare(from)];
}

/** Plugin factory: the same engine for a client or a component entity. */
export interface SendOptions {
  name?: string;
  mediaType?: string;
  /** the file already described (sha-256, checkpoints): saves reading it again */
  local?: LocalFile;
  /** the sid of the interrupted session this offer continues (xep-draft: <continues/>) */
  continues?: string;
  /** more children of <file/>, e.g. a forward request's <recipient/> */
  extensions?: Element[];
}

export function fileTransfer(port: XmppPort, options?: FileTransferOptions): FileTransfer {
  return new FileTransfer(port, options);
}
