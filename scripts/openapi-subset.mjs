/**
 * The part of the `/v1` OpenAPI document the TypeScript client (client/) is
 * typed from: its operations and every component they reach through `$ref`.
 * Shared by `npm run client:types` (which generates client/schema.d.ts from it
 * and stamps the file with its hash) and the test that checks the stamp, so
 * the types are stale only when something the client uses changed.
 */

/** The operations of the client, by operationId. */
export const CLIENT_OPERATIONS = ["createReservation", "commitReservation", "releaseReservation", "recordUsage", "getBudget"];

/**
 * The document with only the client's operations and the components they refer to.
 * @param {Record<string, any>} doc the `/v1` document (openapi/v1.json)
 * @returns {Record<string, any>}
 */
export function clientDocument(doc) {
  const paths = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const kept = Object.fromEntries(Object.entries(item).filter(([, op]) => CLIENT_OPERATIONS.includes(op?.operationId)));
    if (Object.keys(kept).length > 0) paths[path] = kept;
  }
  // Components reached from the kept paths, transitively.
  const wanted = new Set();
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith("#/components/") && !wanted.has(v)) {
        wanted.add(v);
        const [, , kind, name] = v.split("/");
        visit(doc.components?.[kind]?.[name]);
      } else visit(v);
    }
  };
  visit(paths);
  const components = {};
  for (const [kind, entries] of Object.entries(doc.components ?? {})) {
    const keep = Object.entries(entries).filter(([name]) => wanted.has(`#/components/${kind}/${name}`) || kind === "securitySchemes");
    if (keep.length > 0) components[kind] = Object.fromEntries(keep);
  }
  return { openapi: doc.openapi, info: doc.info, servers: doc.servers, security: doc.security, paths, components };
}
