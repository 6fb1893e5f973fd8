// Preferences follow the user: `xft prefs` keeps them in XEP-0049 private storage on a real
// server (Prosody, ejabberd), every login (any device, any process) reads what the last one wrote, every key
// survives the server, and an independent client (slixmpp) reads and writes the same element.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { NS_PREFS, PREFS_ELEMENT } from "@xft/client-plugin/prefs/preferences.js";
import { makePrivateGet, makePrivateSet, parsePrivateResult } from "@xft/client-plugin/xep0049/private.js";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, execXft, type CliResult } from "../helpers/cli.js";
import { removeDir, tempDir } from "../helpers/files.js";
import { openTestAccount } from "../helpers/account.js";

const DEFAULT_LINES = "auto-retransfer=true\nauto-receive=false\noffline-forward=true\nconfirm-timeout=60\ncomponent=\n";
const SLIXMPP_PREFS = fileURLToPath(new URL("../../interop/slixmpp_prefs.py", import.meta.url)); // same from src/ and dist/
// Debian's python3-slixmpp is installed for the system interpreter only, not for a python3 on PATH.
const SYSTEM_PYTHON = "/usr/bin/python3";

function ok(run: CliResult, what: string): string {
  assert.equal(run.code, 0, `${what}: exit ${run.code}, stderr: ${run.stderr}`);
  assert.equal(run.stderr, "", `${what}: nothing on stderr`);
  return run.stdout;
}

for (const kind of SERVER_KINDS) describe(`xft prefs through ${serverName(kind)} (XEP-0049 private storage)`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let n = 0;

  before(async () => {
    server = await startServer(kind);
  });
  after(async () => {
    await server?.stop();
  });

  /** A fresh account; `device(resource)` gives the env of one of its devices. */
  async function newUser() {
    const user = `user${++n}`;
    await server.register(user, `${user}pass`);
    const bare = `${user}@${server.host}`;
    return {
      user, bare, password: `${user}pass`,
      device: (resource: string) => accountEnv(`${bare}/${resource}`, `${user}pass`, server.service),
    };
  }

  /** What the server holds, read over a raw XEP-0049 get (not through our parser). */
  async function storedElement(jid: string, password: string) {
    const account = await openTestAccount({ jid, password, service: server.service });
    try {
      const result = await account.port.request(makePrivateGet(PREFS_ELEMENT, NS_PREFS));
      return parsePrivateResult(result, PREFS_ELEMENT, NS_PREFS);
    } finally {
      await account.close();
    }
  }

  /** Stores an element as another client would, over a raw XEP-0049 set. */
  async function storeRaw(jid: string, password: string, el: Element) {
    const account = await openTestAccount({ jid, password, service: server.service });
    try {
      await account.port.request(makePrivateSet(el));
    } finally {
      await account.close();
    }
  }

  it("a fresh account shows the defaults", async () => {
    const u = await newUser();
    assert.equal(ok(await execXft(["prefs", "get"], u.device("phone")), "prefs get"), DEFAULT_LINES);
  });

  it("a value set on one device is what the next login on any device sees", async () => {
    const u = await newUser();
    const set = ok(await execXft(["prefs", "set", "auto-receive=true", "confirm-timeout=120"], u.device("phone")), "set on phone");
    assert.equal(set, "auto-retransfer=true\nauto-receive=true\noffline-forward=true\nconfirm-timeout=120\ncomponent=\n");
    // another device, another process, another login
    assert.equal(ok(await execXft(["prefs", "get"], u.device("laptop")), "get on laptop"), set);
    // changed on the laptop: the phone's next login sees the change, and the earlier values stay
    ok(await execXft(["prefs", "set", "confirm-timeout=30"], u.device("laptop")), "set on laptop");
    const json = JSON.parse(ok(await execXft(["prefs", "get", "--json"], u.device("phone")), "get on phone"));
    assert.deepEqual(json, { "auto-retransfer": true, "auto-receive": true, "offline-forward": true, "confirm-timeout": 30, component: null });
  });

  it("every key round-trips through the real server as child text (nothing dropped)", async () => {
    const u = await newUser();
    const all = ["auto-retransfer=false", "auto-receive=true", "offline-forward=false", "confirm-timeout=86400", `component=files.${server.host}`];
    const set = JSON.parse(ok(await execXft(["prefs", "set", ...all, "--json"], u.device("a")), "set"));
    const expected = { "auto-retransfer": false, "auto-receive": true, "offline-forward": false, "confirm-timeout": 86400, component: `files.${server.host}` };
    assert.deepEqual(set, expected);
    assert.deepEqual(JSON.parse(ok(await execXft(["prefs", "get", "--json"], u.device("b")), "get")), expected);

    const el = await storedElement(u.bare, u.password);
    assert.ok(el, "the server holds the element");
    assert.equal(el.attrs.xmlns, NS_PREFS, "explicit xmlns on the stored element");
    const children = el.getChildElements();
    assert.deepEqual(children.map((c) => `${c.name}=${c.getText()}`), all);
    for (const c of children) assert.deepEqual(Object.keys(c.attrs).filter((a) => a !== "xmlns"), [], `<${c.name}/> has no attributes`);

    // and back to the defaults, the component unset
    const reset = ["auto-retransfer=true", "auto-receive=false", "offline-forward=true", "confirm-timeout=60", "component="];
    assert.equal(ok(await execXft(["prefs", "set", ...reset], u.device("a")), "reset"), DEFAULT_LINES);
    assert.equal(ok(await execXft(["prefs", "get"], u.device("b")), "get after reset"), DEFAULT_LINES);
  });

  it("prefs set bogus=1: exit 2, one line on stderr, nothing stored", async () => {
    const u = await newUser();
    ok(await execXft(["prefs", "set", "auto-receive=true"], u.device("a")), "set");
    const bad = await execXft(["prefs", "set", "confirm-timeout=10", "bogus=1"], u.device("a"));
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr, /^xft: unknown preference "bogus" \(known: auto-retransfer, auto-receive, offline-forward, confirm-timeout, component\)\n$/);
    const badValue = await execXft(["prefs", "set", "confirm-timeout=0"], u.device("a"));
    assert.equal(badValue.code, 2);
    assert.match(badValue.stderr, /^xft: confirm-timeout must be a whole number of seconds from 1 to 86400 \(got "0"\)\n$/);
    // the valid assignment before the bad one was not saved either
    assert.match(ok(await execXft(["prefs", "get"], u.device("a")), "get"), /^auto-retransfer=true\nauto-receive=true\noffline-forward=true\nconfirm-timeout=60\n/m);
  });

  it("override flags reach the effective preferences; the stored values stay", async () => {
    const u = await newUser();
    const env = u.device("a");
    const got = ok(await execXft(["prefs", "get", "--no-auto-retransfer", "--auto-receive", "--confirm-timeout", "5", "--component", "store@example.org"], env), "get with overrides");
    assert.equal(got, "auto-retransfer=false\nauto-receive=true\noffline-forward=true\nconfirm-timeout=5\ncomponent=store@example.org\n");
    assert.equal(ok(await execXft(["prefs", "get"], env), "get"), DEFAULT_LINES, "stored values unchanged");
    assert.equal(await storedElement(u.bare, u.password).then((el) => el?.children.length ?? 0), 0, "a get writes nothing");
    // --component '' means "discover" for this run even when one is stored
    ok(await execXft(["prefs", "set", "component=files.example.org"], env), "set component");
    assert.match(ok(await execXft(["prefs", "get", "--component", ""], env), "get --component ''"), /\ncomponent=\n$/);
    const bad = await execXft(["prefs", "get", "--confirm-timeout", "0"], env);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.split("\n").length, 2, "one line");
  });

  it("a bad value another client stored: a warning and its default; prefs set repairs it and keeps unknown children", async () => {
    const u = await newUser();
    await storeRaw(u.bare, u.password, xml(PREFS_ELEMENT, { xmlns: NS_PREFS },
      xml("auto-receive", {}, "true"), xml("confirm-timeout", {}, "soon"), xml("theme", {}, "dark"), xml("x", { xmlns: "urn:example:other" }, "1")));
    const got = await execXft(["prefs", "get"], u.device("a"));
    assert.equal(got.code, 0);
    assert.equal(got.stdout, "auto-retransfer=true\nauto-receive=true\noffline-forward=true\nconfirm-timeout=60\ncomponent=\n");
    assert.match(got.stderr, /^xft: warning: stored preference ignored, using its default: confirm-timeout must be a whole number .*"soon"/);
    assert.equal(got.stderr.split("\n").length, 2, "one line");

    const set = await execXft(["prefs", "set", "confirm-timeout=30"], u.device("a"));
    assert.equal(set.code, 0, set.stderr);
    const el = await storedElement(u.bare, u.password);
    assert.deepEqual(el?.getChildElements().map((c) => `${c.name}=${c.getText()}`),
      ["auto-retransfer=true", "auto-receive=true", "offline-forward=true", "confirm-timeout=30", "theme=dark", "x=1"]);
    assert.equal(el?.getChild("x", "urn:example:other")?.getText(), "1", "the foreign child keeps its namespace");
    assert.equal(ok(await execXft(["prefs", "get"], u.device("b")), "get after repair"),
      "auto-retransfer=true\nauto-receive=true\noffline-forward=true\nconfirm-timeout=30\ncomponent=\n");
  });

  it("send and receive read the stored preferences at login without a word on stderr", async () => {
    // transfer behaviour does not use them yet; a receive that times out at once proves the
    // login path (load + merge) runs clean with stored values and override flags
    const u = await newUser();
    ok(await execXft(["prefs", "set", "auto-receive=true", "component=files.example.org"], u.device("a")), "set");
    const dir = await tempDir();
    const run = await execXft(["receive", "--dir", dir, "--timeout", "1", "--no-auto-receive", "--confirm-timeout", "9"], u.device("b"))
      .finally(() => removeDir(dir));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^xft: receiving as /);
    assert.doesNotMatch(run.stderr, /warning/);
  });

  describe("interop: slixmpp (python3-slixmpp) reads and writes the same element", () => {
    before(async function () {
      try {
        await promisify(execFile)(SYSTEM_PYTHON, ["-c", "import slixmpp"]);
      } catch (err: any) {
        throw new Error(`${SYSTEM_PYTHON} cannot import slixmpp (apt-get install -y python3-slixmpp): ${err?.stderr ?? err?.message}`);
      }
    });

    async function slixmpp(u: { bare: string; password: string }, ...args: string[]): Promise<Record<string, unknown>> {
      const port = String(server.c2sPort);
      const { stdout } = await promisify(execFile)(
        SYSTEM_PYTHON, [SLIXMPP_PREFS, "--jid", `${u.bare}/slixmpp`, "--password", u.password, "--host", "127.0.0.1", "--port", port,
          ...(server.caFile ? ["--ca", server.caFile] : []), ...args],
        { timeout: 60_000 },
      );
      return JSON.parse(stdout);
    }

    it("slixmpp reads what xft set, and xft reads what slixmpp wrote", async () => {
      const u = await newUser();
      ok(await execXft(["prefs", "set", "auto-retransfer=false", "auto-receive=true", "offline-forward=false", "confirm-timeout=300",
        `component=files.${server.host}`], u.device("a")), "xft set");
      assert.deepEqual(await slixmpp(u, "get"), {
        "auto-retransfer": "false", "auto-receive": "true", "offline-forward": "false", "confirm-timeout": "300",
        component: `files.${server.host}`, unknown: [],
      });

      // slixmpp changes two values and removes the component
      const written = await slixmpp(u, "set", "confirm-timeout=45", "auto-receive=false", "component=");
      assert.deepEqual(written, { "auto-retransfer": "false", "auto-receive": "false", "offline-forward": "false", "confirm-timeout": "45", unknown: [] });
      const json = JSON.parse(ok(await execXft(["prefs", "get", "--json"], u.device("b")), "xft get"));
      assert.deepEqual(json, { "auto-retransfer": false, "auto-receive": false, "offline-forward": false, "confirm-timeout": 45, component: null });
    });

    it("an element slixmpp created from nothing is read by xft; defaults fill the rest", async () => {
      const u = await newUser();
      assert.deepEqual(await slixmpp(u, "get"), { unknown: [] });
      await slixmpp(u, "set", "auto-receive=1");
      assert.equal(ok(await execXft(["prefs", "get"], u.device("a")), "xft get"),
        "auto-retransfer=true\nauto-receive=true\noffline-forward=true\nconfirm-timeout=60\ncomponent=\n");
    });
  });
});
