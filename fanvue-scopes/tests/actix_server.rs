//! The actix-web integration on a real 127.0.0.1 socket, with real requests.

mod support;

use actix_web::dev::{ServerHandle, Service};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use fanvue_scopes::actix::RequireScopes;
use fanvue_scopes::{Granted, InsufficientScope, Requirement, ScopeSet, requires, scopes};
use std::net::SocketAddr;
use support::{assert_insufficient, assert_unauthenticated, request};

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
) -> Result<HttpResponse, InsufficientScope> {
    Ok(HttpResponse::Created().json(serde_json::json!({ "chat": id.into_inner() })))
}

fn app() -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .route("/chats", web::get().to(list_chats))
        .route("/chats/{id}/messages", web::post().to(send_message))
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
            let token = request
                .headers()
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "));
            if let Some((_, scopes)) = TOKENS.iter().find(|(known, _)| Some(*known) == token) {
                request
                    .extensions_mut()
                    .insert(ScopeSet::parse_lenient(scopes).known());
            }
            service.call(request)
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
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(app)
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
