/*
 * Profile enrichment with FullContact, as in Auth0's "Powering User Analytics With Identity"
 * article, on FullContact's current API (v3 person.enrich). Runs once per user: the result is kept
 * in user_metadata.fullcontact (age, gender, location, social profiles, interests).
 *
 * Settings: RULE_CONFIG_FULLCONTACT_KEY (the API key). Optional: RULE_CONFIG_FULLCONTACT_URL.
 */
function (user, context, callback) {
  var FULLCONTACT_KEY = configuration.FULLCONTACT_KEY;
  var FULLCONTACT_URL = configuration.FULLCONTACT_URL || 'https://api.fullcontact.com/v3/person.enrich';

  // Nothing to look up without an email; nothing to do once the profile is enriched.
  if (!user.email) return callback(null, user, context);
  if (user.user_metadata && user.user_metadata.fullcontact) return callback(null, user, context);

  request.post({
    url: FULLCONTACT_URL,
    headers: {
      'Authorization': 'Bearer ' + FULLCONTACT_KEY
    },
    body: JSON.stringify({ email: user.email }),
    timeout: 4000
  }, function (error, response, body) {
    if (error || (response && response.statusCode !== 200)) {
      // FullContact does not know the shopper, or is down: sign in without enrichment.
      return callback(null, user, context);
    }

    // A match: keep the whole answer with the profile.
    user.user_metadata = user.user_metadata || {};
    user.user_metadata.fullcontact = JSON.parse(body);

    auth0.users.updateUserMetadata(user.user_id, user.user_metadata);
    return callback(null, user, context);
  });
}
