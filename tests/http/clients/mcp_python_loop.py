"""The official MCP Python SDK's client (PyPI `mcp`) against the Fanvue MCP
example, given nothing but the server's URL: 401, discovery of the server's
own authorization server, dynamic client registration, authorization through
the server's consent page and the stand-in Fanvue's (read:insights unticked
there), tools/list, a call refused with 403 insufficient_scope, the SDK's own
step-up (it authorizes again with only the challenge's scope; the server
asks Fanvue for what the user already allowed the client too), and the call
succeeding.

    python3 mcp_python_loop.py MCP_URL REDIRECT_URI [CLIENT_METADATA_URL]

With CLIENT_METADATA_URL the SDK names itself by that Client ID Metadata
Document rather than registering. After the loop it prints `restart now`
and waits for a line on stdin (the server restarted), then calls a tool
again in a new session.

Prints one line per step; exits non-zero at the first that fails.
"""

import asyncio
import re
import sys
import urllib.parse

import httpx2
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


class Storage:
    """What an agent host keeps between runs, in memory."""

    def __init__(self):
        self.tokens = None
        self.client = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Browser:
    """The user's browser: the MCP server's consent page (allowed; skipped
    when this browser allowed the client before), then the stand-in Fanvue's,
    submitted with every scope ticked but `untick`, then the server's
    callback, whose redirect carries the client's code."""

    def __init__(self):
        self.http = httpx2.AsyncClient(follow_redirects=False, timeout=20)
        self.callback = None
        self.untick = None
        self.pages = 0
        self.opened = 0

    async def open(self, url: str) -> None:
        self.opened += 1
        answer = await self.http.get(url)
        if answer.status_code == 200:
            self.pages += 1
            check("unverified" in answer.text, "the server's consent page says the client named itself")
            request = re.search(r'name="request" value="([^"]+)"', answer.text).group(1)
            answer = await self.http.post(
                urllib.parse.urljoin(url, "/oauth/consent"),
                data={"request": request, "decision": "allow"},
            )
        check(answer.status_code == 302, "the MCP server sends the browser on to Fanvue")
        fanvue = answer.headers["location"]
        page = await self.http.get(fanvue)
        check(page.status_code == 200, "Fanvue shows its consent page")
        request = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
        scopes = re.findall(r'name="scope" value="([^"]+)"', page.text)
        form = [("request", request), ("decision", "allow")]
        form += [("scope", scope) for scope in scopes if scope != self.untick]
        back = await self.http.post(
            urllib.parse.urljoin(fanvue, "/oauth2/consent"),
            content=urllib.parse.urlencode(form),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        check(back.status_code == 302, "Fanvue's consent redirects to the MCP server")
        callback = await self.http.get(back.headers["location"])
        check(callback.status_code == 302, "the MCP server redirects to the client")
        self.callback = callback.headers["location"]

    async def answer(self) -> AuthorizationCodeResult:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.callback).query))
        check("iss" in query, "the response names its issuer (RFC 9207)")
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))


async def main():
    url, redirect_uri = sys.argv[1:3]
    metadata_url = sys.argv[3] if len(sys.argv) > 3 else None
    storage = Storage()
    browser = Browser()
    browser.untick = "read:insights"
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="python-sdk-client",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.answer,
        client_metadata_url=metadata_url,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                if metadata_url:
                    check(
                        storage.client is not None and storage.client.client_id == metadata_url,
                        "the SDK named itself by its metadata document, without registering",
                    )
                else:
                    check(storage.client is not None, "the SDK registered itself (RFC 7591)")
                check("read:insights" not in (storage.tokens.scope or "").split(), "the token lacks read:insights")
                tools = await session.list_tools()
                earnings = next(tool for tool in tools.tools if tool.name == "read_earnings")
                meta = earnings.meta or {}
                check(meta.get("io.fanvue/scopes") == "read:insights", "tools/list shows the scopes a tool needs")
                chats = await session.call_tool("list_chats", {})
                check(not chats.is_error, "a call the token covers works")
                # The next call is refused with 403 insufficient_scope; the
                # SDK steps up through both consents, and retries.
                browser.untick = None
                result = await session.call_tool("read_earnings", {})
                check("read:insights" in (storage.tokens.scope or "").split(), "the step-up granted read:insights")
                check(not result.is_error and "getEarnings" in str(result.content), "after step-up, the call succeeds")
                check("read:chat" in (storage.tokens.scope or "").split(), "what the user allowed before is kept")
    # The server restarts (the test does it on reading this line); the SDK
    # carries on in a new session with the tokens it holds, no sign-in.
    print("restart now", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    opened = browser.opened
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                result = await session.call_tool("read_earnings", {})
                check(not result.is_error, "after the restart, the call succeeds")
    check(browser.opened == opened, "after the restart, no sign-in")
    await browser.http.aclose()
    print("python-sdk: the whole loop passed", flush=True)


asyncio.run(main())
