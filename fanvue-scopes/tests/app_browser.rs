//! The "Sign in with Fanvue" example in a real browser: headless Chromium,
//! driven over the DevTools protocol, clicks through sign-in, unticks
//! `read:insights` at consent, sees the dashboard, opens insights, steps up
//! and grants, and sees the insights. A screenshot of each step lands in
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
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots");
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

#[test]
fn a_person_signs_in_unticks_a_scope_steps_up_and_sees_their_insights() {
    let sessions =
        std::env::temp_dir().join(format!("fanvue-app-browser-{}.sqlite3", std::process::id()));
    let app = AppProcess::start(&sessions, 0);
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

    tab.navigate_to(&format!("{}/", app.url))
        .and_then(|tab| tab.wait_until_navigated())
        .expect("home");
    shots.take(&tab, "home");
    assert!(text(&tab).contains("Sign in with Fanvue"));

    tab.wait_for_element("#sign-in")
        .and_then(|link| link.click().map(|_| ()))
        .expect("sign in");
    tab.wait_for_element("#allow").expect("the consent page");
    shots.take(&tab, "consent");
    let consent = text(&tab);
    assert!(
        consent.contains("Allow access to your Fanvue account?"),
        "{consent}"
    );
    assert!(consent.contains("read:insights"), "{consent}");
    // Untick read:insights, then allow.
    tab.wait_for_element("input[value='read:insights']")
        .and_then(|checkbox| checkbox.click().map(|_| ()))
        .expect("untick read:insights");
    shots.take(&tab, "consent-unticked");
    tab.wait_for_element("#allow")
        .and_then(|button| button.click().map(|_| ()))
        .expect("allow");

    tab.wait_for_element("#granted").expect("the dashboard");
    shots.take(&tab, "dashboard");
    let dashboard = text(&tab);
    assert!(dashboard.contains("read:chat"), "{dashboard}");
    assert!(
        dashboard.contains("Signed in with @stand-in-creator"),
        "who is signed in: {dashboard}"
    );
    let granted = tab
        .wait_for_element("#granted")
        .and_then(|p| p.get_inner_text())
        .expect("granted");
    assert!(!granted.contains("read:insights"), "{granted}");

    // Insights need read:insights: step-up consent for it.
    tab.wait_for_element("#action-insights")
        .and_then(|link| link.click().map(|_| ()))
        .expect("insights");
    tab.wait_for_element("#allow")
        .expect("the step-up consent page");
    shots.take(&tab, "step-up-consent");
    let step_up = text(&tab);
    assert!(step_up.contains("read:insights"), "{step_up}");
    tab.wait_for_element("#allow")
        .and_then(|button| button.click().map(|_| ()))
        .expect("allow");

    tab.wait_for_element("#result").expect("the insights page");
    shots.take(&tab, "insights");
    let insights = text(&tab);
    assert!(insights.contains("Your insights"), "{insights}");
    assert!(
        insights.contains("getEarnings"),
        "the API answered: {insights}"
    );

    // Sign out: back home, the session gone.
    tab.wait_for_element("a[href='/dashboard']")
        .and_then(|link| link.click().map(|_| ()))
        .expect("back to the dashboard");
    tab.wait_for_element("#granted").expect("the dashboard");
    let granted = tab
        .wait_for_element("#granted")
        .and_then(|p| p.get_inner_text())
        .expect("granted");
    assert!(
        granted.contains("read:insights"),
        "granted at step-up: {granted}"
    );
    tab.wait_for_element("#sign-out")
        .and_then(|button| button.click().map(|_| ()))
        .expect("sign out");
    tab.wait_for_element("#sign-in").expect("home again");
    shots.take(&tab, "signed-out");
    let _ = std::fs::remove_file(&sessions);
}
