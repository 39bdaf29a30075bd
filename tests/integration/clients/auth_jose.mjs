// An independent JOSE implementation (the npm `jose` library) verifies our access tokens
// against our published JWKS, as any resource server or SDK would.
//
//   node auth_jose.mjs <node_modules dir> <base url> <access token> <alg> <audience>
//
// Prints one JSON line: {"ok": true, "alg", "kid", "claims"} or {"ok": false, "error"}; a
// tampered copy of the token must fail, which is checked here too.
import { createRequire } from 'node:module';
import path from 'node:path';

const [modules, base, token, expectedAlg, audience] = process.argv.slice(2);
const require = createRequire(path.join(modules, 'noop.js'));
const jose = require('jose');

async function main() {
  const config = await (await fetch(`${base}/.well-known/openid-configuration`)).json();
  const jwks = jose.createRemoteJWKSet(new URL(config.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
    issuer: config.issuer,
    audience,
    algorithms: [expectedAlg],
  });
  // One flipped character in the signature must not verify.
  const parts = token.split('.');
  const sig = parts[2];
  const flipped = sig[0] === 'A' ? 'B' + sig.slice(1) : 'A' + sig.slice(1);
  let tamperedVerified = true;
  try {
    await jose.jwtVerify(`${parts[0]}.${parts[1]}.${flipped}`, jwks, { algorithms: [expectedAlg] });
  } catch {
    tamperedVerified = false;
  }
  console.log(JSON.stringify({
    ok: true,
    alg: protectedHeader.alg,
    kid: protectedHeader.kid,
    claims: payload,
    tamperedVerified,
  }));
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }));
});
