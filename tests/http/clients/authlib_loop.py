"""The whole consent loop against the stand-in Fanvue, driven by authlib,
an OAuth 2.0 and OpenID Connect client no one here wrote, and requests as
the browser: discovery, authorize with PKCE and a nonce, a partial consent
on the form, the code exchange, the ID token verified against the JWKS,
a refresh that narrows, one that asks for more (refused), a step-up whose
consent page marks the new scope, revocation, a loopback redirect on
another port than registered (RFC 8252 §7.3), and every error description
authlib reads within RFC 6749 §5.2's characters.

    python3 authlib_loop.py BASE_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI

Prints one line per step; exits non-zero at the first that fails.
"""

import html.parser
import sys
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from authlib.common.security import generate_token


class Form(html.parser.HTMLParser):
    """The consent page's form: its hidden fields and its checkboxes."""

    def __init__(self):
        super().__init__()
        self.hidden = {}
        self.scopes = []
        self.marks = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.hidden[attrs["name"]] = attrs["value"]
        if tag == "input" and attrs.get("type") == "checkbox":
            self.scopes.append(attrs["value"])
        if tag == "span" and attrs.get("class") == "new":
            self.marks.append("new")


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def consent(browser, url, keep):
    """Opens the authorize URL as a browser would and submits the consent
    form with only `keep` ticked; returns the callback's query and the page."""
    page = browser.get(url, allow_redirects=False)
    check(page.status_code == 200, "the authorize URL shows a consent page")
    check(page.headers.get("X-Frame-Options") == "DENY", "the consent page can't be framed")
    form = Form()
    form.feed(page.text)
    fields = [("request", form.hidden["request"]), ("decision", "allow")]
    fields += [("scope", scope) for scope in form.scopes if scope in keep]
    answer = browser.post(
        urllib.parse.urljoin(url, "/oauth2/consent"), data=fields, allow_redirects=False
    )
    check(answer.status_code == 302, "the consent form redirects to the app")
    location = answer.headers["Location"]
    return location, form


def within_section_5_2(description):
    """RFC 6749 §5.2: printable ASCII but `"` and `\\`."""
    return bool(description) and all(
        0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in description
    )


def main():
    base, client_id, secret, redirect_uri = sys.argv[1:5]
    metadata = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    check(metadata["issuer"] == base, "discovery names the issuer")
    check(metadata["code_challenge_methods_supported"] == ["S256"], "discovery: PKCE S256 only")
    check(
        requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=10).json()["issuer"]
        == base,
        "RFC 8414 metadata too",
    )

    asked = "openid offline_access read:self read:chat write:chat"
    session = OAuth2Session(
        client_id,
        secret,
        scope=asked,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        # authlib sends HTTP Basic credentials without form-encoding them
        # (RFC 6749 §2.3.1 says to), which a secret with `%` or `+` makes
        # fail at Hydra and at the stand-in alike: the form it is.
        token_endpoint_auth_method="client_secret_post",
        revocation_endpoint_auth_method="client_secret_post",
    )
    verifier = generate_token(64)
    nonce = generate_token(20)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser = requests.Session()
    # The user unticks write:chat.
    location, _ = consent(browser, url, {"read:self", "read:chat"})
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    check(query.get("state") == state, "state comes back")
    check(query.get("iss") == base, "iss is in the authorization response (RFC 9207)")

    token = session.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    check(token["scope"] == "openid offline_access read:self read:chat", "the token has what was granted")
    check("refresh_token" in token, "offline_access brings a refresh token")

    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": base},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
    ).validate(id_token.claims)
    check(True, "the ID token verifies against the JWKS, nonce echoed")

    api = requests.get(
        f"{base}/chats", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    check(api.status_code == 200, "the API honours the access token")

    # A refresh that narrows is fine; one that asks for more is not.
    narrowed = session.refresh_token(metadata["token_endpoint"], scope="openid read:self")
    check(narrowed["scope"] == "openid read:self", "a refresh narrows the scope")
    chats = requests.get(
        f"{base}/chats", headers={"Authorization": f"Bearer {narrowed['access_token']}"}, timeout=10
    )
    check(chats.status_code == 403, "the narrowed token lacks read:chat")
    try:
        session.refresh_token(metadata["token_endpoint"], scope=asked)
        check(False, "a refresh asking beyond the grant is refused")
    except Exception as error:  # authlib raises OAuthError
        check("invalid_scope" in str(error), "a refresh asking beyond the grant is invalid_scope")

    # Step-up: ask again; the consent page marks write:chat new.
    step_up = OAuth2Session(
        client_id,
        secret,
        scope=asked,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
        revocation_endpoint_auth_method="client_secret_post",
    )
    verifier = generate_token(64)
    url, state = step_up.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(20)
    )
    location, form = consent(browser, url, {"read:self", "read:chat", "write:chat"})
    check(form.marks == ["new"], "the step-up's consent page marks one scope new")
    stepped = step_up.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    check("write:chat" in stepped["scope"].split(), "the step-up grants write:chat")

    # Revocation: the token stops working at once.
    revoked = step_up.revoke_token(metadata["revocation_endpoint"], token=stepped["access_token"])
    check(revoked.status_code == 200, "revocation answers 200")
    after = requests.get(
        f"{base}/chats", headers={"Authorization": f"Bearer {stepped['access_token']}"}, timeout=10
    )
    check(after.status_code == 401, "a revoked token is refused")

    # A native app listens on whatever loopback port it was given: the
    # registered URI with another port is taken (RFC 8252 §7.3).
    registered = urllib.parse.urlsplit(redirect_uri)
    other_port = registered._replace(netloc=f"{registered.hostname}:53682").geturl()
    native = OAuth2Session(
        client_id,
        secret,
        scope="read:self",
        redirect_uri=other_port,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
    )
    verifier = generate_token(64)
    url, _ = native.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    location, _ = consent(browser, url, {"read:self"})
    check(location.startswith(other_port + "?"), "a loopback redirect on another port is taken")
    native_token = native.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    check(native_token["scope"] == "read:self", "and its code is exchanged")

    # Errors as authlib reads them: each description within §5.2, what it
    # quotes of a hostile request included.
    try:
        native.fetch_token(
            metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
        check(False, "a replayed code is refused")
    except Exception as error:
        check(error.error == "invalid_grant", "a replayed code is invalid_grant")
        check(within_section_5_2(error.description), "its description is within RFC 6749 §5.2")
    hostile = OAuth2Session(
        client_id,
        secret,
        scope='read:"§\\',
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
    )
    url, _ = hostile.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    refused = browser.get(url, allow_redirects=False)
    # authlib reads no error from an authorization response: the query as
    # the app's callback gets it.
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(refused.headers["Location"]).query))
    check(query.get("error") == "invalid_scope", "a hostile scope is invalid_scope")
    check(
        within_section_5_2(query.get("error_description")),
        "its description, quoting the scope, is within RFC 6749 §5.2",
    )
    print("authlib: the whole loop passed")


if __name__ == "__main__":
    main()
