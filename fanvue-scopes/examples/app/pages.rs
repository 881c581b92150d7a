//! The app's pages: plain server-rendered HTML, no script.

use crate::ACTIONS;
use fanvue_scopes::ScopeSet;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}\
    a.button,button{display:inline-block;font-size:1rem;padding:.55rem 1.1rem;border-radius:.4rem;border:0;\
    background:#0a7d4f;color:#fff;text-decoration:none;cursor:pointer}\
    table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border-bottom:1px solid #ddd;padding:.5rem;text-align:left}\
    .yes{color:#0a7d4f}.no{color:#b3261e}code{background:#f3f3f3;padding:0 .25rem;border-radius:.2rem}\
    form{display:inline}pre{background:#f6f6f6;padding:1rem;overflow:auto}";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
         <style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

pub fn home() -> String {
    page(
        "Fanvue app example",
        "<h1>Fanvue app example</h1>\
         <p>Connect your Fanvue account to read your chats, send a message and see your insights.</p>\
         <p><a class=\"button\" id=\"sign-in\" href=\"/sign-in\">Sign in with Fanvue</a></p>",
    )
}

pub fn message(title: &str, text: &str) -> String {
    page(
        title,
        &format!(
            "<h1>{}</h1><p>{}</p><p><a href=\"/\">Home</a></p>",
            escape(title),
            escape(text)
        ),
    )
}

pub fn dashboard(who: &str, granted: ScopeSet) -> String {
    let mut rows = String::new();
    for action in &ACTIONS {
        let needs = action.needs.all();
        let ok = action.needs.is_satisfied_by(granted);
        let status = if ok {
            "<span class=\"yes\">granted</span>"
        } else {
            "<span class=\"no\">not granted: you will be asked</span>"
        };
        let id = action.path.trim_start_matches("/actions/");
        let control = if action.method == "POST" {
            format!(
                "<form method=\"post\" action=\"{}\"><button id=\"action-{id}\">{}</button></form>",
                action.path,
                escape(action.title)
            )
        } else {
            format!(
                "<a class=\"button\" id=\"action-{id}\" href=\"{}\">{}</a>",
                action.path,
                escape(action.title)
            )
        };
        rows +=
            &format!("<tr><td>{control}</td><td><code>{needs}</code></td><td>{status}</td></tr>");
    }
    let granted_list = if granted.is_empty() {
        "nothing".to_owned()
    } else {
        granted
            .iter()
            .map(|scope| format!("<code>{scope}</code>"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    page(
        "Dashboard",
        &format!(
            "<h1>Dashboard</h1><p>Signed in with {}.</p>\
             <p id=\"granted\">You granted: {granted_list}</p>\
             <table><tr><th>Action</th><th>Needs</th><th>You</th></tr>{rows}</table>\
             <form method=\"post\" action=\"/sign-out\"><button id=\"sign-out\">Sign out</button></form>",
            escape(who)
        ),
    )
}

pub fn action(title: &str, result: &Result<String, String>) -> String {
    let body = match result {
        Ok(body) => format!("<pre id=\"result\">{}</pre>", escape(body)),
        Err(error) => format!("<p class=\"no\" id=\"result\">{}</p>", escape(error)),
    };
    page(
        title,
        &format!(
            "<h1>{}</h1>{body}<p><a href=\"/dashboard\">Back to the dashboard</a></p>",
            escape(title)
        ),
    )
}
