//! The MCP example's consent in a real browser (headless Chromium): the
//! server's own page naming the client, then the stand-in Fanvue's, each
//! clicked through as a person would, the browser landing on the MCP
//! client's callback with a code that works. A screenshot of each page is
//! kept in `target/browser-screenshots/`.

#[path = "../../fanvue-scopes/tests/support/mcp_sign_in.rs"]
mod mcp_sign_in;
#[path = "../../fanvue-scopes/examples/mcp/tools.rs"]
#[allow(dead_code)] // The example's own entry points go unused here.
mod tools;

use fanvue_scopes::testing::StandIn;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use mcp_sign_in::{CALLBACK, CHALLENGE};
use std::path::PathBuf;
use std::time::Duration;

fn shot(tab: &Tab, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("a screenshot");
    std::fs::write(dir.join(format!("mcp-{name}.png")), png).expect("the screenshot written");
}

fn text(tab: &Tab) -> String {
    tab.wait_for_element("body")
        .and_then(|body| body.get_inner_text())
        .expect("the page's text")
}

#[test]
fn a_person_allows_an_mcp_client_on_both_consent_pages() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (base, client) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let fanvue = StandIn::start().await.expect("the stand-in");
        let database =
            std::env::temp_dir().join(format!("fanvue-mcp-browser-{}.sqlite3", std::process::id()));
        let _ = std::fs::remove_file(&database);
        let upstream =
            tools::Upstream::stand_in(&fanvue, &base, &format!("sqlite://{}", database.display()))
                .await
                .expect("the upstream");
        let app = tools::app(&base, &upstream, &[]).expect("the app");
        tokio::spawn(async move { axum::serve(listener, app).await });
        std::mem::forget(fanvue);
        let client = mcp_sign_in::register_with(
            &base,
            serde_json::json!({
                "client_name": "Claude <b>bold</b>",
                "redirect_uris": [CALLBACK],
                "token_endpoint_auth_method": "none",
            }),
        )
        .await["client_id"]
            .as_str()
            .expect("a client id")
            .to_owned();
        (base, client)
    });
    let mut authorize = url::Url::parse(&format!("{base}/oauth/authorize")).expect("a URL");
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("scope", "read:chat read:insights")
        .append_pair("state", "client-state-123")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", &format!("{base}/mcp"));
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .expect("Chromium is installed (.ci/run installs Debian's chromium)");
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(chromium))
            .sandbox(false)
            .window_size(Some((1000, 700)))
            .idle_browser_timeout(Duration::from_secs(60))
            .build()
            .expect("launch options"),
    )
    .expect("Chromium starts");
    let tab = browser.new_tab().expect("a tab");
    tab.set_default_timeout(Duration::from_secs(15));
    tab.navigate_to(authorize.as_str())
        .and_then(|tab| tab.wait_until_navigated())
        .expect("the authorize page");
    // The server's page: the client named as it named itself, escaped, and
    // marked unverified; its redirect host; each scope described.
    tab.wait_for_element("#allow")
        .expect("the server's consent page");
    shot(&tab, "01-consent");
    let page = text(&tab);
    assert!(
        page.contains("Allow Claude <b>bold</b> to use your Fanvue account?"),
        "{page}"
    );
    assert!(page.contains("unverified"), "{page}");
    assert!(page.contains("127.0.0.1"), "{page}");
    assert!(
        page.contains("Read analytics, metrics and insights"),
        "{page}"
    );
    tab.wait_for_element("#allow")
        .and_then(|allow| allow.click().map(|_| ()))
        .expect("allowed");
    // Fanvue's page, after the redirect the form's answer made: the
    // browser followed it.
    tab.wait_for_element("input[value='read:insights']")
        .expect("Fanvue's consent page");
    assert!(tab.get_url().contains("/oauth2/auth"), "{}", tab.get_url());
    shot(&tab, "02-fanvue-consent");
    tab.wait_for_element("#allow")
        .and_then(|allow| allow.click().map(|_| ()))
        .expect("allowed at Fanvue");
    // Back through the server to the client's callback (nothing listens
    // there): the browser's address holds the code.
    let landed = (0..150)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            tab.get_url()
        })
        .find(|url| url.starts_with(CALLBACK))
        .unwrap_or_else(|| panic!("never reached the client: {}", tab.get_url()));
    let landed = url::Url::parse(&landed).expect("a URL");
    let query: std::collections::HashMap<String, String> =
        landed.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("state").map(String::as_str),
        Some("client-state-123")
    );
    assert_eq!(query.get("iss"), Some(&base));
    let code = query.get("code").expect("a code").to_owned();
    let (status, token) = runtime.block_on(mcp_sign_in::exchange(&base, &client, &code));
    assert_eq!(status, reqwest::StatusCode::OK, "{token}");
    assert_eq!(token["scope"], "read:chat read:insights");
}
