/**
 * Starts Swagger UI (loaded before this module by docs.html from the gateway itself) on /openapi.json.
 * No validator badge: it would send the document to an outside service.
 */
declare const SwaggerUIBundle: (opts: Record<string, unknown>) => unknown;

SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: false,
});
