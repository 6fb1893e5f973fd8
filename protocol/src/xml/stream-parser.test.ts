import assert from "node:assert/strict";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Parser as LtxParser } from "@xmpp/xml";
import LtxElement from "ltx/lib/Element.js";
import { parse as ltxParse, type Element } from "ltx/lib/ltx.js";
import { ibbStanza, ibbStreamChunks, STREAM_HEADER, timeParse } from "./ibb-stream.js";
import { StreamParser, XMLError, type StreamParserOptions } from "./stream-parser.js";

// What a parser emitted, as plain data (trees compared structurally, parents checked).
interface Shape {
  name: string;
  attrs: Record<string, string>;
  children: (Shape | string)[];
}
interface Run {
  start?: Shape;
  elements: Shape[];
  end: boolean;
  errors: Error[];
}

function shape(el: Element, withChildren = true): Shape {
  return {
    name: el.name,
    attrs: { ...el.attrs },
    children: withChildren ? el.children.map((c) => (typeof c === "string" ? c : shape(c))) : [],
  };
}

type Feedable = { write(data: string | Uint8Array): void } & NodeJS.EventEmitter;

function record(parser: Feedable, feed: (p: Feedable) => void): Run {
  const run: Run = { elements: [], end: false, errors: [] };
  let root: Element | undefined;
  parser.on("start", (el: Element) => {
    root = el;
    run.start = shape(el, false); // ltx keeps the text between stanzas in the root; we don't
  });
  parser.on("element", (el: Element) => {
    assert.equal(el.parent, root, "a top-level element's parent is the root");
    run.elements.push(shape(el));
  });
  parser.on("end", (el: Element) => {
    assert.equal(el, root);
    run.end = true;
  });
  parser.on("error", (err: Error) => run.errors.push(err));
  feed(parser);
  return run;
}

const whole = (s: string) => (p: Feedable) => p.write(s);
const eachChar = (s: string) => (p: Feedable) => {
  for (const c of s) p.write(c);
};
const eachByte = (s: string) => (p: Feedable) => {
  for (const b of Buffer.from(s, "utf8")) p.write(Buffer.of(b));
};

// Deterministic (seeded) random splits, so a failure can be replayed.
function randomSplits(s: string, seed: number) {
  return (p: Feedable) => {
    let x = seed;
    const next = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x);
    for (let i = 0; i < s.length; ) {
      const len = 1 + (next() % 40);
      p.write(s.slice(i, i + len));
      i += len;
    }
  };
}

const ours = (options?: StreamParserOptions) => new StreamParser(options);
const parseOurs = (xml: string, options?: StreamParserOptions) => record(ours(options), whole(xml));

const FOOTER = "</stream:stream>";

// XMPP traffic as servers send it: features, SASL, binding, stanzas of every kind, namespaces,
// prefixes, both quote styles, entities, non-ASCII, whitespace keepalives between stanzas.
const STANZAS = [
  `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/></stream:features>`,
  `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9</success>`,
  `<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/ré sumé</jid></bind></iq>`,
  `<message from="bob@localhost/b" to='alice@localhost/a' type="chat" id='m1' xml:lang='en'><body>Tom &amp; Jerry &lt;3 &quot;q&quot; &apos;a&apos; &gt; &#65;&#x42; 😀 日本</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
  `<presence from='bob@localhost/b'><show>away</show><status>a  b\n\tc</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`,
  `<iq type="set" id="j1" from="bob@localhost/b"><jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s&amp;1"><content creator="initiator" name="f"><description xmlns="urn:xmpp:jingle:apps:file-transfer:5"><file><name>a&lt;b&gt;.txt</name><size>123</size><hash xmlns="urn:xmpp:hashes:2" algo="sha-256">47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</hash></file></description><transport xmlns="urn:xmpp:jingle:transports:ibb:1" block-size="4096" sid="ibb1"/></content></jingle></iq>`,
  ibbStanza(7, 5000),
  `<r xmlns='urn:xmpp:sm:3'/>`,
  `<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>Replaced</text></stream:error>`,
  `<pfx:query xmlns:pfx='jabber:iq:roster'><pfx:item jid='x@y' name='a=b' ask = "subscribe" /></pfx:query>`,
  `<message><body>  leading and trailing  </body><empty></empty><x a='&#x9;&#10;'/></message>`,
];
const STREAM = STREAM_HEADER + STANZAS.join("\n ") + " \n" + FOOTER;

describe("StreamParser", () => {
  describe("golden: same trees as @xmpp/xml's ltx parser", () => {
    const stock = record(new LtxParser(), whole(STREAM));

    it("the stock parser reads the fixture cleanly", () => {
      assert.deepEqual(stock.errors, []);
      assert.equal(stock.elements.length, STANZAS.length);
      assert.equal(stock.end, true);
    });

    const feeds: [string, (p: Feedable) => void][] = [
      ["whole", whole(STREAM)],
      ["one character per write", eachChar(STREAM)],
      ["one UTF-8 byte per write (Buffers)", eachByte(STREAM)],
      ...[1, 2, 3, 42, 1000].map((seed): [string, (p: Feedable) => void] => [`random splits, seed ${seed}`, randomSplits(STREAM, seed)]),
    ];
    for (const [label, feed] of feeds) {
      it(label, () => assert.deepEqual(record(ours(), feed), stock));
    }

    it("each stanza alone gives the same tree as ltx.parse()", () => {
      for (const stanza of STANZAS) {
        const run = parseOurs(STREAM_HEADER + stanza);
        assert.deepEqual(run.errors, []);
        assert.deepEqual(run.elements, [shape(ltxParse(stanza))]);
      }
    });
  });

  describe("elements", () => {
    it("are ltx Elements of the class @xmpp/xml uses, with its API", () => {
      const parser = ours();
      const got: Element[] = [];
      parser.on("element", (el: Element) => got.push(el));
      parser.write(STREAM_HEADER + STANZAS[3] + STANZAS[5]);
      const [message, iq] = got;
      assert.ok(message instanceof LtxElement); // lib/Element.js, not ltx's ESM twin
      assert.ok(message.is("message", "jabber:client"));
      assert.equal(message.attrs.from, "bob@localhost/b");
      assert.equal(message.getChildText("body"), `Tom & Jerry <3 "q" 'a' > AB 😀 日本`);
      assert.ok(message.getChild("active", "http://jabber.org/protocol/chatstates"));
      assert.equal(message.getChildElements().length, 2);
      const jingle = iq.getChild("jingle", "urn:xmpp:jingle:1")!;
      assert.equal(jingle.attrs.sid, "s&1");
      const file = jingle.getChild("content")!.getChild("description")!.getChild("file")!;
      assert.equal(file.getChildText("name"), "a<b>.txt");
      assert.equal(file.getChild("hash")!.getNS(), "urn:xmpp:hashes:2");
      assert.equal(file.getChild("hash")!.getText(), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
      assert.equal(iq.toString(), STANZAS[5]); // same quotes and escapes as the input here
    });

    it("join a text node spread over many writes into one string", () => {
      const text = "QUJD".repeat(40_000); // 160 000 characters
      const parser = ours();
      let data: Element | undefined;
      parser.on("element", (el: Element) => (data = el.getChild("data")));
      parser.write(STREAM_HEADER + "<iq><data xmlns='http://jabber.org/protocol/ibb'>");
      for (let i = 0; i < text.length; i += 1000) parser.write(text.slice(i, i + 1000));
      parser.write("</data></iq>");
      assert.deepEqual(data!.children, [text]);
    });

    it("keep CDATA as its own text child, and the text after it (ltx drops that)", () => {
      const run = parseOurs(STREAM_HEADER + "<m><b>x<![CDATA[<not a tag> & ]]]]>y</b></m>");
      assert.deepEqual(run.errors, []);
      assert.deepEqual(run.elements[0].children[0], { name: "b", attrs: {}, children: ["x", "<not a tag> & ]]", "y"] });
    });

    it("CDATA split anywhere, even inside ']]>'", () => {
      const xml = STREAM_HEADER + "<m><![CDATA[a]]b]]]]>";
      for (let cut = STREAM_HEADER.length; cut < xml.length; cut++) {
        const run = record(ours(), (p) => {
          p.write(xml.slice(0, cut));
          p.write(xml.slice(cut));
          p.write("</m>");
        });
        assert.deepEqual(run.elements[0]?.children, ["a]]b]]"], `cut at ${cut}`);
      }
    });

    it("accept '>' inside attribute values and a '>' at a chunk edge in quotes", () => {
      const run = record(ours(), (p) => {
        p.write(STREAM_HEADER + "<x a='1>2' b=\"3");
        p.write(">4\"/>");
      });
      assert.deepEqual(run.elements, [{ name: "x", attrs: { a: "1>2", b: "3>4" }, children: [] }]);
    });

    it("drop whitespace between stanzas (keepalives) and do not grow the root", () => {
      const parser = ours();
      let root: Element | undefined;
      parser.on("start", (el: Element) => (root = el));
      parser.write(STREAM_HEADER);
      for (let i = 0; i < 1000; i++) parser.write(" \n");
      assert.deepEqual(root!.children, []);
    });
  });

  describe("entities", () => {
    const text = (xml: string) => {
      const run = parseOurs(STREAM_HEADER + `<m>${xml}</m>`);
      if (run.errors.length) throw run.errors[0];
      return run.elements[0].children.join("");
    };
    const attr = (xml: string) => {
      const run = parseOurs(STREAM_HEADER + `<m a=${xml}/>`);
      if (run.errors.length) throw run.errors[0];
      return run.elements[0].attrs.a;
    };

    it("decodes the predefined ones and character references", () => {
      assert.equal(text("&amp;&lt;&gt;&quot;&apos;"), `&<>"'`);
      assert.equal(text("&#65;&#x41;&#x1F600;&#128512;&#9;"), "AA😀😀\t");
      assert.equal(attr(`'&amp;&quot;&#x27;"'`), `&"'"`);
      assert.equal(attr(`"it's"`), "it's");
    });

    it("decodes references split across writes", () => {
      const xml = STREAM_HEADER + "<m a='&quot;x&#x42;'>&amp;y&#x1F600;</m>";
      for (let cut = STREAM_HEADER.length; cut < xml.length; cut++) {
        const run = record(ours(), (p) => {
          p.write(xml.slice(0, cut));
          p.write(xml.slice(cut));
        });
        assert.deepEqual(run.elements, [{ name: "m", attrs: { a: '"xB' }, children: ["&y😀"] }], `cut at ${cut}`);
      }
    });

    for (const bad of ["&foo;", "a & b", "&amp", "&#;", "&#x;", "&#0;", "&#xD800;", "&#x110000;", "&#12345678;", "&toString;", "&#xZZ;"]) {
      it(`rejects ${JSON.stringify(bad)} in text and in attributes`, () => {
        assert.throws(() => text(bad), XMLError);
        assert.throws(() => attr(`'${bad}'`), XMLError);
      });
    }
  });

  describe("errors", () => {
    const cases: [string, string][] = [
      ["mismatched end tag", "<a><b></a></b>"],
      ["'<' in an attribute value", "<a x='1<2'/>"],
      ["unquoted attribute value", "<a x=1/>"],
      ["attribute without a value", "<a x/>"],
      ["duplicate attribute", "<a x='1' x='2'/>"],
      ["attributes without whitespace between", "<a x='1'y='2'/>"],
      ["invalid element name", "<1a/>"],
      ["'<' inside a tag", "<a <b/>"],
      ["content in an end tag", "<a></a b>"],
      ["unterminated entity", "<a>&amp</a>"],
      ["a comment", "<!-- hi -->"],
      ["a comment inside a stanza", "<a><!-- hi --></a>"],
      ["a processing instruction after the header", "<?foo bar?>"],
      ["an XML declaration after the header", "<?xml version='1.0'?>"],
      ["a DOCTYPE", "<!DOCTYPE x>"],
      ["CDATA between stanzas", "<![CDATA[x]]>"],
      ["bytes past the stream close", "</stream:stream><a/>"],
      ["text past the stream close", "</stream:stream>junk"],
    ];
    for (const [label, xml] of cases) {
      it(`emits one error for ${label}, never throws, then ignores input`, () => {
        const parser = ours();
        const errors: Error[] = [];
        const elements: Element[] = [];
        parser.on("error", (err: Error) => errors.push(err));
        parser.on("element", (el: Element) => elements.push(el));
        parser.write(STREAM_HEADER + xml);
        parser.write("<ok/><ok/>");
        assert.equal(errors.length, 1, `errors: ${errors.map((e) => e.message)}`);
        assert.ok(errors[0] instanceof XMLError);
        assert.equal(errors[0].name, "XMLError");
        assert.equal(elements.filter((e) => e.name === "ok").length, 0);
      });
    }

    it("errors on text or an end tag before the stream header", () => {
      assert.equal(parseOurs("hello<stream:stream>").errors.length, 1);
      assert.equal(parseOurs("</a>").errors.length, 1);
      assert.deepEqual(parseOurs("\n <?xml version='1.0'?>\n" + STREAM_HEADER.slice(21)).errors, []);
    });

    it("accepts whitespace after the stream close", () => {
      const run = parseOurs(STREAM_HEADER + "</stream:stream> \r\n");
      assert.deepEqual(run.errors, []);
      assert.equal(run.end, true);
    });

    it("a selfclosing root starts and ends the stream", () => {
      const run = parseOurs("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>");
      assert.equal(run.start?.name, "stream:stream");
      assert.equal(run.end, true);
    });
  });

  describe("limits", () => {
    it("errors when an unfinished element grows past maxElementSize", () => {
      const parser = ours({ maxElementSize: 10_000 });
      const errors: Error[] = [];
      parser.on("error", (err: Error) => errors.push(err));
      parser.write(STREAM_HEADER + "<iq><data>");
      for (let i = 0; i < 9 && errors.length === 0; i++) parser.write("x".repeat(1000));
      assert.equal(errors.length, 0, "9 KiB is still allowed");
      parser.write("x".repeat(1000));
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /larger than 10000/);
    });

    it("also bounds an unfinished tag and a complete element", () => {
      assert.equal(record(ours({ maxElementSize: 1000 }), whole(STREAM_HEADER + "<a b='" + "x".repeat(2000))).errors.length, 1);
      assert.equal(parseOurs(STREAM_HEADER + `<a>${"x".repeat(2000)}</a>`, { maxElementSize: 1000 }).errors.length, 1);
      assert.equal(parseOurs(STREAM_HEADER + `<a>${"x".repeat(990)}</a>`, { maxElementSize: 1000 }).errors.length, 0);
    });

    it("counts each stanza on its own, not the stream", () => {
      const stanza = `<a>${"x".repeat(900)}</a>`;
      const run = parseOurs(STREAM_HEADER + stanza.repeat(100) + " ".repeat(5000), { maxElementSize: 1000 });
      assert.deepEqual(run.errors, []);
      assert.equal(run.elements.length, 100);
    });

    it("has a default of more than 1 MiB", () => {
      const run = parseOurs(STREAM_HEADER + `<a>${"x".repeat(1024 * 1024)}</a>`);
      assert.deepEqual(run.errors, []);
    });

    it("errors on nesting deeper than maxDepth", () => {
      assert.equal(parseOurs(STREAM_HEADER + "<a>".repeat(9), { maxDepth: 10 }).errors.length, 0);
      assert.equal(parseOurs(STREAM_HEADER + "<a>".repeat(10), { maxDepth: 10 }).errors.length, 1);
    });
  });

  describe("listeners", () => {
    it("an exception from a listener propagates; the rest of that chunk is parsed on the next write", () => {
      const parser = ours();
      const names: string[] = [];
      parser.on("element", (el: Element) => {
        names.push(el.name);
        if (el.name === "boom") throw new Error("listener bug");
      });
      assert.throws(() => parser.write(STREAM_HEADER + "<a/><boom/><b/><c>x"), /listener bug/);
      parser.write("</c>");
      assert.deepEqual(names, ["a", "boom", "b", "c"]);
    });

    it("end() stops parsing, like @xmpp/xml", () => {
      const run = record(ours(), (p) => {
        (p as StreamParser).end(STREAM_HEADER + "<a/>");
        p.write("<b/>");
      });
      assert.deepEqual(run.elements.map((e) => e.name), ["a"]);
    });
  });

  describe("cost", function () {
    this.timeout(120_000);

    // Time per character for 64 KiB text nodes over that for 4 KiB ones, both fed in 64 KiB
    // chunks: ~1 when the cost is linear; ltx's is in the hundreds. Medians of interleaved runs,
    // so that a busy moment on a shared 2-core machine does not decide the outcome.
    function perCharRatio(makeParser: () => Feedable, total: number, runs = 7): number {
      const small = ibbStreamChunks(4 * 1024, total, 64 * 1024);
      const large = ibbStreamChunks(64 * 1024, total, 64 * 1024);
      const length = (chunks: string[]) => chunks.reduce((n, c) => n + c.length, 0);
      const smallTimes: number[] = [];
      const largeTimes: number[] = [];
      timeParse(makeParser, small); // warm up the JIT
      timeParse(makeParser, large);
      for (let i = 0; i < runs; i++) {
        smallTimes.push(timeParse(makeParser, small).ms / length(small));
        largeTimes.push(timeParse(makeParser, large).ms / length(large));
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      return median(largeTimes) / median(smallTimes);
    }

    it("is linear: per-character time does not grow with text node length (ltx's does)", () => {
      const oursRatio = perCharRatio(() => ours(), 8 * 1024 * 1024);
      const ltxRatio = perCharRatio(() => new LtxParser(), 1024 * 1024, 3);
      console.log(`      64 KiB vs 4 KiB text nodes, time per character: ours x${oursRatio.toFixed(2)}, ltx x${ltxRatio.toFixed(1)}`);
      assert.ok(ltxRatio > 10, `the measurement should see ltx's quadratic cost (ratio ${ltxRatio})`);
      assert.ok(oursRatio < 3, `our ratio ${oursRatio} should stay near 1`);
    });

    it("an element kept does not keep the socket read it came in (V8 substrings are views of their string)", () => {
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as () => void;
      const parser = ours();
      const kept: Element[] = [];
      parser.on("element", (el: Element) => kept.push(el));
      parser.write(STREAM_HEADER);
      const reads = 200;
      const pad = " ".repeat(64 * 1024); // whitespace between stanzas: dropped, but part of the read
      gc();
      const before = getHeapStatistics().used_heap_size;
      for (let i = 0; i < reads; i++) {
        parser.write(`${pad}<iq type='result' id='result-${i}-with-an-id-long-enough-to-be-sliced' to='alice@localhost/a'><query xmlns='jabber:iq:version'><name>a name long enough</name></query></iq>`);
      }
      gc();
      const grown = getHeapStatistics().used_heap_size - before;
      assert.equal(kept.length, reads);
      assert.equal(kept[7].attrs.id, "result-7-with-an-id-long-enough-to-be-sliced");
      assert.equal(kept[7].getChild("query")!.getChildText("name"), "a name long enough");
      // kept reads would be 200 x 64 KiB = 12.5 MiB; the elements themselves are a few hundred KiB
      assert.ok(grown < 3 * 1024 * 1024, `heap grew by ${(grown / 1024 / 1024).toFixed(1)} MiB for ${reads} small elements`);
    });

    it("parses every stanza of a long IBB stream", () => {
      const chunks = ibbStreamChunks(43 * 1024, 4 * 1024 * 1024, 65536);
      const { elements } = timeParse(() => ours(), chunks);
      assert.equal(elements, chunks.join("").split("<iq ").length - 1);
    });
  });
});
