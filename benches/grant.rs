//! A request whose Fanvue token is fresh, through the grant store, against
//! the same route with the grant held in memory: a whole round trip on
//! loopback to an axum route that fetches the user's token (and its scopes)
//! and answers with them. The store runs on a SQLite file and on a real
//! PostgreSQL this bench starts, with its cache of fresh tokens (the
//! default) and without; before the timings, it counts the store's round
//! trips per request from PostgreSQL's own transaction counter.

#[path = "../tests/http/support/postgres.rs"]
mod postgres;

use axum::extract::State;
use fanvue_scopes::grant::{FanvueClient, Grant, GrantStore, Keys};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

fn main() {
    let (uncached, cached) = *ROUND_TRIPS;
    println!(
        "grant store round trips per request with a fresh token (PostgreSQL's xact_commit): \
         {uncached:.3} without the cache, {cached:.3} with it"
    );
    divan::main();
}

use fanvue_scopes_benches::RUNTIME;

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);

const USER: &str = "fanvue-user";
const TOKEN_RESPONSE: &[u8] = br#"{"access_token":"at-bench","token_type":"bearer","refresh_token":"rt-bench","expires_in":86400,"scope":"read:self read:chat write:chat"}"#;

/// Where the route finds the user's token.
#[derive(Clone)]
enum Grants {
    InMemory(Arc<Mutex<HashMap<String, (String, fanvue_scopes::ScopeSet)>>>),
    Store(Arc<GrantStore>),
}

async fn me(State(grants): State<Grants>) -> String {
    match grants {
        Grants::InMemory(map) => {
            let map = map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.get(USER)
                .map(|(secret, scopes)| format!("{}:{scopes}", secret.len()))
                .unwrap_or_default()
        }
        Grants::Store(store) => match store.token(USER).await {
            Ok(token) => format!("{}:{}", token.secret().len(), token.scopes()),
            Err(error) => error.to_string(),
        },
    }
}

/// Serves the route on a free loopback port: its URL.
fn serve(grants: Grants) -> String {
    RUNTIME.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!("http://{}/me", listener.local_addr().expect("an address"));
        let app = axum::Router::new()
            .route("/me", axum::routing::get(me))
            .with_state(grants);
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    })
}

async fn store(url: &str, cache: bool) -> Arc<GrantStore> {
    let keys = Keys::new("k1", [7; 32]).expect("a key");
    let fanvue = FanvueClient::new("bench", "bench", reqwest::Client::new());
    let mut builder = GrantStore::builder(keys, fanvue);
    if !cache {
        builder = builder.cache_time(std::time::Duration::ZERO);
    }
    let store = builder.connect(url).await.expect("the store");
    store
        .put(USER, &Grant::from_json(TOKEN_RESPONSE).expect("a grant"))
        .await
        .expect("kept");
    Arc::new(store)
}

static IN_MEMORY: LazyLock<String> = LazyLock::new(|| {
    let grant = Grant::from_json(TOKEN_RESPONSE).expect("a grant");
    let map = HashMap::from([(USER.to_owned(), ("at-bench".to_owned(), grant.scopes()))]);
    serve(Grants::InMemory(Arc::new(Mutex::new(map))))
});

/// The routes on a SQLite file: with the store's cache, and without.
static SQLITE: LazyLock<(String, String)> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("fanvue-grant-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    let url = format!("sqlite://{}", dir.join("grants.sqlite3").display());
    let cached = RUNTIME.block_on(store(&url, true));
    let uncached = RUNTIME.block_on(store(&url, false));
    (serve(Grants::Store(cached)), serve(Grants::Store(uncached)))
});

/// The PostgreSQL, kept for the whole run, and the routes on it: with the
/// store's cache, and without.
static POSTGRES: LazyLock<(postgres::Postgres, String, String)> = LazyLock::new(|| {
    let server = postgres::Postgres::start("bench");
    let cached = RUNTIME.block_on(store(&server.url(), true));
    let uncached = RUNTIME.block_on(store(&server.url(), false));
    (
        server,
        serve(Grants::Store(cached)),
        serve(Grants::Store(uncached)),
    )
});

/// The store's transactions per request, without the cache and with it,
/// from PostgreSQL's counter: every statement outside a transaction block
/// is one.
static ROUND_TRIPS: LazyLock<(f64, f64)> = LazyLock::new(|| {
    const REQUESTS: usize = 500;
    let (server, cached, uncached) = &*POSTGRES;
    let committed = || -> f64 {
        // A backend reports its counts within ten idle seconds.
        std::thread::sleep(std::time::Duration::from_secs(11));
        server
            .query("SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'")
            .trim()
            .parse()
            .expect("a count")
    };
    let per_request = |url: &str| {
        let before = committed();
        for _ in 0..REQUESTS {
            get(url);
        }
        // The query that reads the counter is a transaction too.
        (committed() - before - 1.0) / REQUESTS as f64
    };
    (per_request(uncached), per_request(cached))
});

fn get(url: &str) -> usize {
    RUNTIME.block_on(async {
        let body = CLIENT
            .get(url)
            .send()
            .await
            .expect("an answer")
            .text()
            .await
            .expect("a body");
        assert!(body.ends_with("read:self read:chat write:chat"), "{body}");
        body.len()
    })
}

#[divan::bench(sample_count = 300, sample_size = 8)]
fn in_memory() -> usize {
    get(&IN_MEMORY)
}

#[divan::bench(sample_count = 300, sample_size = 8)]
fn sqlite() -> usize {
    get(&SQLITE.0)
}

#[divan::bench(sample_count = 300, sample_size = 8)]
fn sqlite_uncached() -> usize {
    get(&SQLITE.1)
}

#[divan::bench(sample_count = 300, sample_size = 8)]
fn postgres() -> usize {
    get(&POSTGRES.1)
}

#[divan::bench(sample_count = 300, sample_size = 8)]
fn postgres_uncached() -> usize {
    get(&POSTGRES.2)
}
