//! The consent loop an app's user lives through, over HTTP against the
//! stand-in Fanvue: sign in, consent (fully, partly, or not), use the API,
//! be refused, step up, refresh; and every way the authorization server
//! must say no. The test plays the app; reqwest follows no redirect, so
//! each `302` is read as a browser would follow it.

mod support;

use fanvue_scopes::step_up::Registration;
use fanvue_scopes::testing::{Client, Consent, StandIn};
use fanvue_scopes::{Endpoint, Requirement, ScopeSet, scopes};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use support::{http, runtime};

const CLIENT_ID: &str = "my-app";
const SECRET: &str = "s3cret";
const CALLBACK: &str = "http://127.0.0.1:9/callback";
/// What the app is registered for in the (stand-in) developer area.
const REGISTERED: ScopeSet = scopes![read:self, read:chat, write:chat];
const REGISTRATION: Registration = Registration::new(REGISTERED);

async fn stand_in() -> StandIn {
    let stand_in = StandIn::start().await.expect("the stand-in starts");
    stand_in.register_client(Client::new(CLIENT_ID, SECRET, CALLBACK, REGISTERED));
    stand_in
}

/// The query of a redirect's `Location`.
fn location(response: &reqwest::Response) -> HashMap<String, String> {
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no Location on a {}", response.status()));
    assert!(location.starts_with(CALLBACK), "{location}");
    let url = url::Url::parse(location).expect("a URL");
    url.query_pairs().into_owned().collect()
}

/// Sends the user to authorize `scopes` (the step-up way: state and PKCE
/// from the crate), and returns the callback's query and the verifier.
async fn authorize(
    stand_in: &StandIn,
    scopes: ScopeSet,
) -> (HashMap<String, String>, String, String) {
    let request = REGISTRATION
        .step_up(
            &Requirement::from(scopes)
                .check(ScopeSet::EMPTY)
                .unwrap_err(),
        )
        .expect("within the registration")
        .authorize_request_at(&stand_in.authorize_url(), CLIENT_ID, CALLBACK)
        .expect("an authorize request");
    let response = http().get(&request.url).send().await.expect("an answer");
    assert_eq!(response.status(), StatusCode::FOUND);
    (location(&response), request.state, request.pkce_verifier)
}

async fn token_request(stand_in: &StandIn, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = http()
        .post(stand_in.token_url())
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(form)
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

async fn exchange(stand_in: &StandIn, code: &str, verifier: &str) -> (StatusCode, Value) {
    token_request(
        stand_in,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn call(stand_in: &StandIn, endpoint: Endpoint, token: &str) -> StatusCode {
    let path = endpoint
        .path_with(&["0b7c1a9e"][..endpoint.path().matches('{').count()])
        .expect("a path");
    http()
        .request(
            endpoint.method().parse().expect("a method"),
            format!("{}{path}", stand_in.base_url()),
        )
        .bearer_auth(token)
        .send()
        .await
        .expect("an answer")
        .status()
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
}

#[test]
fn full_consent_then_the_api() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        stand_in.set_consent(Consent::Grant(REGISTERED));
        let (query, state, verifier) = authorize(&stand_in, scopes![read:chat, write:chat]).await;
        assert_eq!(query["state"], state, "state is echoed");
        let (status, token) = exchange(&stand_in, &query["code"], &verifier).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        assert_eq!(
            text(&token, "scope"),
            "openid offline_access offline read:chat write:chat"
        );
        assert_eq!(text(&token, "token_type"), "bearer", "as Hydra writes it");
        let access = text(&token, "access_token");
        assert_eq!(
            call(&stand_in, Endpoint::SendMessage, access).await,
            StatusCode::OK
        );
        // Exactly the granted scopes: read:self was not asked for.
        assert_eq!(
            call(&stand_in, Endpoint::GetCurrentUser, access).await,
            StatusCode::FORBIDDEN
        );
    });
}

#[test]
fn partial_consent_then_a_refusal_then_step_up_then_success() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        // The user unticks write:chat.
        stand_in.set_consent(Consent::Grant(scopes![read:self, read:chat]));
        let (query, _, verifier) = authorize(&stand_in, REGISTERED).await;
        let (_, token) = exchange(&stand_in, &query["code"], &verifier).await;
        let granted = ScopeSet::parse_lenient(text(&token, "scope")).known();
        assert_eq!(granted, scopes![read:self, read:chat]);
        // Sending a message is refused by the app's guard...
        let refused = Requirement::from(scopes![write:chat])
            .check(granted)
            .unwrap_err();
        // ...and also by Fanvue, for the raw call.
        assert_eq!(
            call(
                &stand_in,
                Endpoint::SendMessage,
                text(&token, "access_token")
            )
            .await,
            StatusCode::FORBIDDEN
        );
        // Step up: what the token has plus what is missing.
        let step_up = REGISTRATION.step_up(&refused).expect("registered");
        assert_eq!(step_up.scopes(), scopes![read:self, read:chat, write:chat]);
        stand_in.set_consent(Consent::Grant(REGISTERED));
        let request = step_up
            .authorize_request_at(&stand_in.authorize_url(), CLIENT_ID, CALLBACK)
            .expect("a request");
        assert!(
            request.url.contains(
                "scope=openid+offline_access+offline+read%3Aself+read%3Achat+write%3Achat"
            ),
            "{}",
            request.url
        );
        let response = http().get(&request.url).send().await.expect("an answer");
        let query = location(&response);
        assert_eq!(query["state"], request.state);
        let (_, token) = exchange(&stand_in, &query["code"], &request.pkce_verifier).await;
        let access = text(&token, "access_token");
        assert_eq!(
            call(&stand_in, Endpoint::SendMessage, access).await,
            StatusCode::OK
        );
        assert_eq!(
            call(&stand_in, Endpoint::GetCurrentUser, access).await,
            StatusCode::OK
        );
    });
}

#[test]
fn deny_redirects_with_access_denied() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        stand_in.set_consent(Consent::Deny);
        let (query, state, _) = authorize(&stand_in, scopes![read:chat]).await;
        assert_eq!(query["error"], "access_denied");
        assert_eq!(query["state"], state);
        assert!(!query.contains_key("code"));
    });
}

#[test]
fn the_consent_page_lists_each_scope_and_grants_what_stays_ticked() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        let request = REGISTRATION
            .step_up(
                &Requirement::from(REGISTERED)
                    .check(ScopeSet::EMPTY)
                    .unwrap_err(),
            )
            .expect("registered")
            .authorize_request_at(&stand_in.authorize_url(), CLIENT_ID, CALLBACK)
            .expect("a request");
        let page = http().get(&request.url).send().await.expect("a page");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("HTML");
        for scope in REGISTERED {
            assert!(
                html.contains(&format!("value=\"{}\"", scope.as_str())),
                "{scope}"
            );
            assert!(html.contains(scope.description()), "{scope}'s description");
        }
        let id = html
            .split("name=\"request\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the request id");
        // Untick write:chat; Allow.
        let response = http()
            .post(format!("{}/oauth2/consent", stand_in.base_url()))
            .form(&[
                ("request", id),
                ("scope", "read:self"),
                ("scope", "read:chat"),
                ("decision", "allow"),
            ])
            .send()
            .await
            .expect("an answer");
        let query = location(&response);
        let (_, token) = exchange(&stand_in, &query["code"], &request.pkce_verifier).await;
        assert_eq!(
            text(&token, "scope"),
            "openid offline_access offline read:self read:chat"
        );
        // The same request can't be answered twice.
        let again = http()
            .post(format!("{}/oauth2/consent", stand_in.base_url()))
            .form(&[("request", id), ("decision", "allow")])
            .send()
            .await
            .expect("an answer");
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    });
}

#[test]
fn asking_beyond_the_registration_is_invalid_scope() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        let url = format!(
            "{}?response_type=code&client_id={CLIENT_ID}&redirect_uri={CALLBACK}&scope=openid%20read:insights&state=state-of-s1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            stand_in.authorize_url()
        );
        let query = location(&http().get(url).send().await.expect("an answer"));
        assert_eq!(query["error"], "invalid_scope");
        assert_eq!(query["state"], "state-of-s1");
        // And the crate refuses to build such a step-up in the first place.
        let refused = Requirement::from(scopes![read:insights]).check(REGISTERED).unwrap_err();
        let error = REGISTRATION.step_up(&refused).unwrap_err();
        assert!(error.to_string().contains("tick it for the app in the Fanvue developer area"), "{error}");
    });
}

#[test]
fn plain_pkce_an_unknown_client_and_a_wrong_redirect_uri_are_refused() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        let base = stand_in.authorize_url();
        let plain = format!(
            "{base}?response_type=code&client_id={CLIENT_ID}&redirect_uri={CALLBACK}&scope=openid&state=a-strong-state&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=plain"
        );
        assert_eq!(location(&http().get(plain).send().await.expect("an answer"))["error"], "invalid_request");
        for url in [
            format!("{base}?response_type=code&client_id=nobody&redirect_uri={CALLBACK}&code_challenge=a&code_challenge_method=S256"),
            format!("{base}?response_type=code&client_id={CLIENT_ID}&redirect_uri=http://evil.example/cb&code_challenge=a&code_challenge_method=S256"),
            format!("{base}?response_type=code&client_id={CLIENT_ID}&redirect_uri={CALLBACK}/x&code_challenge=a&code_challenge_method=S256"),
        ] {
            let response = http().get(&url).send().await.expect("an answer");
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
            assert!(response.headers().get(LOCATION).is_none(), "never a redirect: {url}");
        }
    });
}

#[test]
fn a_wrong_verifier_a_reused_code_and_another_redirect_uri_are_invalid_grant() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        stand_in.set_consent(Consent::Grant(REGISTERED));
        let (query, _, _) = authorize(&stand_in, scopes![read:chat]).await;
        let (status, error) = exchange(&stand_in, &query["code"], "not-the-verifier").await;
        assert_eq!(
            (status, text(&error, "error")),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );
        // A code is used up by any attempt.
        let (query, _, verifier) = authorize(&stand_in, scopes![read:chat]).await;
        let (status, _) = exchange(&stand_in, &query["code"], &verifier).await;
        assert_eq!(status, StatusCode::OK);
        let (status, error) = exchange(&stand_in, &query["code"], &verifier).await;
        assert_eq!(
            (status, text(&error, "error")),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );
        let (query, _, verifier) = authorize(&stand_in, scopes![read:chat]).await;
        let (status, error) = token_request(
            &stand_in,
            &[
                ("grant_type", "authorization_code"),
                ("code", &query["code"]),
                ("redirect_uri", "http://127.0.0.1:9/other"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(
            (status, text(&error, "error")),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );
        // A code expires in minutes.
        let (query, _, verifier) = authorize(&stand_in, scopes![read:chat]).await;
        stand_in.advance_clock(Duration::from_secs(301));
        let (status, _) = exchange(&stand_in, &query["code"], &verifier).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    });
}

#[test]
fn client_authentication_and_grant_types_follow_rfc_6749() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        let response = http()
            .post(stand_in.token_url())
            .basic_auth(CLIENT_ID, Some("wrong"))
            .form(&[("grant_type", "authorization_code"), ("code", "x")])
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get("www-authenticate").is_some());
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(text(&body, "error"), "invalid_client");
        // The form's credentials work as well as Basic.
        let response = http()
            .post(stand_in.token_url())
            .form(&[
                ("grant_type", "password"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
            ])
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(text(&body, "error"), "unsupported_grant_type");
    });
}

#[test]
fn refresh_tokens_rotate_revoking_older_access_tokens_and_reuse_revokes_the_family() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        stand_in.set_consent(Consent::Grant(REGISTERED));
        let (query, _, verifier) = authorize(&stand_in, scopes![read:chat]).await;
        let (_, first) = exchange(&stand_in, &query["code"], &verifier).await;
        let refresh = |token: &str| {
            let token = token.to_owned();
            let stand_in = stand_in.clone();
            async move {
                token_request(
                    &stand_in,
                    &[("grant_type", "refresh_token"), ("refresh_token", &token)],
                )
                .await
            }
        };
        let (status, second) = refresh(text(&first, "refresh_token")).await;
        assert_eq!(status, StatusCode::OK, "{second}");
        assert_ne!(
            text(&second, "refresh_token"),
            text(&first, "refresh_token"),
            "rotated"
        );
        let access = text(&second, "access_token");
        assert_eq!(
            call(&stand_in, Endpoint::ListChats, access).await,
            StatusCode::OK
        );
        assert_eq!(
            call(&stand_in, Endpoint::ListChats, text(&first, "access_token")).await,
            StatusCode::UNAUTHORIZED,
            "rotation revokes the access tokens before it, as Hydra does"
        );
        // The spent token again: refused, and the family revoked.
        let (status, error) = refresh(text(&first, "refresh_token")).await;
        assert_eq!(
            (status, text(&error, "error")),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );
        assert_eq!(
            call(&stand_in, Endpoint::ListChats, access).await,
            StatusCode::UNAUTHORIZED
        );
        let (status, _) = refresh(text(&second, "refresh_token")).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "the newest token of the family is revoked too"
        );
    });
}

#[test]
fn an_expired_token_is_401_until_refreshed() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        stand_in.set_consent(Consent::Grant(REGISTERED));
        let (query, _, verifier) = authorize(&stand_in, scopes![read:chat]).await;
        let (_, token) = exchange(&stand_in, &query["code"], &verifier).await;
        stand_in.advance_clock(Duration::from_secs(3601));
        let response = http()
            .get(format!("{}/chats", stand_in.base_url()))
            .bearer_auth(text(&token, "access_token"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer error=\"invalid_token\"")
        );
        let (status, fresh) = token_request(
            &stand_in,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", text(&token, "refresh_token")),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            call(&stand_in, Endpoint::ListChats, text(&fresh, "access_token")).await,
            StatusCode::OK
        );
    });
}

#[test]
fn an_embedded_app_exchanges_its_assertion_for_an_online_token() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        let assertion = stand_in.assertion(scopes![read:self]);
        let grant = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.as_str()),
        ];
        let (status, token) = token_request(&stand_in, &grant).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        assert!(
            token.get("refresh_token").is_none(),
            "online: no refresh token"
        );
        // What was granted, and no protocol scope nobody asked for.
        assert_eq!(text(&token, "scope"), "read:self");
        assert_eq!(
            call(
                &stand_in,
                Endpoint::GetCurrentUser,
                text(&token, "access_token")
            )
            .await,
            StatusCode::OK
        );
        let (status, error) = token_request(&stand_in, &grant).await;
        assert_eq!(
            (status, text(&error, "error")),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );
    });
}

#[test]
fn an_unanswered_consent_page_expires() {
    runtime().block_on(async {
        let stand_in = stand_in().await;
        let request = REGISTRATION
            .sign_in(scopes![read:chat])
            .expect("registered")
            .authorize_request_at(&stand_in.authorize_url(), CLIENT_ID, CALLBACK)
            .expect("a request");
        let html = http()
            .get(&request.url)
            .send()
            .await
            .expect("a page")
            .text()
            .await
            .expect("HTML");
        let id = html
            .split("name=\"request\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the request id")
            .to_owned();
        stand_in.advance_clock(Duration::from_secs(601));
        let late = http()
            .post(format!("{}/oauth2/consent", stand_in.base_url()))
            .form(&[("request", id.as_str()), ("decision", "allow")])
            .send()
            .await
            .expect("an answer");
        assert_eq!(late.status(), StatusCode::BAD_REQUEST);
        assert!(late.headers().get(LOCATION).is_none());
    });
}
