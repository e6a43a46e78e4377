/*
 * Twitter sentiment, as in Auth0's "Powering User Analytics With Identity" article: sends the
 * shopper's Twitter handle to the store's sentiment service once per user, and records it in
 * app_metadata (sentiment_initialized, and the service's answer in app_metadata.sentiment).
 * Run it after the FullContact rule: the handle comes from a Twitter sign-in or from FullContact.
 *
 * Settings: RULE_CONFIG_SENTIMENT_URL, RULE_CONFIG_SENTIMENT_SECRET.
 */
function (user, context, callback) {
  user.app_metadata = user.app_metadata || {};
  if (user.app_metadata.sentiment_initialized) {
    return callback(null, user, context);
  }

  var twitterHandle = getTwitterHandle(user);

  if (!twitterHandle) {
    return callback(null, user, context);
  }

  // The secret travels in the body: use an https:// URL in production.
  request.post({
    url: configuration.SENTIMENT_URL,
    json: {
      twitterHandle: twitterHandle,
      secret: configuration.SENTIMENT_SECRET
    },
    timeout: 4000
  }, function (err, response, body) {
    if (err) return callback(new Error(err));
    if (response.statusCode !== 200) return callback(new Error('sentiment service answered ' + response.statusCode));
    user.app_metadata.sentiment_initialized = true;
    user.app_metadata.sentiment = body;
    auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
      .then(function () {
        callback(null, user, context);
      })
      .catch(function (err) {
        callback(err);
      });
  });
}

function getTwitterHandle(user) {
  var signedInWithTwitter = (user.identities || []).some(function (identity) { return identity.provider === 'twitter'; });
  if (signedInWithTwitter && user.screen_name) return user.screen_name;

  var fullContactInfo = user.user_metadata.fullcontact || user.user_metadata.fullContactInfo || user.app_metadata.fullContactInfo;
  if (!fullContactInfo) return null;
  // FullContact v3: details.profiles.twitter; v2 (the article's): socialProfiles[].
  var profiles = fullContactInfo.details && fullContactInfo.details.profiles;
  if (profiles && profiles.twitter && profiles.twitter.username) return profiles.twitter.username;
  if (fullContactInfo.socialProfiles) {
    for (var key in fullContactInfo.socialProfiles) {
      if (fullContactInfo.socialProfiles[key].type === 'twitter') {
        return fullContactInfo.socialProfiles[key].username;
      }
    }
  }
  return null;
}
