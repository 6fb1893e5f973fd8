// @xft/protocol: the one Jingle File Transfer / IBB engine, used by the client plugin and the component.
export * from "./errors/stanza-error.js";
export * from "./xep0300/hash.js";
export * from "./xep0047/ibb.js";
export * from "./xep0261/transport.js";
export * from "./xep0234/file.js";
export * from "./xep0166/jingle.js";
export * from "./session/types.js";
export { transition } from "./session/transition.js";
export * from "./driver/port.js";
export * from "./driver/files.js";
export * from "./driver/manager.js";
export * from "./driver/sink.js";
export * from "./ftrecovery/elements.js";
export * from "./recovery/backoff.js";
export * from "./recovery/sender.js";
export * from "./recovery/retransfer.js";
export * from "./xep0030/disco.js";
export * from "./ftrecovery/delivery.js";
