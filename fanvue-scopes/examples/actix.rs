//! A complete actix-web app guarded by Fanvue scopes: the program the
//! `actix` module's docs show.
//!
//! `cargo run -p fanvue-scopes --example actix --features actix-web` (or
//! `PORT=3001 ..` when 3000 is taken), then
//! `curl -H 'Authorization: Bearer demo' localhost:3000/chats`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer};
use fanvue_scopes::actix::{Routes, bearer_token};
use fanvue_scopes::bearer::BearerError;
use fanvue_scopes::{Granted, Guarded, InsufficientScope, ScopeSet, requires};

#[requires(read:chat)]
async fn list_chats(granted: Granted) -> Result<HttpResponse, InsufficientScope> {
    Ok(HttpResponse::Ok().json(["chat with a fan"]))
}

#[requires(write:chat)]
async fn send_message(granted: Granted, text: String) -> Result<HttpResponse, InsufficientScope> {
    Ok(HttpResponse::Created().body(text))
}

#[requires(read:insights)]
async fn earnings(granted: Granted) -> Result<HttpResponse, InsufficientScope> {
    Ok(HttpResponse::Ok().body("earnings this month: 0"))
}

/// What the user allowed at sign-in, as the token response's `scope`
/// said: the demo token holds it.
#[derive(Clone, Copy)]
struct Consented(ScopeSet);

/// Validates the bearer token and puts what it grants into the request's
/// extensions, where `Granted` and the route guards read it. A real app
/// asks Fanvue (or checks the token it stored at sign-in) instead of
/// matching fixed strings: `demo` holds everything the app asked for,
/// `demo-reader` only `read:self read:chat`.
async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let granted = match bearer_token(request.request()) {
        Ok("demo") => request
            .app_data::<Consented>()
            .map_or(ScopeSet::EMPTY, |consented| consented.0),
        Ok("demo-reader") => ScopeSet::parse_lenient("read:self read:chat").known(),
        Ok(_) => return Err(BearerError::InvalidToken.into()),
        Err(refused) => return Err(refused.into()),
    };
    request.extensions_mut().insert(Granted(granted));
    next.call(request).await
}

fn main() -> std::io::Result<()> {
    // Each handler is named once; its route is guarded with its own scopes.
    let routes = Routes::new()
        .get("/chats", Guarded::new(list_chats))
        .post("/chats/{id}/messages", Guarded::new(send_message))
        .get("/insights/earnings", Guarded::new(earnings));
    // What to ask Fanvue for at sign-in: exactly what the routes need,
    // known before the server runs.
    let scope = routes.authorize_scope();
    println!("authorize scope: {scope}");
    let consented = Consented(ScopeSet::parse_lenient(&scope).known());
    let port = std::env::var("PORT").map_or(Ok(3000), |port| port.parse::<u16>());
    let port = port.map_err(|_| std::io::Error::other("PORT is not a port number"))?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(consented)
            .configure(routes.configure())
            .wrap(from_fn(authenticate))
    })
    .bind(("127.0.0.1", port))?;
    println!("listening on http://{}", server.addrs()[0]);
    actix_web::rt::System::new().block_on(server.run())
}
