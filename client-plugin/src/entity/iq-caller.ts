// @xmpp/iq 0.14's IQ caller with the early-reply race closed (protocol/src/xmppjs/early-replies.ts).
import { handleEarlyReplies } from "@xft/protocol";
import _iqCaller from "@xmpp/iq/caller.js";
import type { IqCaller, Middleware, XmppEntity } from "./types.js";

export function createIqCaller(deps: { entity: XmppEntity; middleware: Middleware }): IqCaller {
  return handleEarlyReplies(_iqCaller(deps));
}
