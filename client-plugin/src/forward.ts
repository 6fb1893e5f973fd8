// The sender's offline path (seed FIG. 1, steps 109-110): the file goes to the offline store
// with a <recipient/> naming who it is for (xep-draft §offline-forwarding). The upload recovers
// as any transfer does, with the same retransfer: an interrupted upload is re-offered and the
// store answers with the bytes it holds (<range offset/>), so nothing it has is sent again.
// Once the store holds the file, the sender vouches for its store to the recipient (a <stored/>
// message, xep-draft §'Vouching for a Store'): across federation the store is not the
// recipient's own, and the recipient's client trusts it for this file only because we say so.
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import {
  bare, ForwardRefusedError, humanSize, makeRecipient, makeStored, retransfer, type FileTransfer, type LocalFile, type RecoveryNetwork,
} from "@xft/protocol";

/**
 * Seconds a re-offer to the store may go unanswered before the upload is given up (and the user
 * prompted). At least this long whatever the receiver's confirm-timeout: a store is a service,
 * expected back after a restart, where a person's device may be gone for the day.
 */
export const STORE_CONFIRM_TIMEOUT = 30;

export interface ForwarderDeps {
  ft: FileTransfer;
  network: RecoveryNetwork;
  /** the store's JID: the component preference, else discovered (XEP-0030) */
  component: () => Promise<string | undefined>;
  /** the receiver's confirm-timeout in seconds */
  confirmTimeout: number;
  /** sends a stanza (the vouch to the recipient) */
  send(stanza: Element): Promise<void>;
}

/** The sender's vouch for its store, with a body any client shows (the recipient's server keeps
 *  it while the recipient is offline). */
export function makeVouch(to: string, store: string, local: LocalFile): Element {
  const body = `I left ${local.name} (${humanSize(local.size)}) for you at the offline store ${store}, as you were not online: it is sent to you when you are.`;
  return xml("message", { to: bare(to), type: "normal" }, xml("body", {}, body),
    makeStored({ store: bare(store), name: local.name, size: local.size, sha256: local.sha256 }));
}

export function storeForwarder(deps: ForwarderDeps) {
  return async function forward(request: { to: string; local: LocalFile }): Promise<void> {
    const component = await deps.component();
    if (!component) throw new Error("no offline store: set the component preference or run one on your server");
    const upload = retransfer(
      { ft: deps.ft, network: deps.network, locate: async () => component },
      component,
      request.local,
      { autoRetransfer: true, offlineForward: false, confirmTimeout: Math.max(deps.confirmTimeout, STORE_CONFIRM_TIMEOUT) },
      { extensions: [makeRecipient(bare(request.to))] },
    );
    // the store stayed out of reach: this upload stops here, the outer recovery prompts
    let unreachable: string | undefined;
    upload.on("prompt", (p) => {
      unreachable = p.reason;
      upload.cancel(p.reason);
    });
    const final = await upload.done;
    if (final.outcome === "completed") {
      // the store verified the sha-256 before it said <success/>. Without the vouch a recipient
      // on another server would not take the delivery: a send that fails here fails the forward,
      // and the user is told
      await deps.send(makeVouch(request.to, component, request.local));
      return;
    }
    if (unreachable !== undefined) throw new Error(`the offline store ${component} did not answer: ${unreachable}`);
    // any other end of an upload is the store's "no" (its stanza error or decline): final
    throw new ForwardRefusedError(`the offline store ${component} refused the file: ${final.reason.replace(/^declined: (decline: )?/, "declined: ")}`);
  };
}
