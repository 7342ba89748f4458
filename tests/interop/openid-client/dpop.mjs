// openid-client 6's DPoP (randomDPoPKeyPair, getDPoPHandle) against a running tokendealer: for
// ES256 and EdDSA keys, a DPoP-bound token (token_type DPoP, cnf.jkt = the key's RFC 7638
// thumbprint), then a second token with the same handle (a new proof). With `nonce` (the dealer
// runs with [dpop] nonce = true): the first request is answered 400 use_dpop_nonce, openid-client
// retries once with the nonce and gets the token, and the second grant sends the remembered
// nonce at once.
//
//   TOKENDEALER_CLIENT_SECRET=... node dpop.mjs URL CLIENT_ID AUDIENCE [nonce]
//
// Prints one line per check; exits 1 if any failed.
import * as client from 'openid-client';
import * as jose from 'jose';

const [url, clientId, audience, mode] = process.argv.slice(2);
const secret = process.env.TOKENDEALER_CLIENT_SECRET;
if (!url || !clientId || !audience || !secret) {
  console.error('usage: TOKENDEALER_CLIENT_SECRET=... node dpop.mjs URL CLIENT_ID AUDIENCE [nonce]');
  process.exit(2);
}
const nonces = mode === 'nonce';

let failed = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed += 1;
}

const config = await client.discovery(new URL(url), clientId, undefined, client.ClientSecretPost(secret), {
  algorithm: 'oauth2',
  execute: [client.allowInsecureRequests],
  timeout: 10,
});
const metadata = config.serverMetadata();
check(
  'the metadata lists ES256 and EdDSA for proofs',
  ['ES256', 'EdDSA'].every((a) => metadata.dpop_signing_alg_values_supported?.includes(a)),
  JSON.stringify(metadata.dpop_signing_alg_values_supported),
);

// Every token request's status, in order, and whether it carried a DPoP proof.
let seen = [];
config[client.customFetch] = async (...args) => {
  const response = await fetch(...args);
  if (String(args[0]).endsWith('/oauth/token')) {
    seen.push(`${response.status}${new Headers(args[1]?.headers).has('dpop') ? '+proof' : ''}`);
  }
  return response;
};

for (const alg of ['ES256', 'EdDSA']) {
  try {
    const keyPair = await client.randomDPoPKeyPair(alg);
    const DPoP = client.getDPoPHandle(config, keyPair);
    const jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey));
    for (const round of ['first', 'second']) {
      seen = [];
      const tokens = await client.clientCredentialsGrant(config, { audience }, { DPoP });
      const claims = jose.decodeJwt(tokens.access_token);
      check(
        `${alg}, ${round} token: token_type DPoP, cnf.jkt the key's thumbprint`,
        tokens.token_type === 'dpop' && claims.cnf?.jkt === jkt,
        `${tokens.token_type} ${JSON.stringify(claims.cnf)} vs ${jkt}`,
      );
      const expected = nonces && round === 'first' ? '400+proof,200+proof' : '200+proof';
      check(`${alg}, ${round} token: requests ${expected}`, seen.join(',') === expected, seen.join(','));
    }
  } catch (e) {
    check(`${alg}: a DPoP-bound token`, false, `${e?.name}: ${e?.message} ${JSON.stringify(e?.cause ?? '')}`);
  }
}
process.exit(failed ? 1 : 0);
