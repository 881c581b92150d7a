//! The stand-in refuses what Fanvue's authorization server (Ory Hydra) and
//! the RFCs it follows refuse: one test per way an earlier stand-in let a
//! client bug through, each over HTTP as a client would send it.

mod support;

use fanvue_scopes::testing::{Client, Consent, StandIn};
use fanvue_scopes::{ScopeSet, scopes};
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, X_FRAME_OPTIONS,
};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use support::{http, runtime};

const CLIENT_ID: &str = "strict-app";
const SECRET: &str = "a+b%c";
const CALLBACK: &str = "http://127.0.0.1:9/callback";
const REGISTERED: ScopeSet = scopes![read:self, read:chat, write:chat];
/// A PKCE pair (RFC 7636 appendix B).
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const STATE: &str = "state-of-the-art";

async fn stand_in(consent: Consent) -> StandIn {
    let stand_in = StandIn::start().await.expect("the stand-in starts");
    stand_in.register_client(Client::new(CLIENT_ID, SECRET, CALLBACK, REGISTERED));
    stand_in.set_consent(consent);
    stand_in
}

/// The authorize URL with these query pairs, written as given (repeats
/// and all).
fn authorize_url(stand_in: &StandIn, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    format!("{}?{}", stand_in.authorize_url(), query.join("&"))
}

/// A well-formed authorize request's pairs, for `scope`.
fn good(scope: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", CALLBACK),
        ("scope", scope),
        ("state", STATE),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

/// The redirect's query, or `None` when the answer is not a redirect to
/// the client.
async fn redirected(url: &str) -> Option<HashMap<String, String>> {
    let response = http().get(url).send().await.expect("an answer");
    let location = response.headers().get(LOCATION)?.to_str().ok()?.to_owned();
    assert!(location.starts_with(CALLBACK), "{location}");
    Some(
        url::Url::parse(&location)
            .expect("a URL")
            .query_pairs()
            .into_owned()
            .collect(),
    )
}

/// The `Basic` credentials as RFC 6749 §2.3.1 says: each form-encoded.
fn basic() -> String {
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    use base64::Engine;
    let pair = format!("{}:{}", encode(CLIENT_ID), encode(SECRET));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// POSTs `body` to the token endpoint as a form, with proper Basic
/// credentials.
async fn token_raw(stand_in: &StandIn, body: &str) -> (StatusCode, Value) {
    let response = http()
        .post(stand_in.token_url())
        .header("authorization", basic())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A code for `scope`, with the consent scripted.
async fn code(stand_in: &StandIn, scope: &'static str) -> String {
    redirected(&authorize_url(stand_in, &good(scope)))
        .await
        .expect("a redirect")["code"]
        .clone()
}

fn exchange_body(code: &str) -> String {
    format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
    )
}

async fn api_status(stand_in: &StandIn, token: &str) -> StatusCode {
    http()
        .get(format!("{}/users/me", stand_in.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("an answer")
        .status()
}

#[test]
fn a_repeated_parameter_at_the_authorize_endpoint_is_refused() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        // Repeats the client can be told about: a redirect with
        // invalid_request, and never a code.
        for (name, first) in [
            ("code_challenge_method", "plain"),
            ("state", "another-state"),
            ("scope", "read:self"),
            ("response_type", "token"),
            ("code_challenge", CHALLENGE),
        ] {
            let mut pairs = vec![(name, first)];
            pairs.extend(good("openid read:chat"));
            let query = redirected(&authorize_url(&stand_in, &pairs))
                .await
                .unwrap_or_else(|| panic!("{name}: a redirect"));
            assert_eq!(
                query.get("error").map(String::as_str),
                Some("invalid_request"),
                "{name}"
            );
            assert!(!query.contains_key("code"), "{name}: no code");
        }
        // Repeats of where to send the answer: an error page, never a redirect.
        for (name, first) in [
            ("redirect_uri", "http://evil.example/cb"),
            ("client_id", "other"),
        ] {
            let mut pairs = vec![(name, first)];
            pairs.extend(good("openid"));
            let response = http()
                .get(authorize_url(&stand_in, &pairs))
                .send()
                .await
                .expect("an answer");
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
            assert!(response.headers().get(LOCATION).is_none(), "{name}");
        }
    });
}

#[test]
fn a_repeated_parameter_at_the_token_endpoint_is_refused() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        let code = code(&stand_in, "read:chat").await;
        let callback =
            url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>();
        for body in [
            format!("code_verifier=WRONG&{}", exchange_body(&code)),
            format!("code=other&{}", exchange_body(&code)),
            format!("grant_type=refresh_token&{}", exchange_body(&code)),
            format!("redirect_uri={callback}&{}", exchange_body(&code)),
        ] {
            let (status, error) = token_raw(&stand_in, &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(error["error"], "invalid_request", "{body}");
        }
        // The code was not spent by those: it still works, once.
        let (status, token) = token_raw(&stand_in, &exchange_body(&code)).await;
        assert_eq!(status, StatusCode::OK, "{token}");
    });
}

#[test]
fn a_refresh_may_narrow_its_scope_but_never_widen_it() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(scopes![read:self, read:chat])).await;
        let code = code(&stand_in, "offline_access read:self read:chat write:chat").await;
        let (_, token) = token_raw(&stand_in, &exchange_body(&code)).await;
        assert_eq!(token["scope"], "offline_access read:self read:chat");
        let refresh = token["refresh_token"].as_str().expect("a refresh token").to_owned();
        // The scope first asked for, write:chat included, which the user unticked.
        let (status, error) = token_raw(
            &stand_in,
            &format!("grant_type=refresh_token&refresh_token={refresh}&scope=offline_access+read%3Aself+read%3Achat+write%3Achat"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["error"], "invalid_scope");
        // The refused refresh did not spend the token; a narrower one works.
        let (status, narrowed) = token_raw(
            &stand_in,
            &format!("grant_type=refresh_token&refresh_token={refresh}&scope=read%3Aself"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{narrowed}");
        assert_eq!(narrowed["scope"], "read:self");
        let access = narrowed["access_token"].as_str().expect("an access token");
        let chats = http()
            .get(format!("{}/chats", stand_in.base_url()))
            .bearer_auth(access)
            .send()
            .await
            .expect("an answer");
        assert_eq!(chats.status(), StatusCode::FORBIDDEN, "read:chat was narrowed away");
        // The rotated refresh token still carries the whole grant.
        let rotated = narrowed["refresh_token"].as_str().expect("rotated");
        let (status, whole) =
            token_raw(&stand_in, &format!("grant_type=refresh_token&refresh_token={rotated}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(whole["scope"], "offline_access read:self read:chat");
    });
}

#[test]
fn the_token_endpoint_reads_only_forms() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        let code = code(&stand_in, "read:chat").await;
        let json = serde_json::json!({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": CALLBACK, "code_verifier": VERIFIER,
        })
        .to_string();
        for (content_type, body) in [
            (Some("application/json"), json),
            (Some("text/plain"), exchange_body(&code)),
            (None, exchange_body(&code)),
        ] {
            let mut request = http()
                .post(stand_in.token_url())
                .header("authorization", basic())
                .body(body);
            if let Some(content_type) = content_type {
                request = request.header(CONTENT_TYPE, content_type);
            }
            let response = request.send().await.expect("an answer");
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "{content_type:?}"
            );
            let error: Value = response.json().await.expect("JSON");
            assert_eq!(error["error"], "invalid_request", "{content_type:?}");
        }
        // With a charset parameter, a form is still a form.
        let response = http()
            .post(stand_in.token_url())
            .header("authorization", basic())
            .header(
                CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .body(exchange_body(&code))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
    });
}

#[test]
fn basic_credentials_are_form_decoded() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        let code = code(&stand_in, "read:chat").await;
        // The secret `a+b%c` sent raw, as an app that skips the encoding
        // does: `+` reads as a space, so authentication fails, as at Hydra.
        use base64::Engine;
        let raw = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"))
        );
        let response = http()
            .post(stand_in.token_url())
            .header("authorization", raw)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(exchange_body(&code))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        // Form-encoded, as RFC 6749 §2.3.1 says (and the `oauth2` crate does).
        let (status, token) = token_raw(&stand_in, &exchange_body(&code)).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        // Both Basic and the form's secret: one method only.
        let code = self::code(&stand_in, "read:chat").await;
        let (status, error) = token_raw(
            &stand_in,
            &format!(
                "{}&client_id={CLIENT_ID}&client_secret=a%2Bb%25c",
                exchange_body(&code)
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["error"], "invalid_request");
    });
}

#[test]
fn state_comes_back_byte_for_byte_and_iss_with_it() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        let mut pairs = good("read:chat");
        pairs.retain(|(name, _)| *name != "state");
        pairs.push(("state", "%FF%FE%00state+1%2B"));
        let response = http()
            .get(authorize_url(&stand_in, &pairs))
            .send()
            .await
            .expect("an answer");
        let location = response.headers()[LOCATION]
            .to_str()
            .expect("ASCII")
            .to_owned();
        let query = location
            .split_once('?')
            .map(|(_, query)| query)
            .unwrap_or_default();
        let state = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("state="))
            .expect("state");
        // Form-decoded, the bytes sent come back exactly: FF FE 00, then
        // "state 1+" (a lossy decode would have made U+FFFD of them).
        let form_decode = |text: &str| -> Vec<u8> {
            percent_encoding::percent_decode_str(&text.replace('+', " ")).collect()
        };
        let mut sent = vec![0xFF, 0xFE, 0x00];
        sent.extend_from_slice(b"state 1+");
        assert_eq!(form_decode(state), sent, "{state}");
        let iss = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("iss="))
            .expect("iss");
        assert_eq!(
            percent_encoding::percent_decode_str(iss).decode_utf8_lossy(),
            stand_in.issuer()
        );
        // A state too short to stop forgery, or none: invalid_state, as Hydra says.
        for state in ["short", ""] {
            let mut pairs = good("read:chat");
            pairs.retain(|(name, _)| *name != "state");
            pairs.push(("state", state));
            let query = redirected(&authorize_url(&stand_in, &pairs))
                .await
                .expect("a redirect");
            assert_eq!(query["error"], "invalid_state", "{state:?}");
        }
    });
}

#[test]
fn the_consent_page_cannot_be_framed_or_cached() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Page).await;
        let response = http()
            .get(authorize_url(&stand_in, &good("read:chat")))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[CONTENT_SECURITY_POLICY], "frame-ancestors 'none'");
        assert_eq!(headers[CACHE_CONTROL], "no-store");
    });
}

#[test]
fn discovery_says_what_the_stand_in_does() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Page).await;
        for path in [
            "/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
        ] {
            let metadata: Value = http()
                .get(format!("{}{path}", stand_in.base_url()))
                .send()
                .await
                .expect("an answer")
                .json()
                .await
                .expect("JSON");
            let issuer = stand_in.issuer();
            assert_eq!(metadata["issuer"], issuer, "{path}");
            assert_eq!(metadata["authorization_endpoint"], stand_in.authorize_url());
            assert_eq!(metadata["token_endpoint"], stand_in.token_url());
            assert_eq!(metadata["revocation_endpoint"], stand_in.revocation_url());
            assert_eq!(
                metadata["code_challenge_methods_supported"],
                serde_json::json!(["S256"])
            );
            assert_eq!(
                metadata["response_types_supported"],
                serde_json::json!(["code"])
            );
            assert_eq!(
                metadata["grant_types_supported"],
                serde_json::json!([
                    "authorization_code",
                    "refresh_token",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer"
                ])
            );
            assert_eq!(
                metadata["authorization_response_iss_parameter_supported"],
                true
            );
            let scopes: Vec<&str> = metadata["scopes_supported"]
                .as_array()
                .expect("a list")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let mut expected = vec!["openid", "offline_access", "offline"];
            expected.extend(fanvue_scopes::Scope::ALL.iter().map(|scope| scope.as_str()));
            assert_eq!(scopes, expected, "the protocol scopes, then scopes.toml's");
            // Every endpoint it names answers (not 404).
            let jwks: Value = http()
                .get(metadata["jwks_uri"].as_str().expect("a URL"))
                .send()
                .await
                .expect("an answer")
                .json()
                .await
                .expect("JSON");
            assert_eq!(jwks["keys"][0]["alg"], "RS256");
        }
    });
}

#[test]
fn a_replayed_code_revokes_what_it_issued() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        let code = code(&stand_in, "offline_access read:self").await;
        let (status, token) = token_raw(&stand_in, &exchange_body(&code)).await;
        assert_eq!(status, StatusCode::OK);
        let access = token["access_token"].as_str().expect("an access token");
        let refresh = token["refresh_token"].as_str().expect("a refresh token");
        assert_eq!(api_status(&stand_in, access).await, StatusCode::OK);
        let (status, error) = token_raw(&stand_in, &exchange_body(&code)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["error"], "invalid_grant");
        assert_eq!(
            api_status(&stand_in, access).await,
            StatusCode::UNAUTHORIZED
        );
        let (status, _) = token_raw(
            &stand_in,
            &format!("grant_type=refresh_token&refresh_token={refresh}"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "its refresh token is revoked too"
        );
    });
}

#[test]
fn protocol_scopes_appear_only_when_asked() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        for (asked, granted, refresh) in [
            ("read:chat", "read:chat", false),
            ("openid read:chat", "openid read:chat", false),
            ("offline read:chat", "offline read:chat", true),
        ] {
            let code = code(&stand_in, asked).await;
            let (status, token) = token_raw(&stand_in, &exchange_body(&code)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(token["scope"], granted, "{asked}");
            assert_eq!(token.get("refresh_token").is_some(), refresh, "{asked}");
            assert_eq!(
                token.get("id_token").is_some(),
                asked.contains("openid"),
                "{asked}"
            );
        }
    });
}

#[test]
fn a_missing_response_type_is_invalid_request() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        let mut pairs = good("read:chat");
        pairs.retain(|(name, _)| *name != "response_type");
        let query = redirected(&authorize_url(&stand_in, &pairs))
            .await
            .expect("a redirect");
        assert_eq!(query["error"], "invalid_request");
        pairs.push(("response_type", "token"));
        let query = redirected(&authorize_url(&stand_in, &pairs))
            .await
            .expect("a redirect");
        assert_eq!(query["error"], "unsupported_response_type");
    });
}

#[test]
fn revocation_ends_a_grant_at_once() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        let revoke = |token: String| {
            let stand_in = stand_in.clone();
            async move {
                let response = http()
                    .post(stand_in.revocation_url())
                    .header("authorization", basic())
                    .form(&[
                        ("token", token.as_str()),
                        ("token_type_hint", "access_token"),
                    ])
                    .send()
                    .await
                    .expect("an answer");
                let status = response.status();
                (
                    status,
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
        };
        let code = code(&stand_in, "offline_access read:self").await;
        let (_, token) = token_raw(&stand_in, &exchange_body(&code)).await;
        let access = token["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned();
        let refresh = token["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned();
        assert_eq!(revoke(access.clone()).await.0, StatusCode::OK);
        assert_eq!(
            api_status(&stand_in, &access).await,
            StatusCode::UNAUTHORIZED
        );
        let (status, _) = token_raw(
            &stand_in,
            &format!("grant_type=refresh_token&refresh_token={refresh}"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "the grant's refresh token went with it"
        );
        // An unknown token is fine (RFC 7009 §2.2); another client's is not.
        assert_eq!(revoke("at-unknown".to_owned()).await.0, StatusCode::OK);
        let others = stand_in.token(scopes![read:self]);
        let (status, error) = revoke(others.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["error"], "unauthorized_client");
        assert_eq!(api_status(&stand_in, &others).await, StatusCode::OK);
    });
}

#[test]
fn the_api_honours_only_tokens_the_stand_in_issued() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        for forged in ["stand-in.ffff", "stand-in.7fff", "Bearer"] {
            assert_eq!(
                api_status(&stand_in, forged).await,
                StatusCode::UNAUTHORIZED,
                "{forged}"
            );
        }
        let issued = stand_in.token(scopes![read:self]);
        assert_eq!(api_status(&stand_in, &issued).await, StatusCode::OK);
        stand_in.advance_clock(Duration::from_secs(3601));
        assert_eq!(
            api_status(&stand_in, &issued).await,
            StatusCode::UNAUTHORIZED,
            "expired"
        );
    });
}

/// The consent page an authorize request for `scope` shows, and how it
/// marks one of its scopes (the text of its row).
async fn consent_page(
    stand_in: &StandIn,
    scope: &'static str,
) -> (String, impl Fn(&str) -> String) {
    stand_in.set_consent(Consent::Page);
    let page = http()
        .get(authorize_url(stand_in, &good(scope)))
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("a page");
    let rows = page.clone();
    let marked = move |scope: &str| {
        let at = rows.find(&format!("<code>{scope}</code>")).expect("listed");
        rows[at..]
            .split("</label>")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    (page, marked)
}

#[test]
fn a_step_up_consent_page_marks_the_new_scopes() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(scopes![read:self])).await;
        let _ = code(&stand_in, "read:self read:chat").await;
        let (page, marked) = consent_page(&stand_in, "read:self read:chat").await;
        assert!(page.contains("asks for more access"), "{page}");
        assert!(marked("read:chat").contains("class=\"new\""), "{page}");
        assert!(marked("read:self").contains("already allowed"), "{page}");
        // A first consent is not a step-up.
        let fresh = StandIn::start().await.expect("the stand-in starts");
        fresh.register_client(Client::new(CLIENT_ID, SECRET, CALLBACK, REGISTERED));
        let (page, _) = consent_page(&fresh, "read:self read:chat").await;
        assert!(!page.contains("asks for more access") && !page.contains("class=\"new\""));
    });
}

#[test]
fn a_step_up_marks_what_the_user_declined_at_the_latest_consent() {
    runtime().block_on(async {
        // Allowed once, unticked at the next sign-in: the stand-in
        // remembers what the user allows now, not every scope ever allowed.
        let stand_in = stand_in(Consent::Grant(scopes![read:self, read:chat])).await;
        let _ = code(&stand_in, "read:self read:chat").await;
        stand_in.set_consent(Consent::Grant(scopes![read:self]));
        let _ = code(&stand_in, "read:self read:chat").await;
        let (page, marked) = consent_page(&stand_in, "read:self read:chat").await;
        assert!(page.contains("asks for more access"), "{page}");
        assert!(marked("read:chat").contains("class=\"new\""), "{page}");
        assert!(marked("read:self").contains("already allowed"), "{page}");
        // A consent that did not ask for a scope leaves it as it was.
        stand_in.set_consent(Consent::Grant(scopes![read:self]));
        let _ = code(&stand_in, "read:self").await;
        let (page, _) = consent_page(&stand_in, "read:self write:chat").await;
        assert!(page.contains("asks for more access"), "{page}");
    });
}

/// Where an authorize request for `redirect_uri` is answered: the redirect
/// target with its query, or `None` for the stand-in's error page.
async fn answered_at(stand_in: &StandIn, redirect_uri: &str) -> Option<url::Url> {
    let encoded = url::form_urlencoded::byte_serialize(redirect_uri.as_bytes()).collect::<String>();
    let mut pairs = good("read:self");
    pairs.retain(|(name, _)| *name != "redirect_uri");
    pairs.push(("redirect_uri", &encoded));
    let response = http()
        .get(authorize_url(stand_in, &pairs))
        .send()
        .await
        .expect("an answer");
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    Some(url::Url::parse(location).expect("a URL"))
}

#[test]
fn a_loopback_ip_redirect_takes_any_port_and_localhost_is_compared_exactly() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        stand_in.register_client(Client {
            redirect_uris: vec![
                "http://[::1]:9/native".to_owned(),
                "http://localhost:9/named".to_owned(),
            ],
            ..Client::new("native-app", "native-secret", CALLBACK, REGISTERED)
        });
        let native = |uri: &str| {
            let encoded = url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>();
            format!(
                "{}?response_type=code&client_id=native-app&redirect_uri={encoded}&scope=read:self\
                 &state={STATE}&code_challenge={CHALLENGE}&code_challenge_method=S256",
                stand_in.authorize_url()
            )
        };
        // RFC 8252 §7.3: the port is the app's to choose at run time.
        let other_port = "http://127.0.0.1:53682/callback";
        let answer = answered_at(&stand_in, other_port).await.expect("a redirect");
        assert_eq!(answer.port(), Some(53682));
        let code: String = answer
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, code)| code.into_owned())
            .expect("a code");
        // The code is bound to the URI as asked, port and all.
        let (status, _) = token_raw(&stand_in, &exchange_body(&code)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "another port than asked");
        let callback = url::form_urlencoded::byte_serialize(other_port.as_bytes()).collect::<String>();
        let body = format!(
            "grant_type=authorization_code&code={code}&redirect_uri={callback}&code_verifier={VERIFIER}"
        );
        let (status, token) = token_raw(&stand_in, &body).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        for uri in ["http://127.0.0.1/callback", "http://127.0.0.1:1/callback"] {
            assert!(answered_at(&stand_in, uri).await.is_some(), "{uri}");
        }
        let ipv6 = http().get(native("http://[::1]:40000/native")).send().await.expect("an answer");
        let location = ipv6.headers().get(LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default();
        assert!(location.starts_with("http://[::1]:40000/native?code="), "{location}");
        // Only the port: another path, query, scheme, host or a fragment
        // is another URI, shown an error page and never redirected to.
        for uri in [
            "http://127.0.0.1:53682/callback/",
            "http://127.0.0.1:53682/other",
            "http://127.0.0.1:53682/callback?x=1",
            "http://127.0.0.1:53682/callback#x",
            "https://127.0.0.1:53682/callback",
            "http://127.0.0.2:9/callback",
            "http://user@127.0.0.1:53682/callback",
            "http://localhost:9/callback",
        ] {
            assert!(answered_at(&stand_in, uri).await.is_none(), "{uri}");
        }
        // `localhost` is a name, not a loopback IP: its port is compared
        // too, as Hydra does (RFC 8252 §8.3).
        let named = http().get(native("http://localhost:10/named")).send().await.expect("an answer");
        assert_eq!(named.status(), StatusCode::BAD_REQUEST);
        assert!(named.headers().get(LOCATION).is_none());
        let exact = http().get(native("http://localhost:9/named")).send().await.expect("an answer");
        assert_eq!(exact.status(), StatusCode::FOUND);
    });
}

/// RFC 6749 §5.2 (and §4.1.2.1): `error_description` is printable ASCII
/// but `"` and `\`.
fn assert_within_section_5_2(description: &str, context: &str) {
    assert!(!description.is_empty(), "{context}: a description");
    assert!(
        description
            .chars()
            .all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\'),
        "{context}: {description:?}"
    );
}

#[test]
fn every_error_description_is_within_rfc_6749_section_5_2() {
    runtime().block_on(async {
        let stand_in = stand_in(Consent::Grant(REGISTERED)).await;
        // Each way the authorize endpoint refuses to the client, hostile
        // text echoed in some.
        let long = "x".repeat(5000);
        let mut authorize: Vec<Vec<(&str, &str)>> = vec![
            vec![("%C2%A7%22%5C", "1"), ("%C2%A7%22%5C", "2")],
            vec![("scope", "%FF")],
            vec![("response_type", "token")],
            vec![("nonce", "short")],
            vec![("code_challenge_method", "plain")],
            vec![("code_challenge", "short")],
            vec![("scope", "read:%22quoted%5C%C2%A7")],
            vec![("scope", &long)],
        ];
        let mut missing: Vec<Vec<(&str, &str)>> = ["response_type", "state", "code_challenge"]
            .into_iter()
            .map(|name| {
                let mut pairs = good("read:self");
                pairs.retain(|(known, _)| *known != name);
                pairs
            })
            .collect();
        for extra in &mut authorize {
            let mut pairs = good("read:self");
            pairs.retain(|(name, _)| !extra.iter().any(|(known, _)| known == name));
            extra.extend(pairs);
        }
        authorize.append(&mut missing);
        for pairs in &authorize {
            let url = authorize_url(&stand_in, pairs);
            let query = redirected(&url)
                .await
                .unwrap_or_else(|| panic!("{url}: a redirect"));
            assert!(query.contains_key("error"), "{url}");
            assert_within_section_5_2(&query["error_description"], &url);
            assert!(query["error_description"].len() < 300, "{url}: cut short");
        }
        stand_in.set_consent(Consent::Deny);
        let denied = redirected(&authorize_url(&stand_in, &good("read:self")))
            .await
            .expect("a redirect");
        assert_within_section_5_2(&denied["error_description"], "denied");
        stand_in.set_consent(Consent::Grant(REGISTERED));

        // Each way the token and revocation endpoints refuse.
        let code = code(&stand_in, "offline_access read:self").await;
        let (_, tokens) = token_raw(&stand_in, &exchange_body(&code)).await;
        let refresh = tokens["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned();
        let secret = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect::<String>();
        let bodies = [
            "grant_type=authorization_code&%C2%A7=1&%C2%A7=2".to_owned(),
            "grant_type=%FF%FE".to_owned(),
            format!("grant_type=client_credentials&client_secret={secret}"),
            "grant_type=authorization_code&client_id=other".to_owned(),
            "grant_type=password".to_owned(),
            "scope=read:self".to_owned(),
            "grant_type=authorization_code".to_owned(),
            "grant_type=authorization_code&code=unknown".to_owned(),
            exchange_body(&code),
            "grant_type=refresh_token".to_owned(),
            "grant_type=refresh_token&refresh_token=unknown".to_owned(),
            format!("grant_type=refresh_token&refresh_token={refresh}&scope=read:%22x%5C%C2%A7"),
            "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=unknown".to_owned(),
        ];
        for body in &bodies {
            let (status, error) = token_raw(&stand_in, body).await;
            assert!(status.is_client_error(), "{body}: {status}");
            assert!(error["error"].is_string(), "{body}: {error}");
            assert_within_section_5_2(
                error["error_description"].as_str().unwrap_or_default(),
                body,
            );
        }
        let unauthenticated = [
            (None, "text/plain", "grant_type=refresh_token"),
            (
                Some("Bearer x"),
                "application/x-www-form-urlencoded",
                "grant_type=refresh_token",
            ),
            (
                None,
                "application/x-www-form-urlencoded",
                "grant_type=refresh_token&client_id=strict-app&client_secret=wrong",
            ),
        ];
        for (authorization, content_type, body) in unauthenticated {
            let mut request = http()
                .post(stand_in.token_url())
                .header(CONTENT_TYPE, content_type)
                .body(body);
            if let Some(authorization) = authorization {
                request = request.header("authorization", authorization);
            }
            let response = request.send().await.expect("an answer");
            let error: Value = response.json().await.expect("JSON");
            assert_within_section_5_2(
                error["error_description"].as_str().unwrap_or_default(),
                body,
            );
        }
        for body in ["token_type_hint=access_token", "token=%C2%A7&token=2"] {
            let response = http()
                .post(stand_in.revocation_url())
                .header("authorization", basic())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("an answer");
            let error: Value = response.json().await.expect("JSON");
            assert_within_section_5_2(
                error["error_description"].as_str().unwrap_or_default(),
                body,
            );
        }
    });
}
