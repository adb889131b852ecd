// /schema: starts the vendored Swagger UI on the app's OpenAPI document (backend/core/api_docs.py).
// A file of its own rather than an inline script, so the page keeps the pages' strict CSP.

const root = document.getElementById("api-docs");

window.SwaggerUIBundle({
  url: root.dataset.specUrl,
  domNode: root,
  deepLinking: true,
  // The default sends the document to validator.swagger.io for a badge: no outside requests.
  validatorUrl: null,
  // The API is read-only; "Try it out" on a form route would only meet the CSRF check.
  supportedSubmitMethods: ["get"],
});
