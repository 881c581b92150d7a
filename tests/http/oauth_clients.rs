//! The stand-in Fanvue against OAuth 2.0 and OpenID Connect clients no one
//! here wrote: the `oauth2` crate, the `openidconnect` crate, and Python's
//! authlib (`clients/authlib_loop.py`, which the test installs into a
//! virtualenv from `clients/requirements.txt`).
//! Each runs the whole loop as its users would.

mod support;

use fanvue_scopes::testing::{Client, Consent, StandIn};
use fanvue_scopes::{ScopeSet, scopes};
use std::time::Duration;
use support::{multi_thread_runtime as runtime, redirected_to};

const CLIENT_ID: &str = "third-party-app";
/// A secret with the characters RFC 6749 §2.3.1 makes clients
/// form-encode in HTTP Basic: the stand-in decodes them as Hydra does.
const SECRET: &str = "s3cr%t+with:colon";
const REGISTERED: ScopeSet = scopes![read:self, read:chat, write:chat];

async fn stand_in(callback: &str) -> StandIn {
    let stand_in = StandIn::start().await.expect("the stand-in starts");
    stand_in.register_client(Client::new(CLIENT_ID, SECRET, callback, REGISTERED));
    stand_in
}

/// The HTTP client the `oauth2` and `openidconnect` crates are given:
/// reqwest, never following redirects (a token response is never one; a
/// redirect there is a bug to see).
async fn send(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?;
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut answer = http::Response::new(response.bytes().await?.to_vec());
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}

/// The query of the redirect an authorize URL leads to.
async fn callback_query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(&redirected_to(url).await)
        .expect("a URL")
        .query_pairs()
        .into_owned()
        .collect()
}

#[test]
fn the_oauth2_crate_runs_the_whole_loop() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
        RedirectUrl, RefreshToken, Scope, TokenResponse, TokenUrl,
    };
    runtime().block_on(async {
        let callback = "http://127.0.0.1:9/callback";
        let stand_in = stand_in(callback).await;
        stand_in.set_consent(Consent::Grant(scopes![read:self, read:chat]));
        let client = BasicClient::new(ClientId::new(CLIENT_ID.to_owned()))
            .set_client_secret(ClientSecret::new(SECRET.to_owned()))
            .set_auth_uri(AuthUrl::new(stand_in.authorize_url()).expect("a URL"))
            .set_token_uri(TokenUrl::new(stand_in.token_url()).expect("a URL"))
            .set_redirect_uri(RedirectUrl::new(callback.to_owned()).expect("a URL"));
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(
                ["offline_access", "read:self", "read:chat", "write:chat"]
                    .map(|scope| Scope::new(scope.to_owned())),
            )
            .set_pkce_challenge(challenge)
            .url();
        let query = callback_query(url.as_str()).await;
        assert_eq!(query["state"], *state.secret());
        assert_eq!(query["iss"], stand_in.issuer());
        // The secret's `%`, `+` and `:` go form-encoded in HTTP Basic.
        let token = client
            .exchange_code(AuthorizationCode::new(query["code"].clone()))
            .set_pkce_verifier(verifier)
            .request_async(&send)
            .await
            .expect("the code exchange");
        let granted: Vec<&str> = token
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(granted, ["offline_access", "read:self", "read:chat"]);
        let refresh = token
            .refresh_token()
            .expect("offline_access: a refresh token");
        let refreshed = client
            .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
            .add_scope(Scope::new("read:self".to_owned()))
            .request_async(&send)
            .await
            .expect("a narrowing refresh");
        let narrowed: Vec<&str> = refreshed
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(narrowed, ["read:self"], "exactly what the refresh asked");
        // The rotated refresh token, revoked (RFC 7009): the grant is gone.
        // `oauth2` sends revocations to https URLs only, so this one goes
        // by hand, form-encoded credentials and all.
        let rotated = refreshed.refresh_token().expect("rotated").clone();
        let revoked = reqwest::Client::new()
            .post(stand_in.revocation_url())
            .basic_auth(CLIENT_ID, Some("s3cr%25t%2Bwith%3Acolon"))
            .form(&[("token", rotated.secret().as_str())])
            .send()
            .await
            .expect("the revocation endpoint answers");
        assert_eq!(revoked.status(), reqwest::StatusCode::OK);
        let after = client
            .exchange_refresh_token(&rotated)
            .request_async(&send)
            .await;
        assert!(after.is_err(), "a revoked refresh token is refused");
    });
}

#[test]
fn an_openid_connect_client_signs_in_and_verifies_the_id_token() {
    use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
    use openidconnect::{
        AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
        OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    };
    runtime().block_on(async {
        let callback = "http://127.0.0.1:9/signed-in";
        let stand_in = stand_in(callback).await;
        stand_in.set_consent(Consent::Grant(scopes![read:self]));
        let issuer = IssuerUrl::new(stand_in.issuer()).expect("a URL");
        let provider = CoreProviderMetadata::discover_async(issuer, &send)
            .await
            .expect("discovery, with the issuer and the key set");
        let client = CoreClient::from_provider_metadata(
            provider,
            ClientId::new(CLIENT_ID.to_owned()),
            Some(ClientSecret::new(SECRET.to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new(callback.to_owned()).expect("a URL"));
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("read:self".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let query = callback_query(url.as_str()).await;
        assert_eq!(query["state"], *state.secret());
        let token = client
            .exchange_code(AuthorizationCode::new(query["code"].clone()))
            .expect("discovery named the token endpoint")
            .set_pkce_verifier(verifier)
            .request_async(&send)
            .await
            .expect("the code exchange");
        let id_token = token.id_token().expect("openid: an ID token");
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &nonce)
            .expect("signed by the published key, for this client, with the nonce");
        assert_eq!(claims.issuer().as_str(), stand_in.issuer());
        let expected_hash = AccessTokenHash::from_token(
            token.access_token(),
            id_token.signing_alg().expect("RS256"),
            id_token.signing_key(&verifier).expect("the key"),
        )
        .expect("a hash");
        assert_eq!(claims.access_token_hash(), Some(&expected_hash));
        // Another nonce is refused: the check can fail.
        assert!(
            id_token
                .claims(&verifier, &Nonce::new("another-nonce".to_owned()))
                .is_err()
        );
        // No offline scope asked, none given: no refresh token.
        assert!(token.refresh_token().is_none());
        let scope: Vec<&str> = token
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(scope, ["openid", "read:self"]);
    });
}

#[test]
fn authlib_runs_the_whole_loop_in_python() {
    let python = support::clients::python();
    let runtime = runtime();
    let callback = "http://127.0.0.1:9/authlib";
    let stand_in = runtime.block_on(stand_in(callback));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/authlib_loop.py");
    // The stand-in serves on the runtime's worker threads while Python runs.
    let output = std::process::Command::new(python)
        .args([script, &stand_in.base_url(), CLIENT_ID, SECRET, callback])
        .output()
        .expect("the virtualenv's python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("authlib: the whole loop passed"),
        "{stdout}"
    );
    drop(stand_in);
}
