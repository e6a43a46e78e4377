/*
 * Custom claims for the storefront and its API. Auth0 requires namespaced claim names (a URL you
 * control), so they never collide with OpenID Connect's; insole leaves others out of the tokens.
 * `context.idToken` claims go to the ID token, `context.accessToken` claims to JWT access tokens
 * (requested with `audience`).
 */
function (user, context, callback) {
  var moment = require('moment');
  var namespace = 'https://innovashoes.example/';

  context.idToken[namespace + 'member_since'] = moment(user.created_at).format('YYYY-MM-DD');
  context.idToken[namespace + 'logins_count'] = context.stats.loginsCount;
  context.accessToken[namespace + 'email'] = user.email;
  if (user.user_metadata && user.user_metadata.fullcontact && user.user_metadata.fullcontact.ageRange) {
    context.accessToken[namespace + 'age_range'] = user.user_metadata.fullcontact.ageRange;
  }
  callback(null, user, context);
}
