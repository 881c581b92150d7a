//! The example app over HTTP, as a browser's and an attacker's requests:
//! the session cookie's flags, the session id cycled at sign-in (a planted
//! id is worth nothing), a forged callback refused, hostile `return_to`
//! spellings kept on the app, `no-store` on every page, a sign-out that
//! needs the page's CSRF token, and a restart whose dead token ends the
//! session with "sign in again"; and a bounded load of concurrent
//! sign-ins.

#[path = "support/app.rs"]
mod app_process;

use app_process::AppProcess;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use std::time::Duration;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client")
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION]
        .to_str()
        .expect("a location")
        .to_owned()
}

/// The session cookie a response sets, as `name=value`.
fn set_cookie(response: &reqwest::Response) -> Option<String> {
    let cookie = response.headers().get(SET_COOKIE)?.to_str().ok()?;
    Some(cookie.split(';').next()?.to_owned())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn sessions_file(name: &str) -> std::path::PathBuf {
    app_process::database_file(name)
}

/// Starts a sign-in from `/sign-in?query` with `cookie` (if any): the
/// session cookie it sets (or the one given), and the authorize URL.
async fn start(app: &AppProcess, query: &str, cookie: Option<&str>) -> (String, String) {
    let mut request = http().get(format!("{}/sign-in{query}", app.url));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let started = request.send().await.expect("sign-in");
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&started)
        .or_else(|| cookie.map(str::to_owned))
        .expect("a session");
    (session, location(&started))
}

/// Allows at the stand-in's consent page, keeping `scopes`; the callback URL.
async fn consent(authorize_url: &str, scopes: &[&str]) -> String {
    let page = http()
        .get(authorize_url)
        .send()
        .await
        .expect("the consent page")
        .text()
        .await
        .expect("HTML");
    let id = page
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the request id")
        .to_owned();
    let origin = authorize_url.split("/oauth2/").next().expect("an origin");
    let mut form = vec![("request", id.as_str()), ("decision", "allow")];
    form.extend(scopes.iter().map(|scope| ("scope", *scope)));
    let decided = http()
        .post(format!("{origin}/oauth2/consent"))
        .form(&form)
        .send()
        .await
        .expect("consent");
    location(&decided)
}

/// The whole sign-in: the signed-in session cookie and where it landed.
async fn sign_in(app: &AppProcess, query: &str, planted: Option<&str>) -> (String, String, String) {
    let (before, authorize) = start(app, query, planted).await;
    let callback_url = consent(&authorize, &["read:self", "read:chat"]).await;
    let callback = http()
        .get(&callback_url)
        .header(COOKIE, &before)
        .send()
        .await
        .expect("the callback");
    assert_eq!(callback.status(), StatusCode::SEE_OTHER, "{callback_url}");
    let after = set_cookie(&callback).expect("a cycled session id");
    (before, after, location(&callback))
}

async fn get(app: &AppProcess, path: &str, cookie: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", app.url))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("an answer")
}

#[test]
fn the_session_id_is_cycled_at_sign_in_and_cookies_are_strict() {
    let sessions = sessions_file("fixation");
    runtime().block_on(async {
        let app = AppProcess::start(&sessions, 0);
        // An attacker takes an id from /sign-in, and plants it on the victim.
        let started = http()
            .get(format!("{}/sign-in", app.url))
            .send()
            .await
            .expect("sign-in");
        let cookie = started.headers()[SET_COOKIE]
            .to_str()
            .expect("a cookie")
            .to_owned();
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "{flag} in {cookie}");
        }
        assert!(
            !cookie.contains("Secure"),
            "plain http on loopback: {cookie}"
        );
        let planted = set_cookie(&started).expect("an id");
        // The victim signs in with it.
        let (before, after, landed) = sign_in(&app, "", Some(&planted)).await;
        assert_eq!(before, planted);
        assert_ne!(after, planted, "the id changes at sign-in");
        assert_eq!(landed, "/dashboard");
        // The attacker's copy of the old id gets nothing.
        let attacker = get(&app, "/dashboard", &planted).await;
        assert_eq!(attacker.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&attacker), "/");
        let victim = get(&app, "/dashboard", &after).await;
        assert_eq!(victim.status(), StatusCode::OK);
        let page = victim.text().await.expect("HTML");
        assert!(page.contains("<code>read:chat</code>"), "{page}");
    });
}

#[test]
fn a_forged_or_sessionless_callback_is_refused() {
    let sessions = sessions_file("forged");
    runtime().block_on(async {
        let app = AppProcess::start(&sessions, 0);
        let (session, _) = start(&app, "", None).await;
        let forged = get(&app, "/callback?code=anything&state=forged", &session).await;
        assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
        let stranger = http()
            .get(format!("{}/callback?code=x&state=y", app.url))
            .send()
            .await
            .expect("the callback");
        assert_eq!(stranger.status(), StatusCode::BAD_REQUEST);
    });
}

#[test]
fn return_to_stays_on_the_app_however_it_is_spelled() {
    let sessions = sessions_file("return-to");
    runtime().block_on(async {
        let app = AppProcess::start(&sessions, 0);
        for (spelling, lands) in [
            ("%2F%09%2Fevil.example", "/dashboard"),
            ("%2F%0A%2Fevil.example", "/dashboard"),
            // Newlines are stripped, as a browser strips them: no header
            // is split, and the path is the app's.
            ("%2F%0D%0ASet-Cookie:x=1", "/Set-Cookie:x=1"),
            ("%2F%5Cevil.example", "/dashboard"),
            ("%5C%5Cevil.example", "/dashboard"),
            ("https%3A%2F%2Fevil.example", "/dashboard"),
            ("%2F%2Fevil.example", "/dashboard"),
            ("%2F.%2F%2Fevil.example", "/dashboard"),
            // A browser reads `http:evil.example` here as a relative path.
            ("http%3Aevil.example", "/evil.example"),
            ("%2Factions%2Fchats", "/actions/chats"),
        ] {
            let (_, _, landed) = sign_in(&app, &format!("?return_to={spelling}"), None).await;
            assert_eq!(landed, lands, "{spelling}");
            assert!(
                landed.starts_with('/') && !landed.starts_with("//"),
                "{spelling}: {landed}"
            );
        }
    });
}

#[test]
fn every_page_is_no_store_and_sign_out_needs_the_pages_csrf_token() {
    let sessions = sessions_file("csrf");
    runtime().block_on(async {
        let app = AppProcess::start(&sessions, 0);
        let (_, session, _) = sign_in(&app, "", None).await;
        for path in [
            "/",
            "/dashboard",
            "/step-up?action=insights",
            "/actions/chats",
        ] {
            let response = get(&app, path, &session).await;
            assert_eq!(
                response.headers().get(CACHE_CONTROL).map(|v| v.as_bytes()),
                Some(&b"no-store"[..]),
                "{path}"
            );
        }
        // Another site's form posts to /sign-out: no token, nothing changes.
        let forced = http()
            .post(format!("{}/sign-out", app.url))
            .header(COOKIE, &session)
            .form(&[("csrf", "guessed")])
            .send()
            .await
            .expect("an answer");
        assert_eq!(forced.status(), StatusCode::FORBIDDEN);
        assert!(forced.headers().get(SET_COOKIE).is_none());
        assert_eq!(
            get(&app, "/dashboard", &session).await.status(),
            StatusCode::OK
        );
        // The page's own form carries the token.
        let page = get(&app, "/dashboard", &session)
            .await
            .text()
            .await
            .expect("HTML");
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the form's token")
            .to_owned();
        let out = http()
            .post(format!("{}/sign-out", app.url))
            .header(COOKIE, &session)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("sign out");
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let dashboard = get(&app, "/dashboard", &session).await;
        assert_eq!(dashboard.status(), StatusCode::SEE_OTHER, "signed out");
    });
}

#[test]
fn after_a_restart_a_dead_token_ends_the_session_with_sign_in_again() {
    let sessions = sessions_file("restart");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port");
    runtime().block_on(async {
        let app = AppProcess::start(&sessions, port);
        let (_, session, _) = sign_in(&app, "", None).await;
        assert_eq!(
            get(&app, "/dashboard", &session).await.status(),
            StatusCode::OK
        );
        drop(app);
        // The stand-in restarts with the app: the session survives in the
        // file, its token does not.
        let app = AppProcess::start(&sessions, port);
        // An action finds the token dead: the session ends, and the person
        // is told to sign in again (never a 200 carrying an error).
        let response = get(&app, "/actions/chats", &session).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/?ended=1");
        let home = get(&app, "/?ended=1", &session).await;
        assert_eq!(home.status(), StatusCode::OK);
        assert!(home.text().await.expect("HTML").contains("Sign in again"));
        // The session is gone: the dashboard sends a stranger home.
        assert_eq!(location(&get(&app, "/dashboard", &session).await), "/");
    });
}

/// A bounded load on loopback: 64 people sign in at once, 8 at a time, and
/// each lands on a dashboard of their own, with a session id of their own,
/// cycled at sign-in; nothing is lost or crossed under contention for the
/// SQLite session store.
#[test]
fn concurrent_sign_ins_each_get_their_own_session() {
    let sessions = sessions_file("load");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let app = std::sync::Arc::new(AppProcess::start(&sessions, 0));
        let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
        let mut people = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let (app, gate) = (app.clone(), gate.clone());
            people.spawn(async move {
                let _turn = gate.acquire_owned().await.expect("a turn");
                let (before, after, landed) = sign_in(&app, "", None).await;
                let dashboard = get(&app, &landed, &after).await;
                let status = dashboard.status();
                let page = dashboard.text().await.unwrap_or_default();
                (before, after, status, page.contains("read:chat"))
            });
        }
        // Bounded in time by each request's own timeout (`http()`).
        let mut ids = std::collections::HashSet::new();
        while let Some(done) = people.join_next().await {
            let (before, after, status, granted) = done.expect("a person");
            assert_eq!(status, StatusCode::OK);
            assert!(granted, "their own grant on their own dashboard");
            assert_ne!(before, after);
            assert!(ids.insert(after), "a session id given twice");
        }
        assert_eq!(ids.len(), 64);
    });
}
