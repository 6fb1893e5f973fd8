// The client plugin: the shared engine plus what a user's client needs around it.
// A factory with its dependencies passed in (xmpp.js style), usable on any xmpp.js entity.
import { fileTransfer, type FileTransferOptions, type XmppPort } from "@xft/protocol";
import { DEFAULT_PREFERENCES, type Preferences } from "./prefs/preferences.js";
import { answerProposals, createPeerResolver } from "./resolve-peer.js";

export interface AutoTransferPluginOptions extends FileTransferOptions {
  /** answer XEP-0353 proposals with <proceed/> (the device is ready to take files) */
  acceptProposals?: (from: string) => boolean;
  /**
   * The user's recovery preferences in effect (stored ones merged with per-run overrides, see
   * prefs/store.ts). Carried for the recovery logic; transfers do not act on them yet.
   */
  preferences?: Preferences;
}

export function autoTransferPlugin(port: XmppPort, options: AutoTransferPluginOptions = {}) {
  const { preferences = { ...DEFAULT_PREFERENCES }, acceptProposals, ...ftOptions } = options;
  const ft = fileTransfer(port, ftOptions);
  const resolvePeer = createPeerResolver(port);
  answerProposals(port, acceptProposals ?? (() => ft.listenerCount("offer") > 0));
  return {
    ft,
    preferences,
    resolvePeer,
    /** resolves a bare JID to a device (XEP-0353), then offers the file */
    async sendFile(to: string, path: string) {
      const full = await resolvePeer(to);
      return ft.send(full, path);
    },
  };
}

export type AutoTransferPlugin = ReturnType<typeof autoTransferPlugin>;
