//! What the tests of this member share: runtimes, an HTTP client that shows
//! redirects rather than follows them, and a browser's first step through an
//! authorize URL.
#![allow(dead_code)] // Each test file uses some of it.

use std::time::Duration;

/// A runtime for one test, on its thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A runtime whose workers serve while the test blocks on a process.
pub fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A client that reports redirects instead of following them, as a test of
/// an authorization server needs.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client")
}

/// Opens an authorize URL as the user's browser would, with the stand-in's
/// consent scripted: where it redirects to.
pub async fn redirected_to(url: &str) -> String {
    let response = http()
        .get(url)
        .send()
        .await
        .expect("the authorize endpoint answers");
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no redirect: {}", response.status()))
        .to_owned()
}
