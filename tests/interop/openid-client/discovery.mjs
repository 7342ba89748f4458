// openid-client 6's default discovery against a running tokendealer, and jose verifying what it
// got, the way a Node service is set up from the issuer URL alone: `discovery()` without
// `algorithm: 'oauth2'` reads {issuer}/.well-known/openid-configuration; the client-credentials
// grant gets a token for each audience; jose checks each against the discovered jwks_uri with
// the issuer, the audience and RFC 9068's `typ`. The token for the audience is accepted, the one
// for the other audience refused.
//
//   TOKENDEALER_CLIENT_SECRET=... node discovery.mjs ISSUER CLIENT_ID AUDIENCE OTHER_AUDIENCE
//
// Prints one line per check; exits 1 if any failed.
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [issuer, clientId, audience, other] = process.argv.slice(2);
const secret = process.env.TOKENDEALER_CLIENT_SECRET;
if (!issuer || !clientId || !audience || !other || !secret) {
  console.error('usage: TOKENDEALER_CLIENT_SECRET=... node discovery.mjs ISSUER CLIENT_ID AUDIENCE OTHER_AUDIENCE');
  process.exit(2);
}

let failed = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed += 1;
}
const describe = (e) => `${e?.name} ${e?.code ?? ''}: ${e?.message}`;

// Plain HTTP allowed: the dealer runs on loopback.
let config;
try {
  config = await client.discovery(new URL(issuer), clientId, secret, undefined, {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
} catch (e) {
  check(`discovery() reads ${issuer}/.well-known/openid-configuration`, false, describe(e));
  process.exit(1);
}
const metadata = config.serverMetadata();
// Only the OpenID Connect document lists the signing algorithms.
check(
  `discovery() reads ${issuer}/.well-known/openid-configuration`,
  metadata.issuer === issuer && metadata.id_token_signing_alg_values_supported?.includes('RS512'),
  JSON.stringify(metadata),
);

const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: 10_000 });
async function verify(token) {
  return jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS512'], typ: 'at+jwt' });
}

for (const [aud, accepted] of [[audience, true], [other, false]]) {
  let token;
  try {
    token = (await client.clientCredentialsGrant(config, { audience: aud })).access_token;
    check(`clientCredentialsGrant gets a token for ${aud}`, typeof token === 'string', token);
  } catch (e) {
    check(`clientCredentialsGrant gets a token for ${aud}`, false, describe(e));
    continue;
  }
  const what = `jose ${accepted ? 'accepts' : 'refuses'} the token for ${aud} (audience ${audience})`;
  try {
    const { payload, protectedHeader } = await verify(token);
    check(what, accepted, `accepted: ${JSON.stringify({ protectedHeader, payload })}`);
  } catch (e) {
    // Refused for its audience alone: the signature, issuer and type were right.
    const ok = !accepted && e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'aud';
    check(what, ok, describe(e));
  }
}

process.exit(failed === 0 ? 0 : 1);
