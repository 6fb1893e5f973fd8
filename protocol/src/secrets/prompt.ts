// Asks for a secret at the terminal without echoing it (raw mode: the line discipline neither
// echoes nor turns Ctrl-C into SIGINT, so both are handled here). Only for a TTY stdin.
import type { ReadStream } from "node:tty";

export class PromptCancelled extends Error {
  constructor() {
    super("cancelled at the prompt");
    this.name = "PromptCancelled";
  }
}

export function promptSecret(question: string, input: ReadStream = process.stdin as ReadStream, output: NodeJS.WritableStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed: string[] = []; // code points, so that backspace removes a whole character
    const finish = (err?: Error) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(typed.join(""));
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003" || (ch === "\u0004" && typed.length === 0)) return finish(new PromptCancelled()); // Ctrl-C, Ctrl-D
        if (ch === "\u0004") return finish();
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else if (ch === "\u0015") typed = []; // Ctrl-U: start over
        else if (ch >= " ") typed.push(ch);
      }
    };
    output.write(question);
    input.setEncoding("utf8");
    input.setRawMode(true);
    input.on("data", onData);
    input.resume();
  });
}
