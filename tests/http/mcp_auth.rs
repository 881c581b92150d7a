//! The MCP example's own authorization server (`fanvue_scopes::mcp::auth`)
//! over HTTP, as MCP clients and hostile ones reach it: registration and
//! its bounds, authorize's refusals, codes and refresh tokens (rotation,
//! reuse, a client's concurrent refresh), revocation at both ends, what
//! lies at rest, a grant that Fanvue ended, Fanvue unreachable, and a
//! restart that loses nothing. Each regression named after a failure MCP
//! proxies are known for.

#[path = "support/documents.rs"]
mod documents;
#[path = "support/mcp_example.rs"]
mod mcp_example;
#[path = "../../fanvue-scopes/tests/support/mcp_sign_in.rs"]
mod mcp_sign_in;
#[path = "support/postgres.rs"]
mod postgres;
#[path = "../../fanvue-scopes/examples/mcp/tools.rs"]
#[allow(dead_code)] // The example's own entry points go unused here.
mod tools;

use documents::Documents;
use fanvue_scopes::mcp::auth::ClientDocuments;
use fanvue_scopes::scopes;
use fanvue_scopes::testing::StandIn;
use mcp_sign_in::{CALLBACK, CHALLENGE, http, register, register_with, sign_in_asking};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

/// The example's server on a free port, its database and the stand-in
/// Fanvue behind it.
struct Server {
    base: String,
    database: PathBuf,
    fanvue: StandIn,
    task: tokio::task::JoinHandle<()>,
}

/// Serves the app on `port` (0: a free one) over `database`, with
/// `fanvue` behind it and a one-second refresh grace.
async fn serve(fanvue: &StandIn, database: &Path, port: u16) -> Server {
    let url = format!("sqlite://{}", database.display());
    let (base, task) = serve_on(fanvue, &url, port).await;
    Server {
        base,
        database: database.to_path_buf(),
        fanvue: fanvue.clone(),
        task,
    }
}

/// Serves the app on `port` over the database at `url`: its base URL and
/// its task.
async fn serve_on(fanvue: &StandIn, url: &str, port: u16) -> (String, tokio::task::JoinHandle<()>) {
    serve_accepting(fanvue, url, port, None).await
}

/// The same, accepting clients by their metadata document with `documents`,
/// refresh tokens given a one-second grace.
async fn serve_accepting(
    fanvue: &StandIn,
    url: &str,
    port: u16,
    documents: Option<ClientDocuments>,
) -> (String, tokio::task::JoinHandle<()>) {
    mcp_example::serve(fanvue, url, port, |auth| {
        let auth = auth
            .refresh_grace(Duration::from_secs(1))
            .registrations_per_minute(20);
        match documents {
            Some(documents) => auth.client_metadata_documents(documents),
            None => auth,
        }
    })
    .await
}

async fn start(name: &str) -> Server {
    let fanvue = StandIn::start().await.expect("the stand-in");
    let database = std::env::temp_dir().join(format!(
        "fanvue-mcp-auth-{name}-{}.sqlite3",
        std::process::id()
    ));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    serve(&fanvue, &database, 0).await
}

impl Server {
    /// A `POST /mcp` initialize with `token`: its status and challenge.
    async fn call(&self, token: &str) -> (StatusCode, String) {
        let response = http()
            .post(format!("{}/mcp", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(INITIALIZE)
            .send()
            .await
            .expect("an answer");
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status(), challenge)
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = http()
            .post(format!("{}/oauth/token", self.base))
            .form(form)
            .send()
            .await
            .expect("an answer");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn count(&self, table: &str) -> i64 {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", self.database.display()))
            .await
            .expect("the database");
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .expect("a count")
    }

    /// Every byte of the database: its file, WAL and shared memory.
    fn raw_bytes(&self) -> Vec<u8> {
        ["", "-wal", "-shm"]
            .iter()
            .flat_map(|suffix| {
                std::fs::read(format!("{}{suffix}", self.database.display())).unwrap_or_default()
            })
            .collect()
    }
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn the_metadata_names_the_server_and_its_endpoints() {
    runtime().block_on(async {
        let server = start("metadata").await;
        let metadata: Value = http()
            .get(format!(
                "{}/.well-known/oauth-authorization-server",
                server.base
            ))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        assert_eq!(metadata["issuer"], server.base);
        assert_eq!(
            metadata["registration_endpoint"],
            format!("{}/oauth/register", server.base)
        );
        assert_eq!(
            metadata["code_challenge_methods_supported"],
            json!(["S256"])
        );
        assert_eq!(metadata["scopes_supported"][0], "offline_access");
        let resource: Value = http()
            .get(format!(
                "{}/.well-known/oauth-protected-resource/mcp",
                server.base
            ))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        assert_eq!(resource["resource"], format!("{}/mcp", server.base));
        assert_eq!(resource["authorization_servers"], json!([server.base]));
        assert_eq!(
            resource["scopes_supported"],
            json!(["read:chat", "write:chat", "read:insights"])
        );
    });
}

#[test]
fn hostile_registrations_get_clean_errors_and_store_nothing() {
    runtime().block_on(async {
        let server = start("register").await;
        let good = |uris: Value| {
            json!({ "client_name": "x", "redirect_uris": uris, "token_endpoint_auth_method": "none" })
        };
        for (metadata, error) in [
            (good(json!(["javascript:alert(1)"])), "invalid_redirect_uri"),
            (good(json!(["http://client.example/cb"])), "invalid_redirect_uri"),
            (good(json!(["https://client.example/cb#x"])), "invalid_redirect_uri"),
            (good(json!([])), "invalid_redirect_uri"),
            (good(json!(vec!["https://c.example/cb"; 9])), "invalid_redirect_uri"),
            (
                json!({ "redirect_uris": [CALLBACK], "grant_types": ["password"] }),
                "invalid_client_metadata",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "private_key_jwt" }),
                "invalid_client_metadata",
            ),
            (json!("not an object"), "invalid_client_metadata"),
        ] {
            let answer = register_with(&server.base, metadata.clone()).await;
            assert_eq!(answer["error"], error, "{metadata}: {answer}");
        }
        // A megabyte: refused unread.
        let big = http()
            .post(format!("{}/oauth/register", server.base))
            .header("content-type", "application/json")
            .body(vec![b' '; 1024 * 1024])
            .send()
            .await
            .expect("an answer");
        assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(server.count("fanvue_mcp_clients").await, 0, "nothing stored");
        // Ten thousand registrations from one address: twenty a minute get
        // through, the rest a clean 429, and the server stays up.
        let mut refused = 0;
        let client = http();
        for _ in 0..10_000 {
            let answer = client
                .post(format!("{}/oauth/register", server.base))
                .header("content-type", "application/json")
                .body(good(json!([CALLBACK])).to_string())
                .send()
                .await
                .expect("an answer");
            if answer.status() == StatusCode::TOO_MANY_REQUESTS {
                refused += 1;
                let body: Value = answer.json().await.expect("JSON");
                assert_eq!(body["error"], "temporarily_unavailable");
            }
        }
        // The hostile attempts above counted against the address too.
        let earlier = 9;
        assert_eq!(refused, 10_000 - (20 - earlier));
        assert_eq!(server.count("fanvue_mcp_clients").await, 20 - earlier);
        server.task.abort();
    });
}

#[test]
fn authorize_refuses_what_the_specification_refuses() {
    runtime().block_on(async {
        let server = start("authorize").await;
        let client = register(&server.base).await;
        let resource = format!("{}/mcp", server.base);
        let url = |pairs: &[(&str, &str)]| {
            let mut url =
                url::Url::parse(&format!("{}/oauth/authorize", server.base)).expect("a URL");
            for (name, value) in pairs {
                url.query_pairs_mut().append_pair(name, value);
            }
            url.to_string()
        };
        let good: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &client),
            ("redirect_uri", CALLBACK),
            ("state", "client-state-123"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("resource", &resource),
        ];
        let without = |name: &str| -> Vec<(&str, &str)> {
            good.iter()
                .copied()
                .filter(|(key, _)| *key != name)
                .collect()
        };
        let with = |name: &'static str, value: &'static str| -> Vec<(&str, &str)> {
            let mut pairs = without(name);
            pairs.push((name, value));
            pairs
        };
        // Where the answer would go is not trusted: a page, never a redirect.
        for pairs in [
            with("redirect_uri", "http://127.0.0.1:9/elsewhere"),
            with("redirect_uri", "https://evil.example/cb"),
            with("client_id", "unknown"),
            [good.clone(), vec![("client_id", "again")]].concat(),
        ] {
            let answer = http().get(url(&pairs)).send().await.expect("an answer");
            assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{pairs:?}");
            assert!(answer.headers().get("location").is_none(), "{pairs:?}");
        }
        // The rest: back to the client with an OAuth error.
        for (pairs, error) in [
            (without("code_challenge"), "invalid_request"),
            (with("code_challenge_method", "plain"), "invalid_request"),
            (without("state"), "invalid_request"),
            (
                with("resource", "https://other.example/mcp"),
                "invalid_target",
            ),
            (without("resource"), "invalid_target"),
            (with("response_type", "token"), "unsupported_response_type"),
        ] {
            let answer = http().get(url(&pairs)).send().await.expect("an answer");
            let location = answer
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!(location.starts_with(CALLBACK), "{pairs:?}: {location}");
            let query: std::collections::HashMap<String, String> = url::Url::parse(&location)
                .expect("a URL")
                .query_pairs()
                .into_owned()
                .collect();
            assert_eq!(
                query.get("error").map(String::as_str),
                Some(error),
                "{pairs:?}"
            );
            assert_eq!(query.get("iss"), Some(&server.base));
        }
        assert_eq!(
            server.count("fanvue_mcp_requests").await,
            0,
            "nothing pending"
        );
    });
}

#[test]
fn a_replayed_code_revokes_what_it_issued_and_a_token_for_another_resource_is_refused() {
    runtime().block_on(async {
        let server = start("codes").await;
        let client = register(&server.base).await;
        let answer = sign_in_asking(
            &server.base,
            &server.fanvue,
            &client,
            "read:chat",
            scopes![read:chat],
        )
        .await;
        let token = answer["access_token"].as_str().expect("a token").to_owned();
        assert_eq!(server.call(&token).await.0, StatusCode::OK);
        // A token of the stand-in Fanvue's, sent to this server: refused.
        let foreign = server.fanvue.token(scopes![read:chat]);
        let (status, challenge) = server.call(&foreign).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            challenge.contains("invalid_token") && challenge.contains("resource_metadata="),
            "{challenge}"
        );
        // A code used twice: refused, and what it issued is revoked.
        let code = mcp_sign_in::code(
            &server.base,
            &server.fanvue,
            &client,
            "read:chat",
            scopes![read:chat],
        )
        .await;
        let (status, once) = mcp_sign_in::exchange(&server.base, &client, &code).await;
        assert_eq!(status, StatusCode::OK, "{once}");
        let issued = once["access_token"].as_str().expect("a token").to_owned();
        assert_eq!(server.call(&issued).await.0, StatusCode::OK);
        let (status, twice) = mcp_sign_in::exchange(&server.base, &client, &code).await;
        assert_eq!(
            (status, twice["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        assert_eq!(
            server.call(&issued).await.0,
            StatusCode::UNAUTHORIZED,
            "revoked"
        );
        // Another client can't spend a client's code, nor a wrong verifier.
        let code = mcp_sign_in::code(
            &server.base,
            &server.fanvue,
            &client,
            "read:chat",
            scopes![read:chat],
        )
        .await;
        let other = register(&server.base).await;
        let (status, stolen) = mcp_sign_in::exchange(&server.base, &other, &code).await;
        assert_eq!(
            (status, stolen["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        let (status, wrong) = server
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                (
                    "code_verifier",
                    "0000000000000000000000000000000000000000000",
                ),
                ("client_id", &client),
            ])
            .await;
        assert_eq!(
            (status, wrong["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
    });
}

#[test]
fn refresh_tokens_rotate_reuse_revokes_and_a_concurrent_refresh_gets_a_pair() {
    runtime().block_on(async {
        let server = start("refresh").await;
        let client = register(&server.base).await;
        let first = sign_in_asking(
            &server.base,
            &server.fanvue,
            &client,
            "offline_access read:chat",
            scopes![read:chat],
        )
        .await;
        let refresh = first["refresh_token"]
            .as_str()
            .expect("offline_access: a refresh token")
            .to_owned();
        assert_eq!(first["scope"], "read:chat", "exactly what Fanvue granted");
        let refresh_form = |token: &str| -> Vec<(&'static str, String)> {
            vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", token.to_owned()),
                ("client_id", client.clone()),
            ]
        };
        let post = |form: Vec<(&'static str, String)>| {
            let base = server.base.clone();
            async move {
                let response = http()
                    .post(format!("{base}/oauth/token"))
                    .form(&form)
                    .send()
                    .await
                    .expect("an answer");
                (
                    response.status(),
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
        };
        // Two refreshes of one token at once, by its client: both get a
        // working pair (FastMCP #4901: rotation races that lose sessions).
        let (one, two) = tokio::join!(post(refresh_form(&refresh)), post(refresh_form(&refresh)));
        assert_eq!(
            (one.0, two.0),
            (StatusCode::OK, StatusCode::OK),
            "{one:?} {two:?}"
        );
        for pair in [&one.1, &two.1] {
            let token = pair["access_token"].as_str().expect("a token");
            assert_eq!(server.call(token).await.0, StatusCode::OK);
        }
        // Asking a refresh for more than was granted: refused, nothing spent.
        let (status, wider) = post(
            vec![
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    one.1["refresh_token"].as_str().expect("a token"),
                ),
                ("client_id", &client),
                ("scope", "read:chat read:insights"),
            ]
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect(),
        )
        .await;
        assert_eq!(
            (status, wider["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_scope"))
        );
        // Spent long ago (past the grace): a reuse, taken as theft; the
        // whole family is revoked, the new pairs included.
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let (status, reuse) = post(refresh_form(&refresh)).await;
        assert_eq!(
            (status, reuse["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        for pair in [&one.1, &two.1] {
            let token = pair["access_token"].as_str().expect("a token");
            assert_eq!(server.call(token).await.0, StatusCode::UNAUTHORIZED);
        }
    });
}

#[test]
fn tokens_codes_and_secrets_lie_at_rest_only_as_hashes() {
    runtime().block_on(async {
        let server = start("at-rest").await;
        let confidential = register_with(
            &server.base,
            json!({ "client_name": "a confidential client", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_post" }),
        )
        .await;
        let secret = confidential["client_secret"].as_str().expect("a secret").to_owned();
        let public = register(&server.base).await;
        let answer = sign_in_asking(&server.base, &server.fanvue, &public, "offline_access read:chat", scopes![read:chat]).await;
        let raw = server.raw_bytes();
        for secret in [
            secret.as_str(),
            answer["access_token"].as_str().expect("a token"),
            answer["refresh_token"].as_str().expect("a token"),
        ] {
            assert!(!holds(&raw, secret), "a secret lies in clear at rest");
        }
    });
}

#[test]
fn revocation_ends_the_family_here_and_the_grant_at_fanvue_with_fanvues_token() {
    runtime().block_on(async {
        let server = start("revoke").await;
        let client = register(&server.base).await;
        let answer = sign_in_asking(
            &server.base,
            &server.fanvue,
            &client,
            "offline_access read:chat",
            scopes![read:chat],
        )
        .await;
        let access = answer["access_token"].as_str().expect("a token").to_owned();
        assert_eq!(server.call(&access).await.0, StatusCode::OK);
        let live = server.fanvue.live_tokens();
        // FastMCP #5120: revocation must send Fanvue its own token.
        let revoked = http()
            .post(format!("{}/oauth/revoke", server.base))
            .form(&[
                ("token", answer["refresh_token"].as_str().expect("a token")),
                ("client_id", &client),
            ])
            .send()
            .await
            .expect("an answer");
        assert_eq!(revoked.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(server.call(&access).await.0, StatusCode::UNAUTHORIZED);
        assert!(server.fanvue.live_tokens() < live, "revoked at Fanvue");
    });
}

#[test]
fn a_grant_fanvue_ended_is_401_and_fanvue_unavailable_is_503() {
    runtime().block_on(async {
        let server = start("upstream").await;
        let client = register(&server.base).await;
        // Fanvue's token is due at every call (it lives less than the
        // grant store's minute of margin): each call refreshes it, as
        // FastMCP #3581 asks, and meets whatever Fanvue says then.
        server.fanvue.set_token_lifetime(Duration::from_secs(61));
        let answer = sign_in_asking(
            &server.base,
            &server.fanvue,
            &client,
            "read:chat",
            scopes![read:chat],
        )
        .await;
        let access = answer["access_token"].as_str().expect("a token").to_owned();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(
            server.call(&access).await.0,
            StatusCode::OK,
            "refreshed upstream, transparently"
        );
        // The user removes the app at Fanvue: the next call is 401
        // invalid_token naming the metadata, never a 500 or a tool error.
        server.fanvue.revoke_client_grants("fanvue-mcp-example");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let (status, challenge) = server.call(&access).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            challenge.contains("invalid_token") && challenge.contains("resource_metadata="),
            "{challenge}"
        );
        // Fanvue unreachable: 503, and nothing revoked.
        let other = sign_in_asking(
            &server.base,
            &server.fanvue,
            &client,
            "read:chat",
            scopes![read:chat],
        )
        .await;
        let other = other["access_token"].as_str().expect("a token").to_owned();
        server.fanvue.stop();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(server.call(&other).await.0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(server.count("fanvue_mcp_tokens WHERE revoked = 0").await, 1);
    });
}

/// FastMCP #3990 (an expiry hard-coded rather than read): the server's
/// tokens expire when Fanvue's do, at sign-in and at each refresh, whatever
/// lifetime Fanvue gives. FastMCP #4254 (registrations expiring under
/// mcp-remote): after three idle weeks a registration that was used still
/// signs in, while one never used is gone.
#[test]
fn expiry_is_read_from_fanvue_and_a_used_registration_outlives_idle_weeks() {
    runtime().block_on(async {
        let server = start("expiry").await;
        let used = register(&server.base).await;
        let unused = register(&server.base).await;
        let expires_in = |answer: &Value| answer["expires_in"].as_u64().expect("expires_in");
        // Fanvue's first token is due within the grant store's minute of
        // margin; its next one lives two hours.
        server.fanvue.set_token_lifetime(Duration::from_secs(61));
        let answer = sign_in_asking(
            &server.base,
            &server.fanvue,
            &used,
            "offline_access read:chat",
            scopes![read:chat],
        )
        .await;
        assert!((56..=61).contains(&expires_in(&answer)), "{answer}");
        server.fanvue.set_token_lifetime(Duration::from_secs(7200));
        // Two seconds on (the store counts whole seconds), it is due.
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let (status, pair) = server
            .token_request(&[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    answer["refresh_token"].as_str().expect("a refresh token"),
                ),
                ("client_id", &used),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{pair}");
        assert!((7195..=7200).contains(&expires_in(&pair)), "{pair}");

        let weeks = 21 * 24 * 3600;
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", server.database.display()))
            .await
            .expect("the database");
        sqlx::query(
            "UPDATE fanvue_mcp_clients SET created_at = created_at - ?, \
             used_at = used_at - ?",
        )
        .bind(weeks)
        .bind(weeks)
        .execute(&pool)
        .await
        .expect("three weeks pass");
        // A registration clears out the stale ones.
        register(&server.base).await;
        let known = |id: String| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM fanvue_mcp_clients WHERE client_id = ?",
                )
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("a count")
            }
        };
        assert_eq!(known(unused.clone()).await, 0, "never used: gone");
        assert_eq!(known(used.clone()).await, 1, "used: kept");
        let again = sign_in_asking(
            &server.base,
            &server.fanvue,
            &used,
            "read:chat",
            scopes![read:chat],
        )
        .await;
        assert!(again["access_token"].is_string(), "{again}");
    });
}

#[test]
fn a_restart_loses_no_registration_and_no_token() {
    runtime().block_on(async {
        let first = start("restart").await;
        let client = register(&first.base).await;
        let answer = sign_in_asking(
            &first.base,
            &first.fanvue,
            &client,
            "offline_access read:chat",
            scopes![read:chat],
        )
        .await;
        let access = answer["access_token"].as_str().expect("a token").to_owned();
        // FastMCP #2479: tokens and registrations lost on restart.
        let port: u16 = first
            .base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port");
        first.task.abort();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let second = serve(&first.fanvue, &first.database, port).await;
        assert_eq!(
            second.call(&access).await.0,
            StatusCode::OK,
            "the token still works"
        );
        let (status, pair) = second
            .token_request(&[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    answer["refresh_token"].as_str().expect("a token"),
                ),
                ("client_id", &client),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{pair}");
        // FastMCP #4254: the registration outlives idle time (a used one never
        // expires): it signs in again.
        let again = sign_in_asking(
            &second.base,
            &second.fanvue,
            &client,
            "read:chat",
            scopes![read:chat],
        )
        .await;
        assert!(again["access_token"].is_string(), "{again}");
    });
}

/// Two instances on one PostgreSQL, as behind a load balancer: a client
/// registered and signed in at one uses its token, and refreshes it, at
/// the other.
#[test]
fn two_instances_on_one_postgres_share_registrations_and_tokens() {
    let postgres = postgres::Postgres::start("mcp-auth");
    runtime().block_on(async {
        let fanvue = StandIn::start().await.expect("the stand-in");
        let (one, _one) = serve_on(&fanvue, &postgres.url(), 0).await;
        let (two, _two) = serve_on(&fanvue, &postgres.url(), 0).await;
        let client = register(&one).await;
        let answer = sign_in_asking(
            &one,
            &fanvue,
            &client,
            "offline_access read:chat",
            scopes![read:chat],
        )
        .await;
        let access = answer["access_token"].as_str().expect("a token");
        for base in [&one, &two] {
            let status = http()
                .post(format!("{base}/mcp"))
                .bearer_auth(access)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(INITIALIZE)
                .send()
                .await
                .expect("an answer")
                .status();
            assert_eq!(status, StatusCode::OK, "{base}");
        }
        let refreshed = http()
            .post(format!("{two}/oauth/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    answer["refresh_token"].as_str().expect("a token"),
                ),
                ("client_id", &client),
            ])
            .send()
            .await
            .expect("an answer");
        assert_eq!(refreshed.status(), StatusCode::OK);
    });
}

/// Client ID Metadata Documents: one served over https under the test's
/// own certificate signs in through both consents and is fetched once
/// while its `max-age` lasts; URLs that lead to 127.0.0.1 (literally or
/// by name), to 169.254.169.254, to a redirect, to a 10 MB document or to
/// one naming another client each get a page saying why, are never
/// redirected to, store nothing, and leave the server up.
#[test]
fn client_metadata_documents_are_fetched_safely_and_sign_in() {
    runtime().block_on(async {
        let site = Documents::serve(CALLBACK).await;
        let port = site.port;
        let fanvue = StandIn::start().await.expect("the stand-in");
        let database = std::env::temp_dir().join(format!(
            "fanvue-mcp-auth-documents-{}.sqlite3",
            std::process::id()
        ));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
        }
        let url = format!("sqlite://{}", database.display());
        let (base, task) = serve_accepting(&fanvue, &url, 0, Some(site.fetcher())).await;
        let server = Server {
            base: base.clone(),
            database,
            fanvue: fanvue.clone(),
            task,
        };
        let metadata: Value = http()
            .get(format!("{base}/.well-known/oauth-authorization-server"))
            .send()
            .await
            .expect("the metadata")
            .json()
            .await
            .expect("JSON");
        assert_eq!(metadata["client_id_metadata_document_supported"], true);

        let authorize = |client_id: &str| {
            let mut url = url::Url::parse(&format!("{base}/oauth/authorize")).expect("a URL");
            url.query_pairs_mut()
                .append_pair("response_type", "code")
                .append_pair("client_id", client_id)
                .append_pair("redirect_uri", CALLBACK)
                .append_pair("scope", "read:self")
                .append_pair("state", "s")
                .append_pair("code_challenge", CHALLENGE)
                .append_pair("code_challenge_method", "S256")
                .append_pair("resource", &format!("{base}/mcp"));
            url
        };
        for (id, why) in [
            (
                format!("https://127.0.0.1:{port}/client.json"),
                "its host is not a public address",
            ),
            (
                "https://169.254.169.254/latest/meta-data/client.json".to_owned(),
                "its host is not a public address",
            ),
            (
                format!("https://localhost:{port}/client.json"),
                "it could not be reached over https at a public address",
            ),
            (
                format!("https://client.test:{port}/redirect.json"),
                "it redirects, which is not followed",
            ),
            (
                format!("https://client.test:{port}/big.json"),
                "it is larger than 5 KiB",
            ),
            (
                format!("https://client.test:{port}/other.json"),
                "its client_id is not the URL it was fetched from",
            ),
        ] {
            let response = http().get(authorize(&id)).send().await.expect("an answer");
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{id}");
            assert!(response.headers().get("location").is_none(), "{id}");
            let page = response.text().await.expect("a page");
            assert!(page.contains(why), "{id}: {page}");
        }
        assert_eq!(server.count("fanvue_mcp_clients").await, 0);
        assert_eq!(site.fetches(), 0);

        let id = site.id();
        let consent = http()
            .get(authorize(&id))
            .send()
            .await
            .expect("the consent page")
            .text()
            .await
            .expect("a page");
        assert!(consent.contains("Document &lt;Client&gt;"), "{consent}");
        assert!(
            consent.contains("unverified: named by <code>client.test</code>"),
            "{consent}"
        );
        let answer = sign_in_asking(&base, &fanvue, &id, "read:self", scopes![read:self]).await;
        let token = answer["access_token"].as_str().expect("a token");
        assert_eq!(server.call(token).await.0, StatusCode::OK);
        assert_eq!(
            site.fetches(),
            1,
            "authorize, consent and the token endpoint read one cached document"
        );
        // A confidential client's way in is refused: a document's is public.
        let (status, _) = server
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("client_id", &id),
                ("client_secret", "guess"),
            ])
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(server.count("fanvue_mcp_clients").await, 0);
    });
}
