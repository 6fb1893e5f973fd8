#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=10
// Plain JS so that npm can link the `xft-component` command at install time, before TypeScript
// has built dist/ (npm does not link a bin whose file does not exist yet).
//
// The V8 flags keep the component's memory near what it really holds. Streaming IBB blocks makes
// mostly short-lived garbage (base64 text, decoded blocks), and by default V8 lets its young
// generation grow to 2 x 16 MiB and the old one to 1.5x (or more) what survived before it
// collects: 105-135 MiB RSS for under 20 MiB live (121-128 MiB for 100 concurrent uploads with the
// component alone, 4d66a6f). With these: 73-91 MiB, for ~15 % more CPU in
// the component (component/README.md, "Memory"). They must be on node's command line (node
// refuses --heap-growing-percent in NODE_OPTIONS, and V8 reads both only at start), hence the
// shebang; `node --max-semi-space-size=2 --heap-growing-percent=10 bin/xft-component.js` is the
// same when node is started by hand.
import("../dist/cli/xft-component.js").catch((err) => {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/xft-component.js")) {
    process.stderr.write("xft-component: not built yet: run 'npm run build' in the repository first\n");
    process.exit(2);
  }
  throw err;
});
