// Takes forwarded files into the store (xep-draft §offline-forwarding): an offer whose <file/>
// names a <recipient/> is screened before its session-initiate is answered, so that every "no"
// (no recipient, too large, over quota, sender's domain not served) reaches the sender as a
// stanza error with its condition and text; a re-offer of the same file by the same sender for
// the same recipient continues the upload at the bytes the store holds (<range offset/>).
import { EventEmitter } from "node:events";
import { badRequest, bare, parseRecipient, sha256Of, type IncomingOffer, type Transfer } from "@xft/protocol";
import type { OfflineStore, StoredFile, UploadHandle } from "../store/index.js";
import { storeSink } from "./sink.js";

export type UploadEvents = {
  /** a file is in the store, all of it, its sha-256 checked: it can be delivered */
  stored: [StoredFile];
};

export function uploadReceiver(deps: { store: OfflineStore; onError?: (err: unknown) => void }) {
  const { store, onError = () => undefined } = deps;
  const uploads = new EventEmitter<UploadEvents>();
  // what screen() reserved for an offer, for accept() to take it up
  const reserved = new WeakMap<IncomingOffer, UploadHandle>();
  // the live session of each upload, for ending it when its reservation expires
  const sessions = new Map<string, Transfer>();

  /** FileTransferOptions.screenOffer: throws the stanza error the session-initiate gets. */
  async function screen(offer: IncomingOffer): Promise<void> {
    const recipient = parseRecipient(offer.file); // a bad one: bad-request
    if (!recipient) throw badRequest("this service only stores files for a <recipient/> (urn:xmpp:jingle-ft-recovery:0) named in the offer");
    const upload = await store.beginUpload({
      sender: bare(offer.from), // as the server stamped it: a sender cannot leave files in another's name
      recipient,
      name: offer.file.name ?? "unnamed",
      size: offer.file.size ?? 0,
      sha256: sha256Of(offer.file.hashes) ?? "",
      mediaType: offer.file.mediaType,
    });
    reserved.set(offer, upload);
  }

  /** the engine's 'offer' listener: every offer it emits was screened */
  function accept(offer: IncomingOffer): void {
    const upload = reserved.get(offer);
    if (!upload) return offer.decline("not screened"); // only if screen is not wired: never silently take a file
    offer
      .acceptInto(storeSink(store, upload, (file) => uploads.emit("stored", file)))
      .then((transfer) => {
        sessions.set(upload.id, transfer);
        const forget = () => sessions.get(upload.id) === transfer && sessions.delete(upload.id);
        transfer.done.then(forget, forget);
      })
      .catch(onError);
  }

  /** The store removed an idle upload (reservations.ts): end its session, if one is live. */
  function expired(file: StoredFile): void {
    sessions.get(file.id)?.cancel("the upload brought no data for too long: its reservation expired");
    sessions.delete(file.id);
  }

  return { screen, accept, expired, uploads };
}

export type UploadReceiver = ReturnType<typeof uploadReceiver>;
