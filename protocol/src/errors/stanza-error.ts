// One registry of domain errors, each mapped to its stanza error (RFC 6120 §8.3) so that
// a handler can throw it and the driver answers with the right <error/>.
import { createElement as xml, Element } from "ltx/lib/ltx.js";

export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

export type ErrorType = "cancel" | "modify" | "auth" | "wait" | "continue";

export interface AppCondition {
  name: string;
  xmlns: string;
}

/** A protocol violation or refusal that has a precise stanza error. */
export class ProtocolError extends Error {
  constructor(
    readonly type: ErrorType,
    readonly condition: string,
    message: string,
    readonly app?: AppCondition,
  ) {
    super(message);
    this.name = "ProtocolError";
  }

  toElement(): Element {
    return xml(
      "error",
      { type: this.type },
      xml(this.condition, { xmlns: NS_STANZAS }),
      xml("text", { xmlns: NS_STANZAS }, this.message),
      this.app ? xml(this.app.name, { xmlns: this.app.xmlns }) : undefined,
    );
  }
}

export const badRequest = (message: string, app?: AppCondition) =>
  new ProtocolError("modify", "bad-request", message, app);
export const notAcceptable = (message: string, app?: AppCondition) =>
  new ProtocolError("cancel", "not-acceptable", message, app);
export const itemNotFound = (message: string, app?: AppCondition) =>
  new ProtocolError("cancel", "item-not-found", message, app);
export const unexpectedRequest = (message: string, app?: AppCondition) =>
  new ProtocolError("wait", "unexpected-request", message, app);
export const conflict = (message: string, app?: AppCondition) =>
  new ProtocolError("cancel", "conflict", message, app);
export const resourceConstraint = (message: string) =>
  new ProtocolError("wait", "resource-constraint", message);
export const notAllowed = (message: string) => new ProtocolError("cancel", "not-allowed", message);
export const featureNotImplemented = (message: string, app?: AppCondition) =>
  new ProtocolError("cancel", "feature-not-implemented", message, app);

/** Reads the condition out of an <error/> child of an error stanza. */
export function parseStanzaError(stanza: Element): { type: string; condition: string; text?: string } | undefined {
  const error = stanza.is("error") ? stanza : stanza.getChild("error");
  if (!error) return undefined;
  const condition = error.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== "text");
  const text = error.getChildText("text", NS_STANZAS) ?? undefined;
  return { type: String(error.attrs.type ?? "cancel"), condition: condition?.name ?? "undefined-condition", text };
}
