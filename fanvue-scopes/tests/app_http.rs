//! The example app over HTTP, as a browser's requests: the session cookie's
//! flags, a callback with the wrong `state` refused, and a session that
//! survives the app's restart (SQLite in a file).

#[path = "support/app.rs"]
mod app_process;

use app_process::AppProcess;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
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

/// Signs in through the stand-in's consent page, as its form posts,
/// keeping `read:self` and `read:chat`; the session cookie.
async fn sign_in(app: &AppProcess) -> String {
    let started = http()
        .get(format!("{}/sign-in", app.url))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
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
    let session = cookie.split(';').next().expect("name=value").to_owned();
    let consent = http()
        .get(location(&started))
        .send()
        .await
        .expect("the consent page");
    let page = consent.text().await.expect("HTML");
    let id = page
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the request id");
    let decided = http()
        .post(format!(
            "{}/oauth2/consent",
            stand_in_origin(&location(&started))
        ))
        .form(&[
            ("request", id),
            ("scope", "read:self"),
            ("scope", "read:chat"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .expect("consent");
    let callback = http()
        .get(location(&decided))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("the callback");
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&callback), "/dashboard");
    // A sign-in in progress lasts minutes; a signed-in session, a week.
    assert!(cookie.contains("Max-Age=600"), "{cookie}");
    let signed_in = callback.headers()[SET_COOKIE].to_str().expect("a cookie");
    assert!(signed_in.starts_with(&format!("{session};")), "{signed_in}");
    assert!(signed_in.contains("Max-Age=604800"), "{signed_in}");
    session
}

/// The stand-in's origin, from the authorize URL.
fn stand_in_origin(authorize_url: &str) -> String {
    authorize_url
        .split("/oauth2/")
        .next()
        .expect("an origin")
        .to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

#[test]
fn a_session_survives_a_restart_and_a_forged_callback_is_refused() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let sessions =
        std::env::temp_dir().join(format!("fanvue-app-http-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&sessions);
    let port = free_port();
    runtime.block_on(async {
        let app = AppProcess::start(&sessions, port);
        let session = sign_in(&app).await;
        let dashboard = http()
            .get(format!("{}/dashboard", app.url))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("dashboard");
        assert_eq!(dashboard.status(), StatusCode::OK);
        assert!(
            dashboard
                .text()
                .await
                .expect("HTML")
                .contains("<code>read:chat</code>")
        );

        // A callback whose state is not the session's: refused, no token.
        let started = http()
            .get(format!("{}/sign-in", app.url))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("sign-in");
        assert_eq!(started.status(), StatusCode::SEE_OTHER);
        let forged = http()
            .get(format!("{}/callback?code=anything&state=forged", app.url))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("the callback");
        assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
        // And a callback with no session at all.
        let stranger = http()
            .get(format!("{}/callback?code=x&state=y", app.url))
            .send()
            .await
            .expect("the callback");
        assert_eq!(stranger.status(), StatusCode::BAD_REQUEST);
        // An open redirect is not on offer.
        let away = http()
            .get(format!("{}/sign-in?return_to=//evil.example", app.url))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("sign-in");
        assert_eq!(away.status(), StatusCode::SEE_OTHER);
        drop(app);

        // The same session, after a restart: still signed in. (The stand-in
        // restarts with the app, so its old tokens are unknown to it; the
        // session itself, read from the file, is what survives.)
        let app = AppProcess::start(&sessions, port);
        let home = http()
            .get(format!("{}/", app.url))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("home");
        assert_eq!(
            home.status(),
            StatusCode::SEE_OTHER,
            "signed in: home leads to the dashboard"
        );
        assert_eq!(location(&home), "/dashboard");
        // A person signed out who opens an action is sent to sign in.
        let action = http()
            .get(format!("{}/actions/chats", app.url))
            .send()
            .await
            .expect("an action");
        assert_eq!(action.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&action), "/");
        let stranger = http()
            .get(format!("{}/", app.url))
            .send()
            .await
            .expect("home");
        assert_eq!(
            stranger.status(),
            StatusCode::OK,
            "no session: the home page"
        );
        // Signing out ends it.
        let out = http()
            .post(format!("{}/sign-out", app.url))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("sign out");
        assert!(
            out.headers()[SET_COOKIE]
                .to_str()
                .expect("a cookie")
                .contains("Max-Age=0")
        );
        let home = http()
            .get(format!("{}/", app.url))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("home");
        assert_eq!(home.status(), StatusCode::OK);
    });
    let _ = std::fs::remove_file(&sessions);
}
