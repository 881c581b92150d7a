//! The grant store against the stand-in Fanvue, on a real SQLite file and a
//! real PostgreSQL this test starts: tokens sealed (the raw bytes of the
//! file and of a `pg_dump` hold none), one refresh however many tasks find
//! a token due together, the wait bounded, every failure typed and nothing
//! lost, keys rotated without signing anyone out.

mod support;

#[path = "support/postgres.rs"]
mod postgres;

use fanvue_scopes::grant::{FanvueClient, Grant, GrantError, GrantStore, Keys};
use fanvue_scopes::testing::{Client, Consent, StandIn};
use fanvue_scopes::{ScopeSet, scopes};
use postgres::Postgres;
use reqwest::StatusCode;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::{multi_thread_runtime, redirected_to};

const CLIENT_ID: &str = "grant-store-app";
const SECRET: &str = "grant-store-secret";
const CALLBACK: &str = "http://127.0.0.1:9/callback";
const REGISTERED: ScopeSet = scopes![read:self, read:chat, write:chat];
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn keys() -> Keys {
    Keys::new("k1", [7; 32]).expect("a key")
}

async fn stand_in() -> StandIn {
    let stand_in = StandIn::start().await.expect("the stand-in starts");
    stand_in.register_client(Client::new(CLIENT_ID, SECRET, CALLBACK, REGISTERED));
    stand_in.set_consent(Consent::Grant(scopes![read:self, read:chat]));
    stand_in
}

fn fanvue(stand_in: &StandIn, timeout: Duration) -> FanvueClient {
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    FanvueClient::new(CLIENT_ID, SECRET, http)
        .with_endpoints(&stand_in.token_url(), &stand_in.revocation_url())
        .expect("the stand-in's endpoints")
}

/// Signs a user in at the stand-in: its token response's body.
async fn sign_in(stand_in: &StandIn) -> Vec<u8> {
    let url = format!(
        "{}?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=openid%20offline_access%20read:self%20read:chat\
         &state=state-of-the-art&nonce=nonce-of-the-art&code_challenge={CHALLENGE}&code_challenge_method=S256",
        stand_in.authorize_url(),
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
    );
    let location = redirected_to(&url).await;
    let code = url::Url::parse(&location)
        .expect("a URL")
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .expect("a code");
    let response = support::http()
        .post(stand_in.token_url())
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("the token endpoint answers");
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.expect("a body").to_vec()
}

/// A fresh SQLite file's URL, in a folder of its own.
fn sqlite(name: &str) -> (String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("fanvue-grants-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    let file = dir.join("grants.sqlite3");
    (format!("sqlite://{}", file.display()), dir)
}

/// Every byte in `dir` (the database file, its WAL and shared memory).
fn raw_bytes(dir: &PathBuf) -> Vec<u8> {
    std::fs::read_dir(dir)
        .expect("the folder")
        .flatten()
        .flat_map(|entry| std::fs::read(entry.path()).unwrap_or_default())
        .collect()
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// The tokens of a token response body.
fn tokens(body: &[u8]) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    ["access_token", "refresh_token"]
        .iter()
        .filter_map(|name| json[name].as_str().map(str::to_owned))
        .collect()
}

/// Two tests of `$body` (an async fn taking a database URL): on a fresh
/// SQLite file, and on a PostgreSQL started for it.
macro_rules! on_both_databases {
    ($sqlite:ident, $postgres:ident, $body:ident) => {
        #[test]
        fn $sqlite() {
            let (url, _dir) = sqlite(stringify!($sqlite));
            multi_thread_runtime().block_on($body(&url));
        }

        #[test]
        fn $postgres() {
            let postgres = Postgres::start(stringify!($postgres));
            multi_thread_runtime().block_on($body(&postgres.url()));
        }
    };
}

/// The whole story on one database: sealed at rest, one refresh for fifty
/// tasks that find the token due while the refresh takes a second, and the
/// raw bytes holding no token before or after.
async fn one_refresh_for_many(url: &str, raw: impl Fn() -> Vec<u8>) {
    let stand_in = stand_in().await;
    // Due at once: it lives less than the store's margin.
    stand_in.set_token_lifetime(Duration::from_secs(30));
    let body = sign_in(&stand_in).await;
    // Two stores on one database, as two instances of an app have: each
    // lets one task at a time at a grant's refresh, and the database's
    // lock lets one of them through.
    let connect = || async {
        Arc::new(
            GrantStore::builder(keys(), fanvue(&stand_in, Duration::from_secs(10)))
                .connect(url)
                .await
                .expect("the store"),
        )
    };
    let (store, other) = (connect().await, connect().await);
    let grant = Grant::from_json(&body).expect("a grant");
    assert_eq!(grant.scopes(), scopes![read:self, read:chat]);
    assert!(
        grant
            .subject()
            .is_some_and(|subject| subject.ends_with("stand-in-user")),
        "{grant:?}"
    );
    store.put("user-1", &grant).await.expect("kept");
    for token in tokens(&body) {
        assert!(!holds(&raw(), &token), "a token lies in clear at rest");
    }
    stand_in.set_token_lifetime(Duration::from_secs(3600));
    stand_in.set_token_delay(Duration::from_secs(1));
    let tasks: Vec<_> = (0..50)
        .map(|task| {
            let store = Arc::clone(if task % 2 == 0 { &store } else { &other });
            tokio::spawn(async move { store.token("user-1").await })
        })
        .collect();
    let mut secrets = Vec::new();
    for task in tasks {
        let token = task.await.expect("the task").expect("a token");
        assert_eq!(token.scopes(), scopes![read:self, read:chat]);
        secrets.push(token.secret().to_owned());
    }
    secrets.dedup();
    assert_eq!(secrets.len(), 1, "every task got the one new token");
    assert_eq!(stand_in.refreshes(), 1, "one refresh for fifty tasks");
    assert_eq!(
        stand_in.refresh_reuses(),
        0,
        "no spent refresh token presented"
    );
    // The new token works at Fanvue, and is fresh: no further refresh.
    let api = support::http()
        .get(format!("{}/chats", stand_in.base_url()))
        .bearer_auth(&secrets[0])
        .send()
        .await
        .expect("an answer");
    assert_eq!(api.status(), StatusCode::OK);
    stand_in.set_token_delay(Duration::ZERO);
    assert_eq!(
        store.token("user-1").await.expect("a token").secret(),
        secrets[0]
    );
    assert_eq!(stand_in.refreshes(), 1);
    assert!(!holds(&raw(), &secrets[0]), "the new token lies in clear");
    // Sign-out: revoked at Fanvue, then gone here.
    store.sign_out("user-1").await.expect("signed out");
    let api = support::http()
        .get(format!("{}/chats", stand_in.base_url()))
        .bearer_auth(&secrets[0])
        .send()
        .await
        .expect("an answer");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "revoked at Fanvue");
    assert!(
        store
            .token("user-1")
            .await
            .is_err_and(|e| e.is_sign_in_again())
    );
}

#[test]
fn sqlite_seals_and_refreshes_once_for_many_tasks() {
    let runtime = multi_thread_runtime();
    let (url, dir) = sqlite("once");
    runtime.block_on(one_refresh_for_many(&url, || raw_bytes(&dir)));
}

#[test]
fn postgres_seals_and_refreshes_once_for_many_tasks() {
    let postgres = Postgres::start("once");
    let runtime = multi_thread_runtime();
    runtime.block_on(one_refresh_for_many(&postgres.url(), || postgres.dump()));
}

/// Each failure at refresh, typed, and nothing lost but a grant Fanvue
/// ended.
async fn failures_are_typed_and_keep_the_grant(url: &str) {
    let stand_in = stand_in().await;
    stand_in.set_token_lifetime(Duration::from_secs(30));
    let store = GrantStore::builder(keys(), fanvue(&stand_in, Duration::from_secs(1)))
        .connect(url)
        .await
        .expect("the store");
    let body = sign_in(&stand_in).await;
    store
        .put("user-2", &Grant::from_json(&body).expect("a grant"))
        .await
        .expect("kept");
    // A 503, a 429, a timeout: transient, the grant unchanged, nobody out.
    stand_in.fail_next_token_request(StatusCode::SERVICE_UNAVAILABLE);
    let error = store
        .token("user-2")
        .await
        .expect_err("Fanvue answered 503");
    assert!(
        matches!(error, GrantError::FanvueUnavailable { .. }) && error.is_transient(),
        "{error}"
    );
    stand_in.fail_next_token_request(StatusCode::TOO_MANY_REQUESTS);
    let error = store
        .token("user-2")
        .await
        .expect_err("Fanvue answered 429");
    assert!(error.is_transient(), "{error}");
    stand_in.set_token_delay(Duration::from_secs(2));
    let error = store.token("user-2").await.expect_err("Fanvue too slow");
    assert!(error.is_transient(), "{error}");
    assert!(error.to_string().contains("in time"), "{error}");
    // The request it gave up on was dropped unanswered, as a server drops
    // a request whose client left: nothing rotated, the grant still works.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stand_in.set_token_delay(Duration::ZERO);
    assert_eq!(stand_in.refreshes(), 0);
    store
        .token("user-2")
        .await
        .expect("refreshed on the next try");
    assert_eq!((stand_in.refreshes(), stand_in.refresh_reuses()), (1, 0));
    // Signed in again; Fanvue revokes the grant: sign in again, once.
    let body = sign_in(&stand_in).await;
    store
        .put("user-2", &Grant::from_json(&body).expect("a grant"))
        .await
        .expect("kept");
    let revoked = support::http()
        .post(stand_in.revocation_url())
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[("token", tokens(&body)[1].as_str())])
        .send()
        .await
        .expect("revoked");
    assert_eq!(revoked.status(), StatusCode::OK);
    let dead = store.token("user-2").await.expect_err("revoked at Fanvue");
    assert!(dead.is_sign_in_again(), "{dead}");
    assert!(dead.to_string().contains("invalid_grant"), "{dead}");
    let again = store.token("user-2").await.expect_err("gone");
    assert!(again.is_sign_in_again(), "{again}");
    // Fanvue unreachable: transient, kept.
    let body = sign_in(&stand_in).await;
    store
        .put("user-2", &Grant::from_json(&body).expect("a grant"))
        .await
        .expect("kept");
    stand_in.stop();
    let error = store.token("user-2").await.expect_err("Fanvue down");
    assert!(
        matches!(error, GrantError::FanvueUnavailable { .. }),
        "{error}"
    );
}

on_both_databases!(
    sqlite_failures_are_typed_and_keep_the_grant,
    postgres_failures_are_typed_and_keep_the_grant,
    failures_are_typed_and_keep_the_grant
);

/// A wait on another's refresh is bounded: past the bound, `Busy`, and the
/// refresh that held the lock still lands. Two stores, as two instances:
/// the second waits on the database's lock; and a second task of the first
/// store waits on its turn in that store.
async fn a_wait_is_bounded(url: &str) {
    let stand_in = stand_in().await;
    stand_in.set_token_lifetime(Duration::from_secs(30));
    let body = sign_in(&stand_in).await;
    let connect = || async {
        Arc::new(
            GrantStore::builder(keys(), fanvue(&stand_in, Duration::from_secs(10)))
                .wait(Duration::from_millis(500))
                .connect(url)
                .await
                .expect("the store"),
        )
    };
    let (store, other) = (connect().await, connect().await);
    store
        .put("user-3", &Grant::from_json(&body).expect("a grant"))
        .await
        .expect("kept");
    stand_in.set_token_lifetime(Duration::from_secs(3600));
    stand_in.set_token_delay(Duration::from_secs(3));
    let first = tokio::spawn({
        let store = Arc::clone(&store);
        async move { store.token("user-3").await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    for waiter in [&other, &store] {
        let waited = waiter.token("user-3").await.expect_err("past the bound");
        assert!(matches!(waited, GrantError::Busy), "{waited}");
    }
    first.await.expect("the task").expect("the refresh landed");
    assert_eq!(stand_in.refreshes(), 1);
    assert_eq!(
        other.token("user-3").await.expect("the new token").secret(),
        store.token("user-3").await.expect("the new token").secret()
    );
}

on_both_databases!(
    sqlite_bounds_a_wait,
    postgres_bounds_a_wait,
    a_wait_is_bounded
);

#[test]
fn a_stopped_postgres_is_transient_and_the_store_recovers() {
    let postgres = Postgres::start("stopped");
    let runtime = multi_thread_runtime();
    runtime.block_on(async {
        let stand_in = stand_in().await;
        let store = GrantStore::builder(keys(), fanvue(&stand_in, Duration::from_secs(10)))
            .wait(Duration::from_secs(2))
            .connect(&postgres.url())
            .await
            .expect("the store");
        let body = sign_in(&stand_in).await;
        store
            .put("user-4", &Grant::from_json(&body).expect("a grant"))
            .await
            .expect("kept");
        postgres.pause();
        let error = store
            .token("user-4")
            .await
            .expect_err("the database is down");
        assert!(
            matches!(error, GrantError::Store(_)) && error.is_transient(),
            "{error}"
        );
        postgres.resume();
        let token = store.token("user-4").await.expect("back");
        assert_eq!(token.secret(), tokens(&body)[0]);
    });
}

#[test]
fn keys_rotate_without_signing_anyone_out_and_a_wrong_key_is_named() {
    let runtime = multi_thread_runtime();
    let (url, _dir) = sqlite("keys");
    runtime.block_on(async {
        let stand_in = stand_in().await;
        let connect = |keys: Keys| {
            GrantStore::builder(keys, fanvue(&stand_in, Duration::from_secs(10))).connect(&url)
        };
        let body = sign_in(&stand_in).await;
        let old = connect(keys()).await.expect("the store");
        old.put("user-5", &Grant::from_json(&body).expect("a grant"))
            .await
            .expect("kept");
        // Its key missing, or another key under its id: named, and nothing
        // is overwritten.
        let missing = connect(Keys::new("k2", [9; 32]).expect("a key"))
            .await
            .expect("the store");
        let error = missing.token("user-5").await.expect_err("no k1");
        assert!(
            matches!(&error, GrantError::Sealed { key_id, configured: false } if key_id == "k1"),
            "{error}"
        );
        assert!(error.to_string().contains("`k1`"), "{error}");
        let wrong = connect(Keys::new("k1", [8; 32]).expect("a key"))
            .await
            .expect("the store");
        let error = wrong.token("user-5").await.expect_err("another k1");
        assert!(
            matches!(
                &error,
                GrantError::Sealed {
                    configured: true,
                    ..
                }
            ),
            "{error}"
        );
        drop((missing, wrong));
        // A new key, the old one kept: the user stays signed in; resealed,
        // the old key can go.
        let rotated = connect(
            Keys::new("k2", [9; 32])
                .and_then(|keys| keys.with_old("k1", [7; 32]))
                .expect("keys"),
        )
        .await
        .expect("the store");
        assert_eq!(
            rotated.token("user-5").await.expect("a token").secret(),
            tokens(&body)[0]
        );
        assert_eq!(rotated.reseal().await.expect("resealed"), 1);
        assert_eq!(rotated.reseal().await.expect("nothing left"), 0);
        let new_only = connect(Keys::new("k2", [9; 32]).expect("a key"))
            .await
            .expect("the store");
        assert_eq!(
            new_only.token("user-5").await.expect("a token").secret(),
            tokens(&body)[0]
        );
    });
}

#[test]
fn bad_input_gets_a_clear_error() {
    let runtime = multi_thread_runtime();
    let (url, _dir) = sqlite("input");
    runtime.block_on(async {
        let stand_in = stand_in().await;
        let store = GrantStore::builder(keys(), fanvue(&stand_in, Duration::from_secs(10)))
            .connect(&url)
            .await
            .expect("the store");
        for body in [
            &b"not json"[..],
            br#"{"token_type":"bearer"}"#,
            br#"{"access_token":"x","token_type":"mac"}"#,
            br#"{"access_token":"","token_type":"bearer"}"#,
            br#"{"access_token":"x","token_type":"bearer","id_token":"not.a-jwt"}"#,
        ] {
            let error = Grant::from_json(body).expect_err("refused");
            assert!(error.to_string().starts_with("the token response can't be kept"));
        }
        let grant = Grant::from_json(
            br#"{"access_token":"x","token_type":"Bearer","expires_in":18446744073709551615,"scope":"read:chat openid read:future"}"#,
        )
        .expect("a grant");
        assert_eq!(grant.scopes(), scopes![read:chat]);
        for key in ["", &"k".repeat(256)] {
            assert!(matches!(
                store.put(key, &grant).await,
                Err(GrantError::InvalidKey)
            ));
        }
        let error = GrantStore::builder(keys(), fanvue(&stand_in, Duration::from_secs(1)))
            .connect("mysql://localhost/db")
            .await
            .expect_err("no such backend");
        assert!(error.to_string().contains("`mysql:`"), "{error}");
    });
}

/// A fresh token is served from the store's memory for its cache time, with
/// no database read (PostgreSQL can even be down); what another instance
/// changes on purpose is seen within that time, and a change here at once.
#[test]
fn the_cache_serves_a_fresh_token_for_its_time_and_no_longer() {
    let postgres = Postgres::start("cache");
    let runtime = multi_thread_runtime();
    runtime.block_on(async {
        let stand_in = stand_in().await;
        let url = postgres.url();
        let connect = || {
            GrantStore::builder(keys(), fanvue(&stand_in, Duration::from_secs(10)))
                .cache_time(Duration::from_secs(2))
                .database_timeout(Duration::from_secs(1))
                .connect(&url)
        };
        let (here, there) = (
            connect().await.expect("a store"),
            connect().await.expect("a store"),
        );
        let first = sign_in(&stand_in).await;
        here.put("user-6", &Grant::from_json(&first).expect("a grant"))
            .await
            .expect("kept");
        assert_eq!(
            here.token("user-6").await.expect("read").secret(),
            tokens(&first)[0]
        );
        assert_eq!(
            there.token("user-6").await.expect("read").secret(),
            tokens(&first)[0]
        );
        // No database read while it is kept.
        postgres.pause();
        assert_eq!(
            here.token("user-6").await.expect("kept").secret(),
            tokens(&first)[0]
        );
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let error = here
            .token("user-6")
            .await
            .expect_err("read again, and the database is down");
        assert!(matches!(error, GrantError::Store(_)), "{error}");
        postgres.resume();
        // A step-up here replaces the grant here at once; there, within
        // the cache time.
        assert_eq!(
            there.token("user-6").await.expect("read").secret(),
            tokens(&first)[0]
        );
        let second = sign_in(&stand_in).await;
        here.put("user-6", &Grant::from_json(&second).expect("a grant"))
            .await
            .expect("kept");
        assert_eq!(
            here.token("user-6").await.expect("read").secret(),
            tokens(&second)[0]
        );
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(
            there.token("user-6").await.expect("read").secret(),
            tokens(&second)[0]
        );
        // A token due soon is never kept: every read goes to the database.
        stand_in.set_token_lifetime(Duration::from_secs(61));
        let due = sign_in(&stand_in).await;
        here.put("user-7", &Grant::from_json(&due).expect("a grant"))
            .await
            .expect("kept");
        here.token("user-7").await.expect("read");
        postgres.pause();
        assert!(
            here.token("user-7").await.is_err(),
            "not kept: due within the margin and the cache time"
        );
        postgres.resume();
    });
}
