//! The "Sign in with Fanvue" example in a real browser: headless Chromium,
//! driven over the DevTools protocol, as a person clicks through it and as
//! an attacker tries it. Sign-in with a hostile `return_to` lands on the
//! app; the session id changes at sign-in; unticking `read:insights`, then
//! opening insights explains the step-up before Fanvue asks; declining it
//! again and denying it both leave the user signed in, with no loop; a
//! step-up that is allowed shows the insights as a table; Back after
//! sign-out shows nothing private; and after a restart, the dead token ends
//! the session with "sign in again". A screenshot of each step lands in
//! `target/browser-screenshots/`, kept whether the test passes or fails.

#[path = "support/app.rs"]
mod app_process;

use app_process::AppProcess;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use std::path::PathBuf;
use std::time::Duration;

struct Screenshots {
    dir: PathBuf,
    step: usize,
}

impl Screenshots {
    fn new() -> Self {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        Screenshots { dir, step: 0 }
    }

    fn take(&mut self, tab: &Tab, name: &str) {
        self.step += 1;
        let png = tab
            .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
            .expect("a screenshot");
        let path = self.dir.join(format!("{:02}-{name}.png", self.step));
        std::fs::write(&path, png).expect("the screenshot written");
    }
}

fn text(tab: &Tab) -> String {
    tab.wait_for_element("body")
        .and_then(|body| body.get_inner_text())
        .expect("the page's text")
}

/// The session cookie's value in the browser.
fn session_id(tab: &Tab) -> Option<String> {
    tab.get_cookies()
        .ok()?
        .into_iter()
        .find(|cookie| cookie.name == "fanvue_app_session")
        .map(|cookie| cookie.value)
}

fn click(tab: &Tab, selector: &str) {
    tab.wait_for_element(selector)
        .and_then(|element| element.click().map(|_| ()))
        .unwrap_or_else(|error| panic!("{selector}: {error}"));
}

fn open(tab: &Tab, url: &str) {
    tab.navigate_to(url)
        .and_then(|tab| tab.wait_until_navigated())
        .unwrap_or_else(|error| panic!("{url}: {error}"));
}

#[test]
fn a_person_and_an_attacker_click_through_the_app() {
    let sessions = app_process::database_file("browser");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port");
    let mut app = AppProcess::start(&sessions, port);
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .expect("Chromium is installed (.ci/run installs Debian's chromium)");
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(chromium))
            .sandbox(false)
            .window_size(Some((1100, 800)))
            .idle_browser_timeout(Duration::from_secs(60))
            .build()
            .expect("launch options"),
    )
    .expect("Chromium starts");
    let tab = browser.new_tab().expect("a tab");
    tab.set_default_timeout(Duration::from_secs(15));
    let mut shots = Screenshots::new();

    // 1. Home, and a sign-in that an attacker's link sends on to
    //    `/<TAB>/evil.example`: the browser lands on the app.
    open(&tab, &format!("{}/", app.url));
    shots.take(&tab, "home");
    assert!(text(&tab).contains("Sign in with Fanvue"));
    open(
        &tab,
        &format!("{}/sign-in?return_to=%2F%09%2Fevil.example", app.url),
    );
    let planted = session_id(&tab).expect("a session for the sign-in");
    tab.wait_for_element("#allow").expect("the consent page");
    shots.take(&tab, "consent");
    let consent = text(&tab);
    assert!(
        consent.contains("Allow access to your Fanvue account?"),
        "{consent}"
    );
    // Untick read:insights, then allow.
    click(&tab, "input[value='read:insights']");
    shots.take(&tab, "consent-unticked");
    click(&tab, "#allow");
    tab.wait_for_element("#granted").expect("the dashboard");
    shots.take(&tab, "dashboard");
    let url = tab.get_url();
    assert!(url.starts_with(&app.url), "stayed on the app: {url}");
    let dashboard = text(&tab);
    assert!(
        dashboard.contains("Signed in with @stand-in-creator"),
        "{dashboard}"
    );
    let granted = tab
        .wait_for_element("#granted")
        .and_then(|p| p.get_inner_text())
        .expect("granted");
    assert!(!granted.contains("read:insights"), "{granted}");
    // 2. The session id changed at sign-in.
    let signed_in = session_id(&tab).expect("a session");
    assert_ne!(signed_in, planted, "the id is cycled at sign-in");

    // More hostile spellings, followed by the browser itself: each lands
    // on the app.
    for spelling in [
        "%2F%5Cevil.example",
        "%5C%5Cevil.example%2Fx",
        "https%3A%2F%2Fevil.example",
    ] {
        open(&tab, &format!("{}/sign-in?return_to={spelling}", app.url));
        // Still without read:insights, for the step-up below.
        click(&tab, "input[value='read:insights']");
        click(&tab, "#allow");
        tab.wait_for_element("#granted").expect("the dashboard");
        let url = tab.get_url();
        assert!(
            url.starts_with(&app.url),
            "{spelling} took the browser to {url}"
        );
    }

    // 3. Insights need read:insights: the app explains before Fanvue asks.
    click(&tab, "#action-insights");
    tab.wait_for_element("#continue").expect("the step-up page");
    shots.take(&tab, "step-up-explained");
    let explained = text(&tab);
    assert!(
        explained.contains("Read your insights needs one more permission"),
        "{explained}"
    );
    assert!(
        explained.contains("read:insights: Read analytics"),
        "{explained}"
    );
    click(&tab, "#continue");
    tab.wait_for_element("#allow")
        .expect("the step-up consent page");
    shots.take(&tab, "step-up-consent");
    let step_up = text(&tab);
    assert!(step_up.contains("asks for more access"), "{step_up}");
    // 4. Declined again: unticked, then allowed. No loop: the app says so.
    click(&tab, "input[value='read:insights']");
    click(&tab, "#allow");
    tab.wait_for_element("#message").expect("the declined page");
    shots.take(&tab, "step-up-declined");
    let declined = text(&tab);
    assert!(
        declined.contains("Read your insights stays off"),
        "{declined}"
    );
    assert!(declined.contains("still signed in"), "{declined}");
    // It names what was held back and what that grants.
    assert!(
        declined.contains("read:insights: Read analytics"),
        "{declined}"
    );
    // 5. Deny at a step-up: still signed in with what they had.
    open(&tab, &format!("{}/step-up?action=insights", app.url));
    click(&tab, "#continue");
    click(&tab, "#deny");
    tab.wait_for_element("#message").expect("the denied page");
    shots.take(&tab, "step-up-denied");
    let denied = text(&tab);
    assert!(denied.contains("You chose Deny"), "{denied}");
    assert!(denied.contains("read:insights: Read analytics"), "{denied}");
    open(&tab, &format!("{}/dashboard", app.url));
    tab.wait_for_element("#granted").expect("still signed in");

    // 6. Allowed this time: insights, as a table.
    click(&tab, "#action-insights");
    click(&tab, "#continue");
    click(&tab, "#allow");
    tab.wait_for_element("table#result")
        .expect("the insights table");
    shots.take(&tab, "insights");
    let insights = text(&tab);
    assert!(insights.contains("Read your insights"), "{insights}");
    assert!(
        insights.contains("getEarnings"),
        "the API answered: {insights}"
    );
    assert!(!insights.contains('{'), "a table, not JSON: {insights}");

    // 7. Sign out, then Back: nothing private comes back.
    open(&tab, &format!("{}/dashboard", app.url));
    click(&tab, "#sign-out");
    tab.wait_for_element("#sign-in").expect("home again");
    shots.take(&tab, "signed-out");
    tab.evaluate("history.back()", false).expect("Back");
    std::thread::sleep(Duration::from_millis(500));
    tab.wait_for_element("body").expect("a page");
    shots.take(&tab, "back-after-sign-out");
    let back = text(&tab);
    assert!(
        !back.contains("You granted"),
        "Back showed private data: {back}"
    );
    assert!(!back.contains("@stand-in-creator"), "{back}");

    // 8. Sign in again, restart the app: the session survives, its token
    //    does not, and the app says to sign in again.
    open(&tab, &format!("{}/sign-in", app.url));
    click(&tab, "#allow");
    tab.wait_for_element("#granted").expect("the dashboard");
    drop(app);
    app = AppProcess::start(&sessions, port);
    open(&tab, &format!("{}/dashboard", app.url));
    tab.wait_for_element("#notice").expect("the notice");
    shots.take(&tab, "after-restart");
    let ended = text(&tab);
    assert!(ended.contains("Sign in again"), "{ended}");
    drop(app);
    let _ = std::fs::remove_file(&sessions);
}
