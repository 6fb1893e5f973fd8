// Reads the examples of xep-draft/xep-jingle-ft-recovery.xml, so that tests use them as fixtures.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse, type Element } from "ltx/lib/ltx.js";

const DRAFT = new URL("../../../xep-draft/xep-jingle-ft-recovery.xml", import.meta.url);

/** the stanza of the example with this caption (the XML entity &apos; is written out) */
export function draftExample(caption: string): Element {
  const draft = readFileSync(DRAFT, "utf8").replaceAll("&apos;", "'");
  const at = draft.indexOf(`caption='${caption}'`);
  assert.notEqual(at, -1, `no example captioned "${caption}" in the draft`);
  const cdata = draft.slice(draft.indexOf("<![CDATA[", at) + 9, draft.indexOf("]]>", at));
  return parse(cdata.trim());
}
