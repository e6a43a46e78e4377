// A popup sign-in (auth0-spa-js loginWithPopup()) that is over: the app that opened the popup is told,
// as oidc-provider's web_message answer tells it an error (OAuth 2.0 Web Message Response Mode: an
// `authorization_response` posted to the redirect_uri's origin), instead of being left to report
// "Popup closed". The origin is the one insole recorded when the sign-in started (src/http/popup-cookie.ts).
(() => {
  const origin = document.currentScript?.dataset.origin;
  if (!origin || !window.opener) return;
  const said = document.querySelector('[role="alert"], [role="status"]')?.textContent?.trim() ?? '';
  const response = { error: 'login_required', error_description: said || 'This sign-in has expired. Please start again.' };
  window.opener.postMessage({ type: 'authorization_response', response }, origin);
})();
