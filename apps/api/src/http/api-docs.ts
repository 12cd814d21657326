// The readable reference at /api/docs, rendered on the server from the OpenAPI document: plain
// HTML and CSS, no scripts or CDN, so it works offline and behind a strict CSP.

interface Operation {
  summary: string;
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean; schema: unknown; description?: string }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
}

interface Document {
  info: { title: string; description: string; version: string };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, object>>;
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function schemaText(schema: unknown): string {
  return escape(JSON.stringify(schema, null, 2));
}

function operationHtml(path: string, method: string, operation: Operation): string {
  const rows = operation.parameters
    .map(
      (p) =>
        `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : ''}</td>` +
        `<td><pre>${schemaText(p.schema)}</pre>${p.description ? escape(p.description) : ''}</td></tr>`,
    )
    .join('');
  const body = operation.requestBody?.content['application/json']?.schema;
  return `<section id="${escape(operation.operationId)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p>${escape(operation.summary)} <small>(procedure <code>${escape(operation.operationId)}</code>)</small></p>
${rows ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${rows}</table>` : ''}
${body ? `<p>JSON body:</p><pre>${schemaText(body)}</pre>` : ''}
</section>`;
}

export function renderApiReference(document: Document): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => operationHtml(path, method, operation as Operation)),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(document.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
pre{background:#f5f5f5;padding:.5rem;overflow:auto;font-size:12px;margin:0}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3rem;vertical-align:top;text-align:left}
.method{display:inline-block;padding:0 .4rem;border-radius:3px;color:#fff;font-size:13px}.get{background:#2a7}.post{background:#27c}
section{border-top:1px solid #eee;margin-top:1.5rem}
</style></head><body>
<h1>${escape(document.info.title)} <small>v${escape(document.info.version)}</small></h1>
<p>${escape(document.info.description)}</p>
<p>Base URL: <code>${escape(document.servers[0]?.url ?? '/api/v1')}</code> · machine-readable:
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1) · errors answer
<code>{"error": {"code", "httpStatus", "message"}}</code> with a stable code.</p>
${operations.join('\n')}
</body></html>`;
}
