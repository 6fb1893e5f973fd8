// The pure core of one Jingle File Transfer session over IBB: its states, the events that
// drive it and the effects it asks the driver to carry out. No I/O here.
import type { Jingle, Reason, Role } from "../xep0166/jingle.js";
import type { FileDescription } from "../xep0234/file.js";
import type { IbbTransport } from "../xep0261/transport.js";
import type { S5bFallback } from "../xep0260/fallback.js";
import type { ProtocolError } from "../errors/stanza-error.js";

export interface SessionContext {
  sid: string;
  /** the other party's full JID */
  peer: string;
  /** our Jingle role */
  role: Role;
  /** true when we are the File Sender (push as initiator, pull as responder) */
  sending: boolean;
  contentName: string;
  contentCreator: Role;
  file: FileDescription;
  transport: IbbTransport;
  /** first byte of this session's data (XEP-0234 <range offset/>) */
  startOffset: number;
  /** our largest acceptable IBB block */
  maxBlockSize: number;
  /** the offer came over SOCKS5, which we leave for IBB (xep0260/fallback.ts); `transport` is a
   *  placeholder until the initiator's transport-replace */
  s5bFallback?: S5bFallback;
}

export type Outcome = "completed" | "failed" | "interrupted" | "declined" | "cancelled";

export type SessionState =
  | { phase: "initiating"; ctx: SessionContext }
  | { phase: "pending"; ctx: SessionContext }
  | { phase: "connecting"; ctx: SessionContext }
  | { phase: "streaming"; ctx: SessionContext; offset: number; nextSeq: number }
  | { phase: "verifying"; ctx: SessionContext; offset: number }
  | { phase: "confirming"; ctx: SessionContext; offset: number }
  | { phase: "ended"; ctx: SessionContext; outcome: Outcome; offset: number; reason: string };

export type SessionEvent =
  | { type: "accept"; offset: number }
  | { type: "decline"; reason?: string }
  | { type: "cancel"; reason?: string }
  | { type: "remote"; jingle: Jingle }
  | { type: "initiate-failed"; condition: string; text?: string }
  | { type: "ibb-opened"; blockSize?: number }
  | { type: "ibb-open-failed"; condition: string; text?: string }
  | { type: "ibb-data"; seq: number; data: Buffer }
  | { type: "ibb-closed" }
  /** the File Receiver acknowledged our bytes up to `offset` (the pump's contiguous acks) */
  | { type: "acked"; offset: number }
  | { type: "send-done"; offset: number }
  | { type: "send-failed"; offset: number; condition: string; errorType?: string; text?: string }
  /** unverifiedSha256: the file came without a hash to check (a hash-less offer, no <checksum/>):
   *  kept as complete, said unverified, with the sha-256 of what arrived */
  | { type: "verified"; ok: boolean; detail: string; unverifiedSha256?: string }
  | { type: "link-lost"; reason: string }
  /** this process is stopping (SIGINT/SIGTERM): tell the peer, keep what was received */
  | { type: "going-offline"; reason: string };

export type TransferEventType = "started" | "resumed" | "interrupted" | "completed" | "failed" | "declined";

export interface TransferEvent {
  type: TransferEventType;
  sid: string;
  peer: string;
  /** true: we are the File Sender of this session */
  sending?: boolean;
  name?: string;
  offset: number;
  size?: number;
  sha256?: string;
  reason?: string;
  /** completed without a sender's hash to check it (sha256 is then of what arrived) */
  unverified?: true;
}

export type SessionEffect =
  | { type: "send-jingle"; jingle: Jingle }
  | { type: "open-ibb" }
  /** the IBB sid changed (a transport-replace): the driver routes the new one to this session */
  | { type: "rebind-ibb"; previousSid: string }
  | { type: "start-sending"; offset: number }
  | { type: "stop-sending" }
  | { type: "close-ibb" }
  | { type: "write"; offset: number; data: Buffer }
  | { type: "verify" }
  | { type: "keep-partial" }
  | { type: "discard-partial"; reason: string }
  | { type: "emit"; event: TransferEvent };

export interface Transition {
  state: SessionState;
  effects: SessionEffect[];
  /** the stanza error to answer the stanza that caused this event with, if any */
  error?: ProtocolError;
}

export type { Reason };
