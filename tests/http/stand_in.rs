//! The reqwest middleware against the stand-in Fanvue API, over real
//! sockets on 127.0.0.1: it refuses exactly the calls the stand-in would
//! answer with 403, and a refused call never reaches it.

use fanvue_scopes::client::{CallCheck, ScopeCheck, call_refused};
use fanvue_scopes::testing::StandIn;
use fanvue_scopes::{Endpoint, Granted, ScopeSet, scopes};
use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use reqwest_middleware::ClientWithMiddleware;
use std::time::Duration;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a reqwest client")
}

fn checked_client(stand_in: &StandIn, believed: ScopeSet) -> ClientWithMiddleware {
    let check = CallCheck::new(believed)
        .with_base_url(&stand_in.base_url())
        .expect("the stand-in's base URL");
    reqwest_middleware::ClientBuilder::new(http_client())
        .with(ScopeCheck::with(check))
        .build()
}

/// A concrete URL for the endpoint, its parameters filled with UUIDs.
fn url(stand_in: &StandIn, endpoint: Endpoint) -> String {
    let path: Vec<String> = endpoint
        .path()
        .split('/')
        .enumerate()
        .map(|(index, segment)| {
            if segment.starts_with('{') {
                format!("7d3f{index:04x}-2c1e-4a5b-8f9d-0123456789ab")
            } else {
                segment.to_owned()
            }
        })
        .collect();
    format!("{}{}?page=1", stand_in.base_url(), path.join("/"))
}

fn method(endpoint: Endpoint) -> Method {
    Method::from_bytes(endpoint.method().as_bytes()).expect("catalog methods are valid")
}

/// Every endpoint, once through the middleware and once straight to the
/// stand-in, with a token that grants `granted`.
async fn every_endpoint_agrees(stand_in: &StandIn, granted: ScopeSet) -> Result<(), String> {
    let token = stand_in.token(granted);
    let checked = checked_client(stand_in, granted);
    let direct = http_client();
    for endpoint in Endpoint::ALL {
        let url = url(stand_in, endpoint);
        let before = stand_in.requests();
        let through_middleware = checked
            .request(method(endpoint), &url)
            .bearer_auth(&token)
            .send()
            .await;
        let reached = stand_in.requests() - before;
        let answer = direct
            .request(method(endpoint), &url)
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|error| format!("{endpoint}: {error}"))?
            .status();
        let covered = granted.contains_all(endpoint.scopes());
        if (answer == StatusCode::FORBIDDEN) == covered || (covered && answer != StatusCode::OK) {
            return Err(format!(
                "{endpoint} with {granted}: the stand-in said {answer}"
            ));
        }
        match through_middleware {
            Ok(response) if covered && response.status() == StatusCode::OK && reached == 1 => {}
            Err(error) if !covered && reached == 0 => {
                let refused = call_refused(&error).ok_or(format!("{endpoint}: {error}"))?;
                if refused.endpoint() != endpoint
                    || refused.is_from_fanvue()
                    || refused.missing() != endpoint.scopes().difference(granted)
                {
                    return Err(format!("{endpoint} with {granted}: {refused:?}"));
                }
            }
            other => {
                return Err(format!(
                    "{endpoint} with {granted}: {other:?}, {reached} request(s) reached the stand-in"
                ));
            }
        }
    }
    Ok(())
}

/// Sets of every size: the empty set, single scopes, a few, most, all.
fn granted_sets() -> impl Strategy<Value = ScopeSet> {
    let bits = prop_oneof![
        Just(0u64),
        (0..fanvue_scopes::Scope::COUNT as u32).prop_map(|bit| 1 << bit),
        (any::<u64>(), any::<u64>()).prop_map(|(a, b)| a & b),
        any::<u64>(),
        (any::<u64>(), any::<u64>()).prop_map(|(a, b)| a | b),
        Just(u64::MAX),
    ];
    bits.prop_map(ScopeSet::from_bits_truncate)
}

#[test]
fn the_middleware_refuses_exactly_what_the_stand_in_forbids() {
    let runtime = runtime();
    let stand_in = runtime
        .block_on(StandIn::start())
        .expect("the stand-in starts");
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest::test_runner::TestRunner::new(config)
        .run(&granted_sets(), |granted| {
            runtime
                .block_on(every_endpoint_agrees(&stand_in, granted))
                .map_err(TestCaseError::fail)
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
}

#[test]
fn fanvues_403_is_the_same_error() {
    let runtime = runtime();
    runtime.block_on(async {
        let stand_in = StandIn::start().await.expect("the stand-in starts");
        // The app believes its token has every scope; it has only read:self.
        let client = checked_client(&stand_in, ScopeSet::ALL);
        let error = client
            .get(url(&stand_in, Endpoint::ListChats))
            .bearer_auth(stand_in.token(scopes![read:self]))
            .send()
            .await
            .expect_err("Fanvue's 403 is an error");
        let refused = call_refused(&error).expect("a CallRefused");
        assert!(refused.is_from_fanvue());
        assert_eq!(refused.endpoint(), Endpoint::ListChats);
        assert_eq!(refused.missing(), scopes![read:chat]);
        assert_eq!(stand_in.requests(), 1);
    });
}

#[test]
fn calls_outside_the_catalog_pass_unchecked() {
    let runtime = runtime();
    runtime.block_on(async {
        let stand_in = StandIn::start().await.expect("the stand-in starts");
        let client = checked_client(&stand_in, ScopeSet::EMPTY);
        let token = stand_in.token(ScopeSet::EMPTY);
        for (method, path) in [
            (Method::GET, "/not-an-endpoint"),
            (Method::PUT, "/chats"),
            (Method::POST, "/chats/unread"),
            (Method::GET, "/chats/"),
        ] {
            let response = client
                .request(method.clone(), format!("{}{path}", stand_in.base_url()))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        }
        assert_eq!(stand_in.requests(), 4);
    });
}

#[test]
fn a_granted_extension_checks_one_call_with_its_own_scopes() {
    let runtime = runtime();
    runtime.block_on(async {
        let stand_in = StandIn::start().await.expect("the stand-in starts");
        let client = checked_client(&stand_in, ScopeSet::ALL);
        let user = scopes![read:self];
        let error = client
            .get(url(&stand_in, Endpoint::ListChats))
            .bearer_auth(stand_in.token(user))
            .with_extension(Granted(user))
            .send()
            .await
            .expect_err("refused before the network");
        let refused = call_refused(&error).expect("a CallRefused");
        assert!(!refused.is_from_fanvue());
        assert_eq!(stand_in.requests(), 0);
    });
}

#[test]
fn the_stand_in_wants_its_own_tokens() {
    let runtime = runtime();
    runtime.block_on(async {
        let stand_in = StandIn::start().await.expect("the stand-in starts");
        let client = http_client();
        let listed = url(&stand_in, Endpoint::GetCurrentUser);
        let missing = client.get(&listed).send().await.expect("an answer");
        assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
        // Neither an opaque string nor one that looks like the tokens an
        // earlier stand-in read its scopes from: only tokens it issued.
        for forged in [
            "opaque",
            "stand-in.ffff",
            "at-0123456789abcdef0123456789abcdef",
        ] {
            let unknown = client.get(&listed).bearer_auth(forged).send().await;
            assert_eq!(
                unknown.map(|r| r.status()).ok(),
                Some(StatusCode::UNAUTHORIZED),
                "{forged}"
            );
        }
        let ok = client
            .get(&listed)
            .bearer_auth(stand_in.token(scopes![read:self]))
            .send()
            .await
            .expect("an answer");
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(
            ok.text().await.ok().as_deref(),
            Some(r#"{"operation":"getCurrentUser","stand_in":true,"handle":"stand-in-creator"}"#)
        );
    });
}

mod fanvue_answers {
    //! A server that answers as Fanvue might beyond the stand-in: a `403`
    //! for another reason than scopes, a challenge naming scopes, and a
    //! redirect from an unchecked path to a scoped endpoint.

    use super::*;
    use axum::http::header::{LOCATION, WWW_AUTHENTICATE};
    use axum::routing::get;
    use fanvue_scopes::RefusedBy;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Server {
        base_url: String,
        chats_reached: Arc<AtomicUsize>,
    }

    async fn start() -> Server {
        let chats_reached = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&chats_reached);
        let app = axum::Router::new()
            .route("/users/me", get(|| async { (StatusCode::FORBIDDEN, "suspended") }))
            .route(
                "/creators",
                get(|| async {
                    (
                        StatusCode::FORBIDDEN,
                        [(WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)],
                    )
                }),
            )
            .route(
                "/insights/earnings",
                get(|| async {
                    (
                        StatusCode::FORBIDDEN,
                        [(
                            WWW_AUTHENTICATE,
                            r#"Basic realm="x", Bearer realm="fanvue", error="insufficient_scope", scope="read:insights read:creator""#,
                        )],
                    )
                }),
            )
            .route("/go", get(|| async { (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, "/chats")]) }))
            .route("/see-other", get(|| async { (StatusCode::SEE_OTHER, [(LOCATION, "/chats")]) }))
            .route(
                "/chats",
                get(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async { "the chats" }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server {
            base_url: format!("http://{address}"),
            chats_reached,
        }
    }

    fn client(server: &Server, granted: ScopeSet, follow_checked: bool) -> ClientWithMiddleware {
        let check = ScopeCheck::with(
            CallCheck::new(granted)
                .with_base_url(&server.base_url)
                .expect("the server's base URL"),
        );
        let mut http = reqwest::Client::builder().timeout(Duration::from_secs(10));
        if follow_checked {
            http = http.redirect(check.redirect_policy());
        }
        reqwest_middleware::ClientBuilder::new(http.build().expect("a client"))
            .with(check)
            .build()
    }

    #[test]
    fn a_403_without_insufficient_scope_stays_a_response() {
        runtime().block_on(async {
            let server = start().await;
            let client = client(&server, ScopeSet::ALL, true);
            for path in ["/users/me", "/creators"] {
                let response = client
                    .get(format!("{}{path}", server.base_url))
                    .send()
                    .await
                    .unwrap_or_else(|error| panic!("{path}: {error}"));
                assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
            }
        });
    }

    #[test]
    fn fanvues_challenge_names_the_scopes_it_needs() {
        runtime().block_on(async {
            let server = start().await;
            let client = client(&server, scopes![read:insights], true);
            let error = client
                .get(format!("{}/insights/earnings", server.base_url))
                .send()
                .await
                .expect_err("refused by Fanvue");
            let refused = call_refused(&error).expect("a CallRefused");
            assert_eq!(
                refused.refused_by(),
                RefusedBy::Fanvue {
                    scope: scopes![read:insights, read:creator]
                }
            );
            assert_eq!(refused.missing(), scopes![read:creator]);
        });
    }

    #[test]
    fn a_redirect_to_an_endpoint_the_token_cant_call_is_refused_before_it_is_followed() {
        runtime().block_on(async {
            let server = start().await;
            let client = client(&server, scopes![read:self], true);
            for path in ["/go", "/see-other"] {
                let error = client
                    .get(format!("{}{path}", server.base_url))
                    .send()
                    .await
                    .expect_err("the redirect is refused");
                let refused = call_refused(&error).unwrap_or_else(|| panic!("{path}: {error}"));
                assert_eq!(refused.endpoint(), Endpoint::ListChats, "{path}");
                assert_eq!(refused.refused_by(), RefusedBy::BeforeSending, "{path}");
            }
            assert_eq!(server.chats_reached.load(Ordering::SeqCst), 0);
            // A token that may read chats follows it.
            let reader = client_for(&server, scopes![read:chat]);
            let response = reader
                .get(format!("{}/go", server.base_url))
                .send()
                .await
                .expect("followed");
            assert_eq!(response.text().await.ok().as_deref(), Some("the chats"));
        });
    }

    fn client_for(server: &Server, granted: ScopeSet) -> ClientWithMiddleware {
        client(server, granted, true)
    }

    #[test]
    fn without_the_policy_a_followed_redirect_is_still_an_error() {
        runtime().block_on(async {
            let server = start().await;
            let client = client(&server, scopes![read:self], false);
            let error = client
                .get(format!("{}/go", server.base_url))
                .send()
                .await
                .expect_err("the redirect's target is refused");
            let refused = call_refused(&error).expect("a CallRefused");
            assert_eq!(refused.endpoint(), Endpoint::ListChats);
            // reqwest followed it below the middleware: it was reached,
            // and the refusal says so.
            assert_eq!(server.chats_reached.load(Ordering::SeqCst), 1);
            assert_eq!(refused.refused_by(), RefusedBy::AfterRedirect);
            assert!(
                refused
                    .to_string()
                    .contains("followed before it could be checked")
            );
        });
    }
}
