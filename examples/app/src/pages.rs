//! The app's pages: plain server-rendered HTML, no script.

use crate::{ACTIONS, Action};
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

pub fn home(ended: bool) -> String {
    let notice = if ended {
        "<p class=\"no\" id=\"notice\">Your Fanvue sign-in has ended (Fanvue no longer accepts it). Sign in again to carry on.</p>"
    } else {
        ""
    };
    page(
        "Fanvue app example",
        &format!(
            "<h1>Fanvue app example</h1>{notice}\
             <p>Connect your Fanvue account to read your chats, send a message and see your insights.</p>\
             <p><a class=\"button\" id=\"sign-in\" href=\"/sign-in\">Sign in with Fanvue</a></p>"
        ),
    )
}

pub fn message(title: &str, text: &str) -> String {
    page(
        title,
        &format!(
            "<h1>{}</h1><p id=\"message\">{}</p><p><a href=\"/\">Home</a></p>",
            escape(title),
            escape(text)
        ),
    )
}

/// Each scope with what it grants, from `scopes.toml`.
fn scope_list(scopes: ScopeSet) -> String {
    let items: String = scopes
        .iter()
        .map(|scope| {
            format!(
                "<li><code>{}</code>: {}</li>",
                scope.as_str(),
                escape(scope.description())
            )
        })
        .collect();
    format!("<ul id=\"needs\">{items}</ul>")
}

/// Before a step-up: the action, the scope it needs and what that grants.
pub fn step_up(action: &Action, missing: ScopeSet) -> String {
    page(
        "One more permission",
        &format!(
            "<h1>{} needs one more permission</h1>\
             <p>You didn't allow this when you signed in. To {}, this app needs:</p>{}\
             <p>Fanvue will ask you to allow it; you can say no, and everything else keeps working.</p>\
             <p><a class=\"button\" id=\"continue\" href=\"/sign-in?action={}\">Continue to Fanvue</a> \
             <a id=\"not-now\" href=\"/dashboard\">Not now</a></p>",
            escape(action.title),
            escape(&action.title.to_lowercase()),
            scope_list(missing),
            action.id,
        ),
    )
}

/// After a step-up the user declined (or denied): no loop, they carry on.
/// The page names what they held back (`missing`) and what it would grant.
pub fn declined(action: &Action, missing: ScopeSet, consented: bool) -> String {
    let what = if consented {
        "At Fanvue you allowed the rest, but not"
    } else {
        "You chose Deny at Fanvue, so the app did not get"
    };
    page(
        "Not allowed",
        &format!(
            "<h1>{title} stays off</h1><p id=\"message\">{what} the permission {title_lower} \
             needs:</p>{needs}<p>So it is not available. You are still signed in, and everything \
             you allowed keeps working. To use it later, choose it on the dashboard and allow \
             this when Fanvue asks.</p>\
             <p><a class=\"button\" href=\"/dashboard\">Back to the dashboard</a></p>",
            title = escape(action.title),
            title_lower = escape(&action.title.to_lowercase()),
            needs = scope_list(missing),
        ),
    )
}

pub fn dashboard(who: &str, granted: ScopeSet, csrf: &str) -> String {
    let mut rows = String::new();
    for action in &ACTIONS {
        let needs = action.needs.all();
        let ok = action.needs.is_satisfied_by(granted);
        let status = if ok {
            "<span class=\"yes\">granted</span>"
        } else {
            "<span class=\"no\">not granted: you will be asked</span>"
        };
        let id = action.id;
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
             <form method=\"post\" action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button id=\"sign-out\">Sign out</button></form>",
            escape(who),
            escape(csrf)
        ),
    )
}

/// An action's result as a page: a list for chats, a table otherwise.
pub fn result(action: &Action, body: &serde_json::Value) -> String {
    let rows: Vec<(String, String)> = match body {
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(name, value)| (name.clone(), plain(value)))
            .collect(),
        other => vec![("result".to_owned(), plain(other))],
    };
    let content = if action.id == "chats" {
        let items: String = match body.get("data").and_then(serde_json::Value::as_array) {
            Some(chats) if !chats.is_empty() => chats
                .iter()
                .map(|chat| format!("<li>{}</li>", escape(&plain(chat))))
                .collect(),
            Some(_) => "<li>No chats yet.</li>".to_owned(),
            None => rows
                .iter()
                .map(|(name, value)| {
                    format!("<li>{}: {}</li>", escape(&label(name)), escape(value))
                })
                .collect(),
        };
        format!("<ul id=\"result\">{items}</ul>")
    } else {
        let cells: String = rows
            .iter()
            .map(|(name, value)| {
                format!(
                    "<tr><th>{}</th><td>{}</td></tr>",
                    escape(&label(name)),
                    escape(value)
                )
            })
            .collect();
        format!("<table id=\"result\">{cells}</table>")
    };
    page(
        action.title,
        &format!(
            "<h1>{}</h1>{content}<p><a href=\"/dashboard\">Back to the dashboard</a></p>",
            escape(action.title)
        ),
    )
}

/// `stand_in` as "Stand in".
fn label(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A JSON value as text a person reads: strings without quotes, `yes`/`no`.
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Bool(true) => "yes".to_owned(),
        serde_json::Value::Bool(false) => "no".to_owned(),
        serde_json::Value::Null => "none".to_owned(),
        other => other.to_string(),
    }
}
