//! The example axum server on a real 127.0.0.1 socket, with real requests.

#[path = "../examples/server/app.rs"]
mod app;
#[path = "../examples/server/serve.rs"]
mod serve;
mod support;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use support::{assert_insufficient, assert_unauthenticated, exchange, first_status, request};
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
        Server::with_limits(serve::Limits::default())
    }

    fn with_limits(limits: serve::Limits) -> Server {
        let state = Arc::new(app::AppState::default());
        Server::serving(app::router(state.clone()), state, limits)
    }

    fn serving(router: axum::Router, state: Arc<app::AppState>, limits: serve::Limits) -> Server {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
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
                let stopped = async {
                    let _ = stopped.await;
                };
                serve::serve(listener, router, limits, stopped).await;
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
fn no_token_gets_401_and_an_unknown_one_invalid_token() {
    let server = Server::start();
    for path in ["/me", "/chats", "/insights"] {
        assert_unauthenticated(&request(server.address, "GET", path, None));
        let forged = request(server.address, "GET", path, Some("forged"));
        assert_eq!(forged.status, 401, "{}", forged.body);
        assert_eq!(
            forged.header("www-authenticate"),
            Some("Bearer error=\"invalid_token\"")
        );
        assert_eq!(forged.json()["error"], "invalid_token");
    }
}

#[test]
fn the_routes_list_their_requirements_and_least_privilege() {
    let routes = app::routes();
    let listing: Vec<String> = routes.listing().iter().map(ToString::to_string).collect();
    assert_eq!(
        listing,
        [
            "GET /me (me): `read:self`",
            "GET /chats (list_chats): `read:chat`",
            "POST /chats/{id}/messages (send_message): `write:chat`",
        ]
    );
    assert_eq!(
        routes.authorize_scope(),
        "openid offline_access offline read:self read:chat write:chat"
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

/// `POST /chats/7/messages` with `token`, its head only.
fn post_head(token: &str, extra: &str) -> String {
    format!(
        "POST /chats/7/messages HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n{extra}\r\n"
    )
}

#[test]
fn a_promised_body_that_never_comes_is_refused_at_once() {
    let server = Server::start();
    let started = Instant::now();
    let raw = exchange(
        server.address,
        &post_head("demo-reader", "Content-Length: 10\r\n"),
        0,
        Duration::from_secs(1),
    );
    assert_eq!(first_status(&raw), Some(403), "{raw}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.state.messages_sent.load(Ordering::SeqCst), 0);
}

#[test]
fn a_large_body_is_refused_unread() {
    let server = Server::start();
    let size = 3 * 1024 * 1024;
    let raw = exchange(
        server.address,
        &post_head("demo-reader", &format!("Content-Length: {size}\r\n")),
        size,
        Duration::from_secs(5),
    );
    assert_eq!(first_status(&raw), Some(403), "{raw}");
    assert!(raw.contains("insufficient_scope"), "{raw}");
}

#[test]
fn expect_continue_gets_403_and_no_continue() {
    let server = Server::start();
    let raw = exchange(
        server.address,
        &post_head(
            "demo-reader",
            "Content-Length: 5\r\nExpect: 100-continue\r\n",
        ),
        0,
        Duration::from_secs(2),
    );
    assert_eq!(first_status(&raw), Some(403), "{raw}");
    assert!(!raw.contains("100 Continue"), "{raw}");
}

#[test]
fn a_malformed_path_is_refused_before_it_is_parsed() {
    let server = Server::start();
    let response = request(
        server.address,
        "POST",
        "/chats/not-a-number/messages",
        Some("demo-reader"),
    );
    assert_insufficient(&response, "write:chat", &["write:chat"]);
}

#[test]
fn an_oversized_body_is_413_for_a_caller_who_may_send() {
    let server = Server::start();
    let size = app::MAX_BODY_BYTES + 1;
    let raw = exchange(
        server.address,
        &post_head("demo-full", &format!("Content-Length: {size}\r\n")),
        size,
        Duration::from_secs(5),
    );
    assert_eq!(first_status(&raw), Some(413), "{raw}");
    assert_eq!(server.state.messages_sent.load(Ordering::SeqCst), 0);
}

/// Sends `authorization` lines as they are and returns the response.
fn with_authorization(server: &Server, authorization: &str) -> String {
    exchange(
        server.address,
        &format!("GET /me HTTP/1.1\r\nHost: test\r\n{authorization}Connection: close\r\n\r\n"),
        0,
        Duration::from_secs(2),
    )
}

#[test]
fn bearer_credentials_follow_rfc_6750() {
    let server = Server::start();
    for accepted in [
        "Authorization: Bearer demo-reader\r\n",
        "Authorization: bearer demo-reader\r\n",
        "Authorization: BEARER  demo-reader\r\n",
    ] {
        let raw = with_authorization(&server, accepted);
        assert_eq!(first_status(&raw), Some(200), "{accepted:?}: {raw}");
    }
    let none = with_authorization(&server, "");
    assert_eq!(first_status(&none), Some(401), "{none}");
    assert!(
        none.contains("WWW-Authenticate: Bearer\r\n")
            || none.contains("www-authenticate: Bearer\r\n"),
        "{none}"
    );
    let unknown = with_authorization(&server, "Authorization: Bearer not-a-demo-token\r\n");
    assert_eq!(first_status(&unknown), Some(401), "{unknown}");
    assert!(
        unknown.contains("Bearer error=\"invalid_token\""),
        "{unknown}"
    );
    for malformed in [
        "Authorization: Bearer\r\n",
        "Authorization: Bearer demo reader\r\n",
        "Authorization: Bearer demo-reader\r\nAuthorization: Bearer demo-full\r\n",
    ] {
        let raw = with_authorization(&server, malformed);
        assert_eq!(first_status(&raw), Some(400), "{malformed:?}: {raw}");
        assert!(raw.contains("Bearer error=\"invalid_request\""), "{raw}");
    }
}

#[test]
fn stalled_connections_are_dropped_and_capped() {
    let server = Server::with_limits(serve::Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_millis(300),
        shutdown_grace: Duration::from_secs(1),
        ..serve::Limits::default()
    });
    // Four times the cap: some never send a byte, some stop mid-head.
    let stalled: Vec<TcpStream> = (0..16)
        .map(|index| {
            let mut stream = TcpStream::connect(server.address).expect("connect");
            if index % 2 == 0 {
                stream
                    .write_all(b"GET /me HTTP/1.1\r\nHost: te")
                    .expect("write");
            }
            stream
        })
        .collect();
    // A normal request still gets through, once the stalled ones time out.
    let started = Instant::now();
    let me = request(server.address, "GET", "/me", Some("demo-reader"));
    assert_eq!(me.status, 200, "{}", me.body);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // And the stalled connections were closed by the server.
    for mut stream in stalled.into_iter().take(4) {
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        // EOF, or a reset: either way the server let go. A timeout here
        // would mean the connection is still held open.
        let mut rest = Vec::new();
        match stream.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(error) => assert!(
                !matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "a stalled connection is still open: {error}"
            ),
        }
    }
}

mod mistakes {
    //! A `#[requires]` handler served without its own guard, as the guard
    //! design makes it loud: forgotten, and behind another handler's
    //! requirement. And two methods of one path, each with its own guard.

    use super::*;
    use axum::extract::Request;
    use axum::middleware::{Next, from_fn};
    use axum::response::Response;
    use axum::routing::post;
    use fanvue_scopes::axum::{RequireScopesLayer, Routes};
    use fanvue_scopes::{Granted, Guarded, InsufficientScope, Requirement, ScopeSet, requires};
    use std::sync::atomic::AtomicUsize;

    static UNGUARDED_RAN: AtomicUsize = AtomicUsize::new(0);

    #[requires(read:chat)]
    async fn list_messages(granted: Granted) -> Result<&'static str, InsufficientScope> {
        Ok("messages")
    }

    #[requires(write:chat)]
    async fn send_message(granted: Granted, text: String) -> Result<String, InsufficientScope> {
        Ok(text)
    }

    #[requires(write:chat)]
    async fn mismatched(granted: Granted, text: String) -> Result<String, InsufficientScope> {
        UNGUARDED_RAN.fetch_add(1, Ordering::SeqCst);
        Ok(text)
    }

    #[requires(read:self)]
    async fn forgotten(granted: Granted, text: String) -> Result<String, InsufficientScope> {
        UNGUARDED_RAN.fetch_add(1, Ordering::SeqCst);
        Ok(text)
    }

    #[test]
    fn a_second_handler_for_a_method_and_path_is_refused_naming_both() {
        let message = |panic: Box<dyn std::any::Any + Send>| match panic.downcast::<String>() {
            Ok(message) => *message,
            Err(_) => String::new(),
        };
        let panic = std::panic::catch_unwind(|| {
            Routes::<()>::new()
                .get("/dup", Guarded::new(list_messages))
                .get("/dup", Guarded::new(forgotten))
        })
        .expect_err("one handler per method and path");
        let panic = message(panic);
        assert!(panic.contains("`GET /dup` is routed twice"), "{panic}");
        assert!(
            panic.contains("`list_messages` and to `forgotten`"),
            "{panic}"
        );
        let panic = std::panic::catch_unwind(|| {
            Routes::<()>::new()
                .post("/chats/{id}", Guarded::new(send_message))
                .post("/chats/{chat}", Guarded::new(mismatched))
        })
        .expect_err("parameter names aside, one route");
        assert!(message(panic).contains("`send_message` and to `mismatched`"));
    }

    async fn authenticate(mut request: Request, next: Next) -> Response {
        let granted = match request.headers().get("authorization").map(|v| v.as_bytes()) {
            Some(b"Bearer full") => "read:self read:chat write:chat",
            Some(b"Bearer reader") => "read:self read:chat",
            _ => "",
        };
        let granted = ScopeSet::parse_lenient(granted).known();
        request.extensions_mut().insert(Granted(granted));
        next.run(request).await
    }

    fn start() -> Server {
        let router = Routes::new()
            .get("/chats/{id}/messages", Guarded::new(list_messages))
            .into_router()
            .route("/forgotten", post(forgotten))
            .route(
                "/mismatched",
                post(mismatched)
                    .route_layer(RequireScopesLayer::new(*Requirement::of(&list_messages))),
            )
            .layer(from_fn(authenticate));
        Server::serving(router, Arc::default(), serve::Limits::default())
    }

    #[test]
    fn a_handler_served_without_its_guard_fails_on_its_first_request() {
        let server = start();
        support::assert_unguarded_handlers_fail(server.address);
        assert_eq!(
            UNGUARDED_RAN.load(Ordering::SeqCst),
            0,
            "an unguarded body ran"
        );
    }

    #[test]
    fn each_method_of_a_path_has_its_own_guard() {
        let router_routes = Routes::<()>::new()
            .get("/chats/{id}/messages", Guarded::new(list_messages))
            .post("/chats/{id}/messages", Guarded::new(send_message));
        let router = router_routes.into_router().layer(from_fn(authenticate));
        let server = Server::serving(router, Arc::default(), serve::Limits::default());
        let read = request(server.address, "GET", "/chats/7/messages", Some("reader"));
        assert_eq!(read.status, 200, "{}", read.body);
        assert_eq!(read.body, "messages");
        let write = request(server.address, "POST", "/chats/7/messages", Some("reader"));
        assert_insufficient(&write, "write:chat", &["write:chat"]);
        let written = request(server.address, "POST", "/chats/7/messages", Some("full"));
        assert_eq!(written.status, 200, "{}", written.body);
    }
}

mod refusals {
    //! A page answers a shortfall with a redirect to the step-up consent;
    //! an API route's 403 can name the app's resource metadata.

    use super::*;
    use axum::extract::Request;
    use axum::middleware::{Next, from_fn};
    use axum::response::{IntoResponse, Redirect, Response};
    use fanvue_scopes::axum::Routes;
    use fanvue_scopes::step_up::Registration;
    use fanvue_scopes::{
        Granted, Guarded, InsufficientScope, ResourceMetadata, ScopeSet, oauth, requires, scopes,
    };

    const REGISTRATION: Registration = Registration::new(scopes![read:self, read:insights]);
    const METADATA: &str = "http://127.0.0.1/.well-known/oauth-protected-resource";

    #[requires(read:insights)]
    async fn insights_page(granted: Granted) -> Result<&'static str, InsufficientScope> {
        Ok("<h1>Insights</h1>")
    }

    #[requires(read:insights)]
    async fn insights_api(granted: Granted) -> Result<&'static str, InsufficientScope> {
        Ok("{}")
    }

    /// The page's answer to a shortfall: to the consent for what is missing.
    fn step_up(_: &Request, refused: InsufficientScope) -> Response {
        match REGISTRATION.step_up(&refused) {
            Ok(step_up) => Redirect::to(&format!(
                "/sign-in?scope={}",
                step_up.authorize_scope().replace(' ', "+")
            ))
            .into_response(),
            Err(_) => (axum::http::StatusCode::FORBIDDEN, "not registered").into_response(),
        }
    }

    async fn authenticate(mut request: Request, next: Next) -> Response {
        request.extensions_mut().insert(Granted(scopes![read:self]));
        next.run(request).await
    }

    #[test]
    fn a_page_redirects_to_step_up_and_an_api_names_its_metadata() {
        let router = Routes::<()>::new()
            .get("/insights", Guarded::new(insights_page).on_refusal(step_up))
            .get(
                "/api/insights",
                Guarded::new(insights_api).on_refusal(ResourceMetadata::new(METADATA)),
            )
            .into_router()
            .route(
                "/.well-known/oauth-protected-resource",
                axum::routing::get(|| async {
                    (
                        [("content-type", "application/json")],
                        oauth::protected_resource_metadata("http://127.0.0.1"),
                    )
                }),
            )
            .layer(from_fn(authenticate));
        let server = Server::serving(router, Arc::default(), serve::Limits::default());
        let page = request(server.address, "GET", "/insights", Some("any"));
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(
            page.header("location"),
            Some("/sign-in?scope=openid+offline_access+offline+read:self+read:insights")
        );
        let api = request(server.address, "GET", "/api/insights", Some("any"));
        assert_eq!(api.status, 403);
        assert_eq!(
            api.header("www-authenticate"),
            Some(format!(r#"Bearer error="insufficient_scope", scope="read:insights", resource_metadata="{METADATA}""#).as_str())
        );
        let metadata = request(
            server.address,
            "GET",
            "/.well-known/oauth-protected-resource",
            None,
        );
        assert_eq!(
            metadata.json()["scopes_supported"].as_array().map(Vec::len),
            Some(ScopeSet::ALL.len())
        );
        assert_eq!(
            metadata.json()["authorization_servers"][0],
            "https://auth.fanvue.com"
        );
    }

    #[test]
    fn the_registration_check_names_a_route_that_needs_an_unregistered_scope() {
        let routes = app::routes();
        let narrow = Registration::new(scopes![read:self, read:chat]);
        let error = routes
            .check_registration(&narrow)
            .expect_err("write:chat is not registered");
        assert_eq!(error.routes().len(), 1);
        let message = error.to_string();
        assert!(
            message.contains("POST /chats/{id}/messages (send_message in"),
            "{message}"
        );
        assert!(message.contains("needs `write:chat`"), "{message}");
        assert!(
            routes
                .check_registration(&Registration::new(
                    scopes![read:self, read:chat, write:chat]
                ))
                .is_ok()
        );
    }
}

#[test]
fn a_trickled_body_gets_408_and_an_idle_keep_alive_connection_is_closed() {
    let server = Server::with_limits(serve::Limits {
        header_read_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_millis(500),
        ..serve::Limits::default()
    });
    // A body promised in full and sent a byte at a time, then not at all.
    let mut slow = TcpStream::connect(server.address).expect("connect");
    slow.write_all(
        b"POST /chats/7/messages HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer demo-full\r\nContent-Length: 16384\r\n\r\nhi",
    )
    .expect("write");
    slow.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(first_status(&answer), Some(408), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    // A keep-alive connection that goes quiet after its answer is closed.
    let mut idle = TcpStream::connect(server.address).expect("connect");
    idle.write_all(b"GET /me HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer demo-reader\r\n\r\n")
        .expect("write");
    idle.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut all = Vec::new();
    // Reads the answer, then EOF once the server closes the idle connection;
    // a timeout would mean it is still held open.
    let closed = idle.read_to_end(&mut all);
    assert!(closed.is_ok(), "{closed:?}");
    assert_eq!(first_status(&String::from_utf8_lossy(&all)), Some(200));
}

/// The README's sentence about the example server's limits is read from
/// the code.
#[test]
fn the_readme_states_the_serving_limits_of_the_code() {
    let readme = include_str!("../../README.md").replace('\n', " ");
    let limits = serve::Limits::default();
    let connections = limits.max_connections.to_string();
    let (thousands, rest) = connections.split_at(connections.len() - 3);
    for stated in [
        format!("a {} KiB body limit", app::MAX_BODY_BYTES / 1024),
        format!(
            "a {} s deadline for request headers",
            limits.header_read_timeout.as_secs()
        ),
        format!(
            "a {} s deadline per request, body included",
            limits.request_timeout.as_secs()
        ),
        format!(
            "a cap of {thousands},{rest} open connections with {} KiB of read buffer each",
            limits.max_buf_size / 1024
        ),
    ] {
        assert!(readme.contains(&stated), "README.md should say {stated:?}");
    }
}
