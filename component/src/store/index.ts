// The offline file store's public surface (the XMPP layer imports from here).
export { createStore, type OfflineStore } from "./store.js";
export { STORE_DEFAULTS, type StoreLimits, type StoreOptions } from "./config.js";
export type { Budget, FileState, Receipt, RecipientDeliveryState, RetryState, StoredFile, UploadHandle, UploadRequest, Usage } from "./model.js";
export type { DeliveryStates } from "./delivery-state.js";
export * from "./errors.js";
export { DatabaseFromFutureError, openDatabase } from "./db.js";
export { bareJid, storedName } from "./validate.js";
