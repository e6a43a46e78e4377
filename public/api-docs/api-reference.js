// Starts Swagger UI on the page's own OpenAPI document. A file, not an inline script: the CSP allows
// scripts from 'self' only. No validator badge (it would call an outside service): the page works offline.
window.addEventListener('DOMContentLoaded', function () {
  var root = document.getElementById('api-reference');
  var scheme = ['components', 'securitySchemes', 'management_api'];

  // Auth0's token endpoint names the API with `audience`, which Swagger UI's client-credentials form
  // does not send: add it (from the document) to the token request, so "Authorize" then "Try it out" work.
  function withAudience(request) {
    var spec = window.ui && window.ui.specSelectors.specJson();
    var tokenUrl = spec && spec.getIn(scheme.concat(['flows', 'clientCredentials', 'tokenUrl']));
    var audience = spec && spec.getIn(scheme.concat(['x-audience']));
    if (audience && request.url === tokenUrl && typeof request.body === 'string' && !/(^|&)audience=/.test(request.body)) {
      request.body += '&audience=' + encodeURIComponent(audience);
    }
    return request;
  }

  window.ui = SwaggerUIBundle({
    url: new URL(root.dataset.document, document.baseURI).href,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    defaultModelsExpandDepth: 1,
    displayOperationId: true,
    requestInterceptor: withAudience,
  });
});
