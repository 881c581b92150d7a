//! The example axum server on a real 127.0.0.1 socket, with real requests.

#[path = "../examples/server/app.rs"]
mod app;
mod support;

use fanvue_scopes::{Requirement, least_privilege};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use support::{assert_insufficient, assert_unauthenticated, request};
use tokio::sync::oneshot;

/// The example app served on port 0 from a background runtime; stopped,
/// and its thread joined, on drop.
struct Server {
    address: SocketAddr,
    state: Arc<app::AppState>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let state = Arc::new(app::AppState::default());
        let router = app::router(state.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                ready_tx
                    .send(listener.local_addr().expect("address"))
                    .expect("ready");
                axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let address = ready_rx.recv().expect("the server started");
        Server {
            address,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn the_right_token_gets_200() {
    let server = Server::start();
    let me = request(server.address, "GET", "/me", Some("demo-reader"));
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["handle"], "demo-creator");
    let sent = request(
        server.address,
        "POST",
        "/chats/7/messages",
        Some("demo-full"),
    );
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(
        sent.json(),
        serde_json::json!({ "chat": 7, "text": "hello", "sent": 1 })
    );
    let insights = request(server.address, "GET", "/insights", Some("demo-full"));
    assert_eq!(insights.status, 200, "{}", insights.body);
}

#[test]
fn a_short_token_gets_403_with_the_challenge() {
    let server = Server::start();
    let attribute = request(
        server.address,
        "POST",
        "/chats/7/messages",
        Some("demo-reader"),
    );
    assert_insufficient(&attribute, "write:chat", &["write:chat"]);
    let layer = request(server.address, "GET", "/insights", Some("demo-reader"));
    assert_insufficient(&layer, "read:insights", &["read:insights"]);
    let empty_grant = request(server.address, "GET", "/chats", Some("demo-nothing"));
    assert_insufficient(&empty_grant, "read:chat", &["read:chat"]);
}

#[test]
fn no_token_gets_401_and_an_unknown_one_too() {
    let server = Server::start();
    for path in ["/me", "/chats", "/insights"] {
        assert_unauthenticated(&request(server.address, "GET", path, None));
        assert_unauthenticated(&request(server.address, "GET", path, Some("forged")));
    }
}

#[test]
fn the_routes_list_their_requirements_and_least_privilege() {
    let requirements: Vec<Requirement> = app::ROUTES
        .iter()
        .map(|(_, _, handler)| app::requirement_of(handler).expect("every route is guarded"))
        .collect();
    assert_eq!(
        least_privilege(&requirements).to_string(),
        "read:self read:chat write:chat read:insights"
    );
}

#[test]
fn refused_requests_never_run_the_body() {
    let server = Server::start();
    let sent = || server.state.messages_sent.load(Ordering::SeqCst);
    assert_unauthenticated(&request(server.address, "POST", "/chats/1/messages", None));
    assert_eq!(sent(), 0, "no credentials: the body ran");
    let short = request(
        server.address,
        "POST",
        "/chats/1/messages",
        Some("demo-reader"),
    );
    assert_insufficient(&short, "write:chat", &["write:chat"]);
    let empty = request(
        server.address,
        "POST",
        "/chats/1/messages",
        Some("demo-nothing"),
    );
    assert_insufficient(&empty, "write:chat", &["write:chat"]);
    assert_eq!(sent(), 0, "too few scopes: the body ran");
    let allowed = request(
        server.address,
        "POST",
        "/chats/1/messages",
        Some("demo-full"),
    );
    assert_eq!((allowed.status, sent()), (201, 1), "the check can pass");
}
