// The official MCP TypeScript SDK's client against the Fanvue MCP example,
// as a real agent host would run it, given nothing but the server's URL:
// 401, discovery of the server's own authorization server, dynamic client
// registration, authorization through the server's consent page and the
// stand-in Fanvue's with a partial consent (read:insights unticked on
// Fanvue's page), tools/list, a call refused with 403 insufficient_scope,
// the SDK's own step-up through both pages again, and the call succeeding.
// Then it prints `restart now`, waits for a line on stdin (the server
// restarted), and calls a tool again in a new session.
//
//   node mcp_loop.mjs MCP_URL REDIRECT_URI
//
// Prints one line per step; exits non-zero at the first that fails.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { randomBytes } from 'node:crypto';

const [url, redirectUri] = process.argv.slice(2);

function check(condition, what) {
  if (!condition) {
    console.log(`FAILED: ${what}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

/** Keeps what an agent host keeps between runs, in memory. */
class Provider {
  constructor() {
    this.client = undefined;
    this.savedTokens = undefined;
    this.verifier = undefined;
    this.authorizationUrl = undefined;
  }
  get redirectUrl() { return redirectUri; }
  get clientMetadata() {
    return { client_name: 'ts-sdk-client', redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  state() { return randomBytes(16).toString('hex'); }
  clientInformation() { return this.client; }
  saveClientInformation(client) { this.client = client; }
  tokens() { return this.savedTokens; }
  saveTokens(tokens) { this.savedTokens = tokens; }
  redirectToAuthorization(authorizationUrl) { this.authorizationUrl = authorizationUrl; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
}

/** A browser's cookie for the MCP server's pages, kept between sign-ins. */
let cookie;

/** Opens the authorize URL as a browser: the MCP server's consent page
 * (allowed; skipped when this browser allowed the client before), then the
 * stand-in Fanvue's, submitted with every scope ticked but `untick`, then
 * the server's callback; returns the code it gives the client. */
async function consent(authorizationUrl, untick) {
  const headers = () => (cookie ? { cookie } : {});
  let answer = await fetch(authorizationUrl, { redirect: 'manual', headers: headers() });
  const set = answer.headers.get('set-cookie');
  if (set) cookie = set.split(';')[0];
  if (answer.status === 200) {
    const html = await answer.text();
    check(html.includes('unverified'), "the server's consent page says the client registered itself");
    const request = /name="request" value="([^"]+)"/.exec(html)[1];
    const form = new URLSearchParams([['request', request], ['decision', 'allow']]);
    answer = await fetch(new URL('/oauth/consent', authorizationUrl), { method: 'POST', body: form, redirect: 'manual', headers: headers() });
  }
  check(answer.status === 302, 'the MCP server sends the browser on to Fanvue');
  const fanvue = answer.headers.get('location');
  const page = await fetch(fanvue, { redirect: 'manual' });
  check(page.status === 200, "Fanvue's authorize URL shows its consent page");
  const html = await page.text();
  const request = /name="request" value="([^"]+)"/.exec(html)[1];
  const scopes = [...html.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]);
  const form = new URLSearchParams([['request', request], ['decision', 'allow']]);
  for (const scope of scopes) if (scope !== untick) form.append('scope', scope);
  const back = await fetch(new URL('/oauth2/consent', fanvue), { method: 'POST', body: form, redirect: 'manual' });
  check(back.status === 302, "Fanvue's consent redirects to the MCP server");
  const callback = await fetch(back.headers.get('location'), { redirect: 'manual', headers: headers() });
  check(callback.status === 302, 'the MCP server redirects to the client');
  const location = new URL(callback.headers.get('location'));
  check(location.searchParams.get('iss') !== null, 'the response names its issuer (RFC 9207)');
  return location.searchParams.get('code');
}

const provider = new Provider();
const client = new Client({ name: 'ts-sdk-client', version: '1.0.0' });
let transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
try {
  await client.connect(transport);
  check(false, 'the server asks for a token');
} catch (error) {
  check(error instanceof UnauthorizedError, 'the server asks for a token (401), the SDK discovers where');
}
check(provider.authorizationUrl !== undefined, 'the SDK built an authorize URL');
check(provider.client?.client_id !== undefined, 'the SDK registered itself (RFC 7591)');
await transport.finishAuth(await consent(provider.authorizationUrl, 'read:insights'));
check(!provider.savedTokens.scope.split(' ').includes('read:insights'), 'the token lacks read:insights');

transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
await client.connect(transport);
const { tools } = await client.listTools();
const earnings = tools.find((tool) => tool.name === 'read_earnings');
check(earnings?._meta?.['io.fanvue/scopes'] === 'read:insights', 'tools/list shows the scopes a tool needs');
const chats = await client.callTool({ name: 'list_chats', arguments: {} });
check(!chats.isError, 'a call the token covers works');

provider.authorizationUrl = undefined;
try {
  await client.callTool({ name: 'read_earnings', arguments: {} });
  check(false, 'a call the token lacks a scope for is refused');
} catch (error) {
  check(error instanceof UnauthorizedError, 'refused with 403 insufficient_scope, and the SDK steps up');
}
check(provider.authorizationUrl?.searchParams.get('scope')?.includes('read:insights'), 'the step-up asks for read:insights');
await transport.finishAuth(await consent(provider.authorizationUrl, null));
const result = await client.callTool({ name: 'read_earnings', arguments: {} });
check(!result.isError && JSON.stringify(result.content).includes('getEarnings'), 'after step-up, the call succeeds');
await client.close();

// The server restarts (the test does it on reading this line); the SDK
// carries on in a new session with the tokens it holds, no sign-in.
console.log('restart now');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
provider.authorizationUrl = undefined;
const again = new Client({ name: 'ts-sdk-client', version: '1.0.0' });
await again.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
const afterRestart = await again.callTool({ name: 'read_earnings', arguments: {} });
check(!afterRestart.isError, 'after the restart, the call succeeds');
check(provider.authorizationUrl === undefined, 'after the restart, no sign-in');
await again.close();
console.log('ts-sdk: the whole loop passed');
