// Our own namespaces for offline forwarding (xep-draft/: urn:xmpp:jingle-ft-recovery).
/** the base namespace: elements such as <waiting/> */
export const NS_RECOVERY = "urn:xmpp:jingle-ft-recovery:0";
/** the disco#info feature of an offline store component: it accepts files for offline recipients */
export const NS_FORWARD = "urn:xmpp:jingle-ft-recovery:forward:0";
