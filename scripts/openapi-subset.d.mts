/** The operations of the client, by operationId. */
export declare const CLIENT_OPERATIONS: readonly string[];
/** The document with only the client's operations and the components they refer to. */
export declare function clientDocument(doc: Record<string, unknown>): Record<string, unknown>;
