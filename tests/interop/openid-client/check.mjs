// openid-client 6 against a running tokendealer: the client-credentials grant with
// client_secret_post and client_secret_basic, each with the right secret (a token) and a wrong
// one (reported as `invalid_client` the way this library surfaces it). Issue 21: a Basic
// challenge after a form authentication hid the error from `e.error`.
//
//   TOKENDEALER_CLIENT_SECRET=... node check.mjs http://127.0.0.1:PORT CLIENT_ID [AUDIENCE]
//
// Prints one line per check; exits 1 if any failed. The secret comes from the environment so
// that it is not on a command line.
import * as client from 'openid-client';

const [url, clientId, audience] = process.argv.slice(2);
const secret = process.env.TOKENDEALER_CLIENT_SECRET;
if (!url || !clientId || !secret) {
  console.error('usage: TOKENDEALER_CLIENT_SECRET=... node check.mjs URL CLIENT_ID [AUDIENCE]');
  process.exit(2);
}

const methods = {
  client_secret_post: client.ClientSecretPost,
  client_secret_basic: client.ClientSecretBasic,
};

// RFC 8414 metadata (`algorithm: 'oauth2'`), plain HTTP allowed: the dealer runs on loopback.
async function configure(id, clientSecret, method) {
  return client.discovery(new URL(url), id, undefined, methods[method](clientSecret), {
    algorithm: 'oauth2',
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
}

async function grant(id, clientSecret, method) {
  const config = await configure(id, clientSecret, method);
  return client.clientCredentialsGrant(config, audience ? { audience } : {});
}

// The `invalid_client` this library reports, and how: in the JSON body (ResponseBodyError,
// `e.error`), or as the parameter of a WWW-Authenticate challenge
// (WWWAuthenticateChallengeError, `e.cause[i].parameters.error`).
function reportedError(e) {
  if (e instanceof client.ResponseBodyError) {
    return { how: 'body', status: e.status, error: e.error };
  }
  if (e instanceof client.WWWAuthenticateChallengeError) {
    const basic = e.cause.find((c) => c.scheme === 'basic');
    return { how: 'challenge', status: e.status, error: basic?.parameters?.error };
  }
  return { how: `${e?.name}: ${e?.message}`, status: undefined, error: undefined };
}

let failed = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed += 1;
}

// client_secret_post must be reported in the body; client_secret_basic as the challenge's
// parameter (openid-client checks the challenge before the body).
const expectedHow = { client_secret_post: 'body', client_secret_basic: 'challenge' };

for (const method of Object.keys(methods)) {
  try {
    const tokens = await grant(clientId, secret, method);
    const ok = typeof tokens.access_token === 'string' && tokens.token_type === 'bearer';
    check(`${method}: the right secret gets a token`, ok, JSON.stringify(tokens));
  } catch (e) {
    check(`${method}: the right secret gets a token`, false, `${e?.name}: ${e?.message}`);
  }
  for (const [who, id, clientSecret] of [
    ['a wrong secret', clientId, `${secret}x`],
    ['an unknown client', `${clientId}-unknown`, secret],
  ]) {
    const what = `${method}: ${who} is reported as invalid_client`;
    try {
      await grant(id, clientSecret, method);
      check(what, false, 'a token was issued');
    } catch (e) {
      const seen = reportedError(e);
      const ok =
        seen.error === 'invalid_client' && seen.status === 401 && seen.how === expectedHow[method];
      check(what, ok, JSON.stringify(seen));
    }
  }
}

process.exit(failed === 0 ? 0 : 1);
