//! The actix-web integration on a real 127.0.0.1 socket, with real requests.

mod support;

use actix_web::dev::{ServerHandle, Service};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use fanvue_scopes::actix::{RequireScopes, Routes, bearer_token};
use fanvue_scopes::bearer::BearerError;
use fanvue_scopes::{Granted, Guarded, InsufficientScope, Requirement, ScopeSet, requires, scopes};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{assert_insufficient, assert_unauthenticated, exchange, first_status, request};

/// How many times `send_message`'s body ran, across this test binary.
static MESSAGES_SENT: AtomicUsize = AtomicUsize::new(0);

const TOKENS: [(&str, &str); 3] = [
    ("full", "read:self read:chat write:chat read:fan"),
    ("reader", "read:self read:chat"),
    ("nothing", ""),
];

static FANS: [ScopeSet; 1] = [scopes![read:fan, read:creator]];

#[requires(read:chat)]
async fn list_chats(granted: Granted) -> Result<HttpResponse, InsufficientScope> {
    Ok(HttpResponse::Ok().json(serde_json::json!([{ "id": 7 }])))
}

#[requires(write:chat)]
async fn send_message(
    granted: Granted,
    id: web::Path<u64>,
    text: String,
) -> Result<HttpResponse, InsufficientScope> {
    MESSAGES_SENT.fetch_add(1, Ordering::SeqCst);
    Ok(HttpResponse::Created().json(serde_json::json!({ "chat": id.into_inner(), "text": text })))
}

#[requires(read:chat)]
async fn list_messages(
    granted: Granted,
    id: web::Path<u64>,
) -> Result<HttpResponse, InsufficientScope> {
    Ok(HttpResponse::Ok().json(serde_json::json!({ "chat": id.into_inner(), "messages": [] })))
}

/// How many times a handler served without its own guard ran its body.
static UNGUARDED_RAN: AtomicUsize = AtomicUsize::new(0);

#[requires(read:self)]
async fn forgotten(granted: Granted, text: String) -> Result<HttpResponse, InsufficientScope> {
    UNGUARDED_RAN.fetch_add(1, Ordering::SeqCst);
    Ok(HttpResponse::Ok().body(text))
}

#[requires(write:chat)]
async fn mismatched(granted: Granted, text: String) -> Result<HttpResponse, InsufficientScope> {
    UNGUARDED_RAN.fetch_add(1, Ordering::SeqCst);
    Ok(HttpResponse::Created().body(text))
}

/// The `#[requires]` handlers' routes, built once, before the server.
fn routes() -> Routes {
    Routes::new()
        .get("/chats", Guarded::new(list_chats))
        .get("/chats/{id}/messages", Guarded::new(list_messages))
        .post("/chats/{id}/messages", Guarded::new(send_message))
}

fn app(
    routes: Routes,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .configure(routes.configure())
        // Mistakes the guard design makes loud: a handler routed without
        // its guard, and one behind another handler's requirement.
        .route("/forgotten", web::post().to(forgotten))
        .service(
            web::resource("/mismatched")
                .wrap(RequireScopes::new(*Requirement::of(&list_chats)))
                .route(web::post().to(mismatched)),
        )
        .service(
            web::scope("/fans")
                .wrap(RequireScopes::new(Requirement::new(
                    scopes![read:chat],
                    &FANS,
                )))
                .route(
                    "",
                    web::get().to(|| async { HttpResponse::Ok().body("fans") }),
                ),
        )
        // Stands in for the app's authentication layer.
        .wrap_fn(|request, service| {
            let granted = match bearer_token(request.request()) {
                Ok(token) => match TOKENS.iter().find(|(known, _)| *known == token) {
                    Some((_, scopes)) => Ok(ScopeSet::parse_lenient(scopes).known()),
                    None => Err(BearerError::InvalidToken),
                },
                Err(refused) => Err(refused),
            };
            let call = granted.map(|granted| {
                request.extensions_mut().insert(Granted(granted));
                service.call(request)
            });
            async move { call.map_err(actix_web::Error::from)?.await }
        })
}

struct Server {
    address: SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let routes = routes();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || app(routes.clone()))
                    .workers(1)
                    .disable_signals()
                    .bind(("127.0.0.1", 0))
                    .expect("bind");
                let address = server.addrs()[0];
                let server = server.run();
                ready_tx.send((address, server.handle())).expect("ready");
                server.await.expect("serve");
            });
        });
        let (address, handle) = ready_rx.recv().expect("the server started");
        Server {
            address,
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn actix_web_answers_200_403_and_401() {
    let server = Server::start();

    let chats = request(server.address, "GET", "/chats", Some("reader"));
    assert_eq!(chats.status, 200, "{}", chats.body);
    let sent = request(server.address, "POST", "/chats/7/messages", Some("full"));
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.json()["chat"], 7);

    let short = request(server.address, "POST", "/chats/7/messages", Some("reader"));
    assert_insufficient(&short, "write:chat", &["write:chat"]);
    let empty = request(server.address, "GET", "/chats", Some("nothing"));
    assert_insufficient(&empty, "read:chat", &["read:chat"]);

    assert_unauthenticated(&request(server.address, "GET", "/chats", None));
    assert_unauthenticated(&request(server.address, "GET", "/fans", None));
}

#[test]
fn the_middleware_guards_a_scope_with_any_groups() {
    let server = Server::start();
    let fans = request(server.address, "GET", "/fans", Some("full"));
    assert_eq!(fans.status, 200, "{}", fans.body);
    assert_eq!(fans.body, "fans");
    // read:chat alone: the any(read:fan, read:creator) group is not met.
    let short = request(server.address, "GET", "/fans", Some("reader"));
    assert_insufficient(&short, "read:chat read:fan", &["read:fan", "read:creator"]);
}

fn post_head(token: &str, extra: &str) -> String {
    format!(
        "POST /chats/7/messages HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n{extra}\r\n"
    )
}

#[test]
fn the_route_guard_refuses_before_the_request_is_read() {
    let server = Server::start();
    let before = MESSAGES_SENT.load(Ordering::SeqCst);
    // A body promised and never sent.
    let started = Instant::now();
    let raw = exchange(
        server.address,
        &post_head("reader", "Content-Length: 10\r\n"),
        0,
        Duration::from_secs(1),
    );
    assert_eq!(first_status(&raw), Some(403), "{raw}");
    assert!(started.elapsed() < Duration::from_secs(1));
    // A 3 MiB body.
    let size = 3 * 1024 * 1024;
    let raw = exchange(
        server.address,
        &post_head("reader", &format!("Content-Length: {size}\r\n")),
        size,
        Duration::from_secs(5),
    );
    assert_eq!(first_status(&raw), Some(403), "{raw}");
    // A malformed path: refused before `web::Path` would parse it.
    let raw = exchange(
        server.address,
        "POST /chats/x/messages HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer reader\r\nContent-Length: 0\r\n\r\n",
        0,
        Duration::from_secs(2),
    );
    assert_eq!(first_status(&raw), Some(403), "{raw}");
    assert_eq!(
        MESSAGES_SENT.load(Ordering::SeqCst),
        before,
        "a refused body ran"
    );
}

#[test]
fn expect_continue_is_refused_without_reading_the_body() {
    let server = Server::start();
    let raw = exchange(
        server.address,
        &post_head("reader", "Content-Length: 5\r\nExpect: 100-continue\r\n"),
        0,
        Duration::from_secs(2),
    );
    // actix-http answers `100 Continue` itself before the app sees the
    // request (its h1 dispatcher's expect step; `HttpServer` has no hook for
    // it). The 403 follows at once, and no body byte is read.
    let after_continue = raw
        .strip_prefix("HTTP/1.1 100 Continue\r\n\r\n")
        .unwrap_or(&raw);
    assert_eq!(first_status(after_continue), Some(403), "{raw}");
}

#[test]
fn bearer_credentials_follow_rfc_6750() {
    let server = Server::start();
    let get = |authorization: &str| {
        exchange(
            server.address,
            &format!(
                "GET /chats HTTP/1.1\r\nHost: test\r\n{authorization}Connection: close\r\n\r\n"
            ),
            0,
            Duration::from_secs(2),
        )
    };
    assert_eq!(
        first_status(&get("Authorization: bearer  reader\r\n")),
        Some(200)
    );
    let unknown = get("Authorization: Bearer forged\r\n");
    assert_eq!(first_status(&unknown), Some(401), "{unknown}");
    assert!(
        unknown.contains("Bearer error=\"invalid_token\""),
        "{unknown}"
    );
    let twice = get("Authorization: Bearer reader\r\nAuthorization: Bearer full\r\n");
    assert_eq!(first_status(&twice), Some(400), "{twice}");
    assert!(
        twice.contains("Bearer error=\"invalid_request\""),
        "{twice}"
    );
}

/// A panic's message, as `catch_unwind` hands it back.
fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    match panic.downcast::<String>() {
        Ok(message) => *message,
        Err(panic) => panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn a_second_handler_for_a_method_and_path_is_refused_naming_both() {
    let panic = std::panic::catch_unwind(|| {
        Routes::new()
            .get("/dup", Guarded::new(list_chats))
            .get("/dup", Guarded::new(insights_page))
    })
    .expect_err("one handler per method and path");
    let message = panic_message(panic);
    assert!(message.contains("`GET /dup` is routed twice"), "{message}");
    assert!(
        message.contains("`list_chats` and to `insights_page`"),
        "{message}"
    );
    // Parameter names aside, a path is the same route.
    let panic = std::panic::catch_unwind(|| {
        Routes::new()
            .get("/chats/{id}/messages", Guarded::new(list_messages))
            .get("/chats/{chat}/messages", Guarded::new(list_chats))
    })
    .expect_err("one handler per method and path");
    assert!(panic_message(panic).contains("to `list_messages` and to `list_chats`"));
    // Another method on the same path is another route.
    assert_eq!(
        Routes::new()
            .get("/dup", Guarded::new(list_chats))
            .post("/dup", Guarded::new(send_message))
            .listing()
            .len(),
        2
    );
}

#[test]
fn each_method_of_a_path_has_its_own_guard() {
    let server = Server::start();
    // A reader may GET the messages, whose handler needs only read:chat,
    // though POST on the same path needs write:chat.
    let read = request(server.address, "GET", "/chats/7/messages", Some("reader"));
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.json()["chat"], 7);
    let write = request(server.address, "POST", "/chats/7/messages", Some("reader"));
    assert_insufficient(&write, "write:chat", &["write:chat"]);
}

#[test]
fn a_handler_served_without_its_guard_fails_on_its_first_request() {
    let server = Server::start();
    support::assert_unguarded_handlers_fail(server.address);
    assert_eq!(
        UNGUARDED_RAN.load(Ordering::SeqCst),
        0,
        "an unguarded body ran"
    );
}

#[test]
fn the_listing_and_authorize_scope_are_complete_before_run() {
    // No server has started: actix-web builds each worker's App lazily,
    // but the routes are built before it.
    let routes = routes();
    let listing: Vec<String> = routes.listing().map(ToString::to_string).collect();
    assert_eq!(
        listing,
        [
            "GET /chats (list_chats): `read:chat`",
            "GET /chats/{id}/messages (list_messages): `read:chat`",
            "POST /chats/{id}/messages (send_message): `write:chat`",
        ]
    );
    assert_eq!(
        routes.authorize_scope(),
        "openid offline_access offline read:chat write:chat"
    );
    let recorded = fanvue_scopes::guarded_routes();
    assert!(
        recorded.iter().any(|route| route.method() == "POST"
            && route.path() == "/chats/{id}/messages"
            && route.handler().name() == "send_message"),
        "{recorded:?}"
    );
    // The forgotten handler is in no listing and in no scope: its first
    // request is where the mistake shows, as the test above asserts.
    assert!(!fanvue_scopes::least_privilege_for_routes().contains(fanvue_scopes::Scope::ReadSelf));
}

#[requires(read:insights)]
async fn insights_page(granted: Granted) -> Result<HttpResponse, InsufficientScope> {
    Ok(HttpResponse::Ok().body("insights"))
}

#[test]
fn a_page_answers_a_shortfall_with_its_own_responder() {
    actix_web::rt::System::new().block_on(async {
        let routes = Routes::new().get(
            "/insights",
            Guarded::new(insights_page).on_refusal(
                |_: &actix_web::HttpRequest, refused: InsufficientScope| {
                    HttpResponse::SeeOther()
                        .insert_header((
                            "location",
                            format!("/step-up?missing={}", refused.missing()),
                        ))
                        .finish()
                },
            ),
        );
        let app = actix_web::test::init_service(App::new().configure(routes.configure()).wrap_fn(
            |request, service| {
                request.extensions_mut().insert(Granted(scopes![read:self]));
                service.call(request)
            },
        ))
        .await;
        let response = actix_web::test::call_service(
            &app,
            actix_web::test::TestRequest::get()
                .uri("/insights")
                .to_request(),
        )
        .await;
        assert_eq!(response.status(), 303);
        assert_eq!(
            response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok()),
            Some("/step-up?missing=read:insights")
        );
    });
}

/// The `actix` module's complete program (`examples/actix.rs`), run as its
/// own process: the authorize scope it prints is all a token needs to pass
/// every route it serves, and no more than they need.
#[test]
fn the_module_docs_program_asks_for_what_its_routes_need() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    // Integration tests live in target/<profile>/deps; examples beside.
    let exe = std::env::current_exe().expect("the test's path");
    let binary = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .join("examples")
        .join("actix");
    let mut child = Killed(
        Command::new(&binary)
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("{}: {error}", binary.display())),
    );
    let mut lines = BufReader::new(child.0.stdout.take().expect("stdout")).lines();
    let mut next_line = || lines.next().expect("a line").expect("utf-8");
    let scope = next_line();
    let scope = scope
        .strip_prefix("authorize scope: ")
        .expect("the scope first");
    let listening = next_line();
    let address: SocketAddr = listening
        .strip_prefix("listening on http://")
        .expect("then the address")
        .parse()
        .expect("an address");
    assert_eq!(
        scope,
        "openid offline_access offline read:chat write:chat read:insights"
    );
    // `demo` holds exactly the printed scope: every route lets it pass.
    for (method, path, status) in [
        ("GET", "/chats", 200),
        ("POST", "/chats/7/messages", 201),
        ("GET", "/insights/earnings", 200),
    ] {
        let response = request(address, method, path, Some("demo"));
        assert_eq!(
            response.status, status,
            "{method} {path}: {}",
            response.body
        );
    }
    let short = request(address, "GET", "/insights/earnings", Some("demo-reader"));
    assert_insufficient(&short, "read:insights", &["read:insights"]);
}
