// openid-client 6's PrivateKeyJwt (RFC 7523 client authentication: `aud` = the issuer) against a
// running tokendealer, the client configured by `client.discovery(...)` and tokens from
// `clientCredentialsGrant`; jose verifies each token against the dealer's JWKS.
//
//   node pkjwt.mjs keys DIR                 RSA (RS256), EC P-256 (ES256) and Ed25519 keys:
//                                           DIR/NAME.jwk (private), DIR/NAME.jwks.json (public,
//                                           kid NAME)
//   node pkjwt.mjs check URL DIR AUDIENCE   pkjwt-rsa (key rsa), pkjwt-ec (key ec), pkjwt-ed
//                                           (key ed: openid-client signs it as RFC 9864's
//                                           `Ed25519`) and pkjwt-uri (key uri, by jwks_uri) get
//                                           tokens; pkjwt-rsa with the key `wrong` is refused
//                                           with invalid_client as openid-client reports it
//
// Prints one line per check; exits 1 if any failed.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as client from 'openid-client';
import * as jose from 'jose';

const KEYS = { rsa: 'RS256', ec: 'ES256', ed: 'Ed25519', uri: 'RS256', wrong: 'RS256' };
const [mode, ...args] = process.argv.slice(2);

if (mode === 'keys') {
  const [dir] = args;
  await mkdir(dir, { recursive: true });
  for (const [name, alg] of Object.entries(KEYS)) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    // The public JWK names its alg, but for Ed25519: the dealer reads RFC 9864's name in an
    // assertion's header, not (yet) in a registered key.
    const pub = { ...(await jose.exportJWK(publicKey)), kid: name, use: 'sig', ...(alg === 'Ed25519' ? {} : { alg }) };
    await writeFile(`${dir}/${name}.jwks.json`, JSON.stringify({ keys: [pub] }));
    await writeFile(`${dir}/${name}.jwk`, JSON.stringify({ ...(await jose.exportJWK(privateKey)), alg }));
  }
  process.exit(0);
}

const [url, dir, audience] = args;
if (mode !== 'check' || !url || !dir || !audience) {
  console.error('usage: node pkjwt.mjs keys DIR | node pkjwt.mjs check URL DIR AUDIENCE');
  process.exit(2);
}

let failed = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed += 1;
}
const describe = (e) => `${e?.name} ${e?.code ?? ''}: ${e?.message} ${JSON.stringify(e?.cause ?? '')}`;

// A private key as openid-client wants it: a CryptoKey with the kid its JWK Set names.
async function privateKey(name) {
  const jwk = JSON.parse(await readFile(`${dir}/${name}.jwk`, 'utf8'));
  return { key: await jose.importJWK(jwk, jwk.alg), kid: name };
}

// RFC 8414 metadata, plain HTTP allowed: the dealer runs on loopback.
async function configure(clientId, keyName) {
  return client.discovery(new URL(url), clientId, undefined, client.PrivateKeyJwt(await privateKey(keyName)), {
    algorithm: 'oauth2',
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
}

let jwks;
let issuer;
async function verify(token, clientId) {
  const { payload } = await jose.jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS512'], typ: 'at+jwt' });
  if (payload.sub !== clientId) throw new Error(`sub ${payload.sub}`);
}

for (const [clientId, keyName, what] of [
  ['pkjwt-rsa', 'rsa', 'RS256 key from --jwks'],
  ['pkjwt-ec', 'ec', 'ES256 key from --jwks'],
  ['pkjwt-ed', 'ed', 'Ed25519 key from --jwks'],
  ['pkjwt-uri', 'uri', 'RS256 key from a loopback jwks_uri'],
]) {
  try {
    const config = await configure(clientId, keyName);
    if (!jwks) {
      const metadata = config.serverMetadata();
      issuer = metadata.issuer;
      check(
        'the metadata lists private_key_jwt',
        metadata.token_endpoint_auth_methods_supported?.includes('private_key_jwt'),
        JSON.stringify(metadata.token_endpoint_auth_methods_supported),
      );
      jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: 10_000 });
    }
    const tokens = await client.clientCredentialsGrant(config, { audience });
    check(`${clientId}, ${what}: a token`, typeof tokens.access_token === 'string', JSON.stringify(tokens));
    await verify(tokens.access_token, clientId);
    check(`${clientId}, ${what}: jose verifies it for ${audience}`, true);
  } catch (e) {
    check(`${clientId}, ${what}: a verified token`, false, describe(e));
  }
}

// A key pkjwt-rsa never registered: the body's invalid_client (ResponseBodyError), 401.
try {
  await client.clientCredentialsGrant(await configure('pkjwt-rsa', 'wrong'), { audience });
  check('pkjwt-rsa signing with a key it never registered is refused', false, 'a token was issued');
} catch (e) {
  const seen = e instanceof client.ResponseBodyError ? [e.status, e.error] : [describe(e)];
  check(
    'pkjwt-rsa signing with a key it never registered: 401 invalid_client',
    seen[0] === 401 && seen[1] === 'invalid_client',
    JSON.stringify(seen),
  );
}
process.exit(failed ? 1 : 0);
