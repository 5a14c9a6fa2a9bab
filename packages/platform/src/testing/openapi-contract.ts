// Whether an answer a service really sent is one its OpenAPI document describes for that
// operation: the status, and the content type under it. The contract tests send requests that
// reach each error path and hold every answer against the document, like a generated client.

interface OpenapiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }> }>>;
}

export interface SentAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
}

/**
 * Why the document does not describe this answer to `method path` (path as in the document,
 * e.g. /catalog/products/{id}), or null when it does: the operation lists the status, with the
 * answer's media type, and every header it documents for that status is present.
 */
export function undocumented(document: OpenapiDocument, method: string, path: string, answer: SentAnswer): string | null {
  const operation = document.paths[path]?.[method.toLowerCase()];
  if (!operation) return `${method} ${path} is not in the document`;
  const response = operation.responses?.[String(answer.statusCode)];
  if (!response) return `${method} ${path} does not document ${answer.statusCode} (documents ${Object.keys(operation.responses ?? {}).join(', ')})`;
  const mediaType = String(answer.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const documented = Object.keys(response.content ?? {});
  if (mediaType && !documented.includes(mediaType)) return `${method} ${path} ${answer.statusCode} is sent as ${mediaType} but documented as ${documented.join(', ') || 'no content'}`;
  const missing = Object.keys(response.headers ?? {}).filter((name) => answer.headers[name.toLowerCase()] === undefined);
  if (missing.length) return `${method} ${path} ${answer.statusCode} documents ${missing.join(', ')} but was sent without`;
  return null;
}
