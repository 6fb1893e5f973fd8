// Minimal types for ltx 3 (it ships none). Only what this project uses.
// Always import "ltx/lib/ltx.js" (the CommonJS build): xmpp.js 0.13 and 0.14 use that copy and
// check `instanceof Element` against it; an element built from ltx's ESM copy ("ltx") fails
// that check, and xmpp.js's iq callee then answers an error we return with an empty result.
declare module "ltx/lib/ltx.js" {
  export type Node = Element | string;
  export class Element {
    constructor(name: string, attrs?: Record<string, string | number | undefined>);
    name: string;
    attrs: Record<string, any>;
    children: Node[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string, xmlns?: string): any;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    c(name: string, attrs?: Record<string, any>): Element;
    cnode<T extends Element>(child: T): T;
    append(...nodes: (Node | undefined | null | false)[]): this;
    t(text: string): this;
    up(): Element;
    root(): Element;
    remove(el: Element | string, xmlns?: string): this;
    text(val?: string): string;
    attr(attr: string, val?: any): any;
    /** Serialises the element, calling writer with each piece (toString() joins them). */
    write(writer: (s: string) => void): void;
    toString(): string;
  }
  export function createElement(name: string, attrs?: Record<string, any> | null, ...children: (Node | Node[] | undefined | null | false)[]): Element;
  export function parse(xml: string): Element;
  export function escapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function unescapeXML(s: string): string;
  export function equal(a: Element, b: Element): boolean;
  export function clone<T extends Element>(el: T): T;
  export class Parser {
    constructor(options?: unknown);
    on(event: string, fn: (...args: any[]) => void): this;
    write(data: string): void;
    end(data?: string): void;
  }
}
declare module "ltx/lib/Element.js" {
  import { Element } from "ltx/lib/ltx.js";
  export default Element;
}
declare module "ltx/lib/parsers/ltx.js" {
  import { Parser } from "ltx/lib/ltx.js";
  export default Parser;
}
