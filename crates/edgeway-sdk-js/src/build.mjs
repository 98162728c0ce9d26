// Builds a JavaScript handler folder into a component of the `http-handler`,
// `event-handler` or `http-event-handler` world (with an `outbound-` prefix: with `fetch`),
// with componentize-js's API (never its AOT option, which downloads a tool):
//
//   node build.mjs <tools dir> <handler dir> <wit dir> <world> <output.wasm> [<node_modules>]
//
// The tools dir holds node_modules with @bytecodealliance/componentize-js and esbuild. The
// handler, the adapter and the packages it imports (from the optional node_modules folder,
// which `npm ci` filled from the handler's lockfile) are bundled by esbuild into one ES
// module, which componentize-js builds. The handler's
// module is `main` of its package.json (default index.js) and its export `handler`, unless
// package.json says otherwise: `"edgeway": { "handler": "app.main" }` (Lambda's notation).
// Events reach the same function, unless `"edgeway": { "events": "jobs.onEvent" }` names
// another.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [tools, handlerDir, witDir, world, output, packages] = process.argv
  .slice(2)
  .map((arg, i) => (i === 3 ? arg : resolve(arg)));
if (!output) {
  console.error("usage: node build.mjs <tools dir> <handler dir> <wit dir> <world> <output.wasm> [<node_modules>]");
  process.exit(2);
}

// An `outbound-` world is its plain one plus outbound HTTP, which the runtime's `fetch` brings
// itself (StarlingMonkey's `http` feature, importing wasi:http@0.2.10 as wit/ does).
const outbound = world.startsWith("outbound-");
const baseWorld = outbound ? world.slice("outbound-".length) : world;
const EXPORTS = {
  "http-handler": ["handler"],
  "event-handler": ["events"],
  "http-event-handler": ["handler", "events"],
}[baseWorld];
if (!EXPORTS) {
  console.error(`unknown world ${JSON.stringify(world)}: [outbound-]http-handler, event-handler or http-event-handler`);
  process.exit(2);
}

const entryPoints = await handlerEntries(handlerDir);
const work = await mkdtemp(join(tmpdir(), "edgeway-js-"));
try {
  // componentize-js resolves the entry's imports inside the folder it is run from.
  await cp(handlerDir, join(work, "handler"), {
    recursive: true,
    filter: (source) => !["node_modules", ".git"].includes(basename(source)),
  });
  await cp(new URL("./lambda.js", import.meta.url), join(work, "edgeway-lambda.js"));
  await writeFile(join(work, "entry.js"), entrySource(entryPoints, EXPORTS));
  await bundle(join(work, "entry.js"), join(work, "bundle.js"));
  const componentize = join(tools, "node_modules/@bytecodealliance/componentize-js/src/componentize.js");
  const { componentize: build } = await import(pathToFileURL(componentize).href);
  process.chdir(work);
  const { component } = await build({
    sourcePath: join(work, "bundle.js"),
    witPath: witDir,
    worldName: baseWorld,
    // Outgoing HTTP only for a handler granted hosts: fewer imports, a smaller instance.
    disableFeatures: outbound ? ["fetch-event"] : ["http", "fetch-event"],
  });
  await writeFile(output, component);
} finally {
  await rm(work, { recursive: true, force: true });
}

/** Bundles `entry` and everything it imports into the ES module `bundle`. */
async function bundle(entry, bundlePath) {
  const esbuild = join(tools, "node_modules/esbuild/lib/main.js");
  const { build } = await import(pathToFileURL(esbuild).href);
  try {
    await build({
      entryPoints: [entry],
      outfile: bundlePath,
      bundle: true,
      format: "esm",
      // StarlingMonkey is neither Node.js nor a browser: packages' "module"/"main" entries,
      // no Node.js built-ins.
      platform: "neutral",
      mainFields: ["module", "main"],
      nodePaths: packages ? [packages] : [],
      logLevel: "silent",
    });
  } catch (error) {
    const problems = (error.errors ?? []).map(
      ({ text, location }) => (location ? `${location.file}:${location.line}: ${text}` : text),
    );
    throw new Error(`bundling the handler failed:\n${problems.join("\n") || error.message}`);
  }
}

/** The entry module: the contract's exports, calling the handler's functions. */
function entrySource({ handler, events }, exports) {
  const imports = [];
  if (exports.includes("handler")) {
    imports.push(`import { ${handler.name} as lambda } from "./handler/${handler.file}";`);
  }
  if (exports.includes("events")) {
    imports.push(`import { ${events.name} as onEvent } from "./handler/${events.file}";`);
  }
  imports.push(`import { invoke, deliver } from "./edgeway-lambda.js";`);
  const parts = [imports.join("\n"), "// The contract's exports: a returned value is `ok`, a thrown one is `err`."];
  if (exports.includes("handler")) {
    parts.push(`export const handler = {
  async handle(request) {
    const { response, problem } = await invoke(lambda, request);
    if (problem) throw problem;
    return response;
  },
};`);
  }
  if (exports.includes("events")) {
    parts.push(`export const events = {
  async deliver(event) {
    const { error } = await deliver(onEvent, event);
    if (error !== undefined) throw error;
  },
};`);
  }
  return parts.join("\n\n") + "\n";
}

/** `{ handler, events }`, each `{ file, name }`: the functions for requests and events. */
async function handlerEntries(dir) {
  let manifest = {};
  try {
    manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
  const parse = (spec) => {
    const dot = spec.lastIndexOf(".");
    const module = spec.slice(0, dot);
    return { file: /\.[cm]?js$/.test(module) ? module : `${module}.js`, name: spec.slice(dot + 1) };
  };
  const handler = manifest.edgeway?.handler
    ? parse(manifest.edgeway.handler)
    : { file: (manifest.main ?? "index.js").replace(/^\.\//, ""), name: "handler" };
  const events = manifest.edgeway?.events ? parse(manifest.edgeway.events) : handler;
  return { handler, events };
}
