// A local OpenID provider for tests and development: the certified `oidc-provider` package,
// shaped like SIASN's Keycloak where the services can tell (RS256/ES256 JWT access tokens
// for one audience, roles in `realm_access.roles`). Started by `deploy/oidc/provider start`.
//
//   node server.mjs serve           env: OIDC_PORT, OIDC_CONFIG, OIDC_KEYS [, OIDC_HOST]
//   node server.mjs keygen FILE     a fresh private key set (one RS256, one ES256 key)
//
// OIDC_CONFIG is a JSON file (docs/sign-on.md has an example):
//   audience  the resource indicator every access token is for (its `aud`)
//   clients   oidc-provider client metadata, as is
//   accounts  account id (a NIP, or a login) -> the roles of that person
//   roles     client id -> the roles of a client-credentials token (an e-service)
//   ttl       client id -> access token lifetime in seconds (default 600)
//   algs      client id -> signing algorithm of its access tokens (default RS256)
// OIDC_KEYS is a private JWK set; the first key of an algorithm signs, all are published,
// so a rotation is: [new, old] (new tokens get the new kid), later [new] (old one retired).

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const DEFAULT_TTL_S = 600;

function keygen(file) {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const keys = [
    { ...rsa.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' },
    { ...ec.export({ format: 'jwk' }), kid: randomUUID(), alg: 'ES256', use: 'sig' },
  ];
  writeFileSync(file, JSON.stringify({ keys }, null, 2), { mode: 0o600 });
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function configuration(Provider, config, jwks) {
  const accounts = config.accounts ?? {};
  const roles = config.roles ?? {};
  return {
    clients: config.clients,
    jwks,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // the dev login form asks for any login: only configured accounts exist
    async findAccount(_ctx, id) {
      if (!Object.hasOwn(accounts, id)) return undefined;
      return { accountId: id, claims: async () => ({ sub: id }) };
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? config.audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource, client) => {
          if (resource !== config.audience) throw new Provider.errors.InvalidTarget();
          return {
            audience: config.audience,
            scope: 'erk',
            accessTokenFormat: 'jwt',
            accessTokenTTL: config.ttl?.[client.clientId] ?? DEFAULT_TTL_S,
            jwt: { sign: { alg: config.algs?.[client.clientId] ?? 'RS256' } },
          };
        },
      },
    },
    // Keycloak's shape: realm roles under realm_access.roles
    async extraTokenClaims(_ctx, token) {
      const granted = token.accountId ? accounts[token.accountId] : roles[token.clientId];
      return { realm_access: { roles: granted ?? [] } };
    },
    ttl: {
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? DEFAULT_TTL_S,
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? DEFAULT_TTL_S,
    },
  };
}

// oidc-provider is loaded only to serve: keygen needs node:crypto alone
async function serve() {
  const { default: Provider } = await import('oidc-provider');
  const host = process.env.OIDC_HOST || '127.0.0.1';
  const port = Number(required('OIDC_PORT'));
  const config = JSON.parse(readFileSync(required('OIDC_CONFIG'), 'utf8'));
  const jwks = JSON.parse(readFileSync(required('OIDC_KEYS'), 'utf8'));
  const issuer = process.env.OIDC_ISSUER || `http://${host}:${port}`;
  const provider = new Provider(issuer, configuration(Provider, config, jwks));
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  const server = createServer(provider.callback());
  server.listen(port, host, () => console.log(`oidc-provider ${issuer} ready`));
  // all state is in memory: nothing to save, and keep-alive connections must not hold it up
  process.on('SIGTERM', () => process.exit(0));
}

const [command, file] = process.argv.slice(2);
if (command === 'keygen' && file) keygen(file);
else if (command === 'serve') await serve();
else {
  console.error('usage: node server.mjs serve | keygen FILE');
  process.exit(2);
}
