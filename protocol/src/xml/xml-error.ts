// The error our stream parser emits. Same name and shape as @xmpp/xml's XMLError (0.13 and
// 0.14), which the connections only forward ("error" event, then a bad-format stream error),
// so the two are interchangeable; we keep our own so @xft/protocol does not depend on either tree.
export class XMLError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XMLError";
  }
}
