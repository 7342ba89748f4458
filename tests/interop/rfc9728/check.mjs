// A client that knows only a service's URL, on oauth4webapi (openid-client's engine), against
// tokendealer-client's protected_resource example and a running dealer: the service's 401 names
// its RFC 9728 metadata (`resource_metadata`), the same document is at RFC 9728 §3.1's location
// with `resource` = the service URL (§3.3), its authorization_servers[0] is the dealer, whose
// RFC 8414 metadata gives the token endpoint; a token for the service (RFC 8707 `resource`)
// then gets 200, a token for another audience 401.
//
//   TOKENDEALER_CLIENT_SECRET=... node check.mjs SERVICE_URL CLIENT_ID OTHER_AUDIENCE
//
// Prints one line per check; exits 1 if any failed.
import * as oauth from 'oauth4webapi';

const [serviceUrl, clientId, other] = process.argv.slice(2);
const secret = process.env.TOKENDEALER_CLIENT_SECRET;
if (!serviceUrl || !clientId || !other || !secret) {
  console.error('usage: TOKENDEALER_CLIENT_SECRET=... node check.mjs SERVICE_URL CLIENT_ID OTHER_AUDIENCE');
  process.exit(2);
}

let failed = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed += 1;
  return ok;
}
const describe = (e) => `${e?.name} ${e?.code ?? ''}: ${e?.message}`;
function done() {
  process.exit(failed === 0 ? 0 : 1);
}

const service = new URL(serviceUrl);
const insecure = { [oauth.allowInsecureRequests]: true, signal: AbortSignal.timeout(10_000) }; // loopback
const client = { client_id: clientId };
const auth = oauth.ClientSecretBasic(secret);

// 1. No token: the challenge names the metadata.
const bare = await fetch(service, { signal: AbortSignal.timeout(10_000) });
const challenge = bare.headers.get('www-authenticate') ?? '';
const named = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
if (!check('a call without a token is 401 naming resource_metadata', bare.status === 401 && named, `${bare.status} ${challenge}`)) done();

// 2. The document it names, and the one at RFC 9728 §3.1's location, `resource` checked by the
//    library (§3.3): the same.
let rs;
try {
  const fromChallenge = await (await fetch(named, { signal: AbortSignal.timeout(10_000) })).json();
  rs = await oauth.processResourceDiscoveryResponse(service, await oauth.resourceDiscoveryRequest(service, insecure));
  check('resourceDiscoveryRequest finds the document the challenge names', JSON.stringify(rs) === JSON.stringify(fromChallenge),
    `${JSON.stringify(rs)} vs ${JSON.stringify(fromChallenge)}`);
} catch (e) {
  check('resourceDiscoveryRequest finds the document the challenge names', false, describe(e));
  done();
}

// 3. The dealer, from authorization_servers[0] (RFC 8414 metadata, as RFC 9728 §3 says).
let as;
const issuer = new URL(rs.authorization_servers?.[0]);
try {
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  check(`the dealer's metadata from authorization_servers[0] (${issuer.href})`, typeof as.token_endpoint === 'string', JSON.stringify(as));
} catch (e) {
  check(`the dealer's metadata from authorization_servers[0] (${issuer.href})`, false, describe(e));
  done();
}

// 4. A token for the service and one for another audience; the service admits only the first.
async function token(parameters) {
  const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(parameters), insecure);
  return (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
}
async function call(accessToken) {
  try {
    const response = await oauth.protectedResourceRequest(accessToken, 'GET', service, undefined, undefined, insecure);
    return { status: response.status, body: (await response.text()).trim() };
  } catch (e) {
    // A 401 with a challenge is thrown; its parameters are parsed.
    if (e instanceof oauth.WWWAuthenticateChallengeError) return { status: e.status, challenge: e.cause[0] };
    return { status: describe(e) };
  }
}
try {
  const own = await call(await token({ resource: serviceUrl, scope: rs.scopes_supported.join(' ') }));
  check(`a token with resource=${serviceUrl} is admitted`, own.status === 200 && own.body.includes(clientId), JSON.stringify(own));
  const foreign = await call(await token({ audience: other, scope: rs.scopes_supported.join(' ') }));
  check(`a token for ${other} is refused`, foreign.status === 401 && foreign.challenge?.parameters?.error === 'invalid_token',
    JSON.stringify(foreign));
} catch (e) {
  check('the client-credentials grant', false, describe(e));
}
done();
