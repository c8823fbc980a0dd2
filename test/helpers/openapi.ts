/** Reading the worker's OpenAPI documents and checking what every operation must declare. */
import type { OpenAPIDocument } from "../../src/openapi/document";
import { call } from "./guard";

/** Where the worker serves each document, and the committed snapshot of it. */
export const DOCUMENTS = [
  { name: "admin", url: "/admin/v1/openapi.json", file: "../../openapi/admin.json" },
  { name: "v1", url: "/v1/openapi.json", file: "../../openapi/v1.json" },
] as const;

/** A document as the worker serves it. */
export async function fetchDocument(url: string): Promise<OpenAPIDocument> {
  const res = await call(url);
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as OpenAPIDocument;
}

/** One operation of a document. */
export interface Operation {
  method: string;
  path: string;
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/** Every operation, in document order. */
export function operations(doc: OpenAPIDocument): Operation[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = (item as Record<string, Operation | undefined>)[method];
      return op ? [{ ...op, method, path }] : [];
    }),
  );
}

/**
 * What is missing from the operations: an operationId (camelCase, unique), a summary, a security
 * requirement (the operation's own or the document's) naming only declared schemes. Empty when fine.
 */
export function operationProblems(doc: OpenAPIDocument): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const schemes = new Set(Object.keys(doc.components?.securitySchemes ?? {}));
  for (const op of operations(doc)) {
    const at = `${op.method.toUpperCase()} ${op.path}`;
    if (!op.operationId) problems.push(`${at}: no operationId`);
    else if (!/^[a-z][A-Za-z0-9]*$/.test(op.operationId)) problems.push(`${at}: operationId ${op.operationId} is not camelCase`);
    else if (seen.has(op.operationId)) problems.push(`${at}: operationId ${op.operationId} is used twice`);
    if (op.operationId) seen.add(op.operationId);
    if (!op.summary?.trim()) problems.push(`${at}: no summary`);
    const security = op.security ?? doc.security ?? [];
    if (security.length === 0) problems.push(`${at}: no security requirement`);
    for (const name of security.flatMap((r) => Object.keys(r))) {
      if (!schemes.has(name)) problems.push(`${at}: security scheme ${name} is not declared`);
    }
  }
  return problems;
}
