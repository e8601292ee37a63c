// Finds an issuer's JWKS address through OpenID Connect discovery. openid-client
// does the protocol part (well-known path, issuer match, Entra ID's tenant
// templating); its HTTP goes through our HttpGet so the issuer's CA applies.

import * as client from 'openid-client';
import { checkUrl, type IssuerConfig } from './config.js';
import type { HttpGet } from './http-get.js';

/** Adapts HttpGet to the fetch signature openid-client accepts as `customFetch`. */
function asFetch(get: HttpGet, extra: Readonly<Record<string, string>>): client.CustomFetch {
  return async (url, options) => {
    const res = await get(url, { ...options.headers, ...extra });
    return new Response(res.status === 204 || res.status === 304 ? null : new Uint8Array(res.body), {
      status: res.status,
      headers: { 'content-type': res.contentType },
    });
  };
}

/** Returns the jwks_uri the issuer advertises; throws with a reason that names no secret. */
export async function discoverJwksUri(
  issuer: IssuerConfig,
  get: HttpGet,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<string> {
  if (issuer.jwksUri !== undefined) return issuer.jwksUri;
  const execute = new URL(issuer.issuer).protocol === 'http:' ? [client.allowInsecureRequests] : [];
  // We are a resource server, not a client: the client id is never sent anywhere.
  const config = await client.discovery(new URL(issuer.issuer), 'agentgate', undefined, client.None(), {
    [client.customFetch]: asFetch(get, headers),
    timeout: Math.ceil(timeoutMs / 1000),
    execute,
  });
  const jwksUri = config.serverMetadata().jwks_uri;
  if (typeof jwksUri !== 'string') throw new Error('discovery document has no jwks_uri');
  // The key address is as sensitive as the issuer's: same https/loopback rule.
  checkUrl('jwks_uri', jwksUri, issuer.insecureHttp);
  return jwksUri;
}
