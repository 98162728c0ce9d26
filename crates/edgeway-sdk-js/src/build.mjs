// Builds a JavaScript handler folder into a component of the `http-handler` world, with
// componentize-js's API (never its AOT option, which downloads a tool):
//
//   node build.mjs <tools dir> <handler dir> <wit dir> <world> <output.wasm>
//
// The tools dir holds node_modules with @bytecodealliance/componentize-js. The handler's
// module is `main` of its package.json (default index.js) and its export `handler`, unless
// package.json says otherwise: `"edgeway": { "handler": "app.main" }` (Lambda's notation).
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [tools, handlerDir, witDir, world, output] = process.argv
  .slice(2)
  .map((arg, i) => (i === 3 ? arg : resolve(arg)));
if (!output) {
  console.error("usage: node build.mjs <tools dir> <handler dir> <wit dir> <world> <output.wasm>");
  process.exit(2);
}

const entryPoint = await handlerEntry(handlerDir);
const work = await mkdtemp(join(tmpdir(), "edgeway-js-"));
try {
  // componentize-js resolves the entry's imports inside the folder it is run from.
  await cp(handlerDir, join(work, "handler"), {
    recursive: true,
    filter: (source) => !["node_modules", ".git"].includes(basename(source)),
  });
  await cp(new URL("./lambda.js", import.meta.url), join(work, "edgeway-lambda.js"));
  await writeFile(
    join(work, "entry.js"),
    `import { ${entryPoint.name} as lambda } from "./handler/${entryPoint.file}";
import { invoke } from "./edgeway-lambda.js";

// The contract's export: a returned value is \`ok\`, a thrown one is \`err\`.
export const handler = {
  async handle(request) {
    const { response, problem } = await invoke(lambda, request);
    if (problem) throw problem;
    return response;
  },
};
`,
  );
  const componentize = join(tools, "node_modules/@bytecodealliance/componentize-js/src/componentize.js");
  const { componentize: build } = await import(pathToFileURL(componentize).href);
  process.chdir(work);
  const { component } = await build({
    sourcePath: join(work, "entry.js"),
    witPath: witDir,
    worldName: world,
    // No outgoing HTTP from handlers: fewer imports, a smaller instance.
    disableFeatures: ["http", "fetch-event"],
  });
  await writeFile(output, component);
} finally {
  await rm(work, { recursive: true, force: true });
}

/** `{ file, name }` of the handler function. */
async function handlerEntry(dir) {
  let manifest = {};
  try {
    manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
  const spec = manifest.edgeway?.handler;
  if (spec) {
    const dot = spec.lastIndexOf(".");
    const module = spec.slice(0, dot);
    return { file: /\.[cm]?js$/.test(module) ? module : `${module}.js`, name: spec.slice(dot + 1) };
  }
  return { file: (manifest.main ?? "index.js").replace(/^\.\//, ""), name: "handler" };
}
