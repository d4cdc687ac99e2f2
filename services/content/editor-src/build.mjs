// Bundles src/ into ../static/rich-editor.js (one classic script that sets window.RichEditor)
// and ../static/rich-editor.css. Run by scripts/bootstrap.sh after `npm ci`; prints the sizes.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static");
const manifest = (name) => JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8"));

const common = {
  bundle: true,
  minify: true,
  charset: "utf8", // Vietnamese labels as they are, not \u escapes; served as UTF-8
  // static/ is served file by file (services/content/entrypoints/pages.py, Assets): no source
  // map or licence file beside the bundle; the licences are named in its first comment.
  sourcemap: false,
  legalComments: "none",
  metafile: true,
  write: false,
  logLevel: "warning",
  target: ["chrome100", "firefox100", "safari15", "edge100"],
};

/** One comment naming every npm package inside the bundle, with its version and licence. */
function notice(metafile) {
  const names = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const found = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (found) names.add(found[1]);
  }
  const listed = [...names].sort().map((name) => {
    const { version, license } = manifest(name);
    return `${name} ${version} (${license})`;
  });
  return `/*! rich-editor.js, built from services/content/editor-src. Contains: ${listed.join(", ")}. */\n`;
}

async function bundle(entry, name, options = {}) {
  const result = await esbuild.build({ ...common, ...options, entryPoints: [join(here, entry)], outfile: join(out, name) });
  const text = (name.endsWith(".js") ? notice(result.metafile) : "") + result.outputFiles[0].text;
  writeFileSync(join(out, name), text);
  const size = Buffer.byteLength(text);
  const gzipped = gzipSync(text, { level: 9 }).length;
  console.log(`    ${name}: ${(size / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
}

await bundle("src/index.js", "rich-editor.js", {
  format: "iife",
  define: { __TIPTAP_VERSION__: JSON.stringify(manifest("@tiptap/core").version) },
});
await bundle("src/rich-editor.css", "rich-editor.css");
