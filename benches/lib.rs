//! Inputs shared by the benchmarks: the same grant and requirement in each
//! representation users meet them in.
//!
//! Run with `scripts/bench.sh`, which prints each baseline's ratio.

use fanvue_scopes::{ScopeSet, scopes};
use std::collections::HashSet;

/// A 6-scope grant, as a token response would list it.
pub const GRANT: &str = "read:self read:chat write:chat read:fan read:media read:insights";
/// A 3-scope requirement, all of it in [`GRANT`].
pub const REQUIRED: [&str; 3] = ["read:chat", "write:chat", "read:self"];

pub const GRANT_SET: ScopeSet =
    scopes![read:self, read:chat, write:chat, read:fan, read:media, read:insights];
pub const REQUIRED_SET: ScopeSet = scopes![read:chat, write:chat, read:self];

/// A typical token's scope string.
pub const TYPICAL: &str = "read:self read:chat write:chat read:media";
/// Every scope plus two this crate does not know.
pub const EVERYTHING: &str = "read:self read:chat write:chat read:fan read:creator write:creator \
    read:media write:media read:post write:post read:insights read:tracking_links \
    write:tracking_links read:agency write:agency read:future write:future";

pub fn grant_hash_set() -> HashSet<String> {
    GRANT.split_whitespace().map(str::to_owned).collect()
}

pub fn grant_vec() -> Vec<String> {
    GRANT.split_whitespace().map(str::to_owned).collect()
}

/// Requests as an app sends them: every endpoint with UUIDs filled in, a
/// third of them with a query string, and one miss for every four hits
/// (an unknown path, a method the path lacks, a trailing slash).
pub fn request_mix() -> Vec<(&'static str, String)> {
    let mut mix = Vec::new();
    for (index, endpoint) in fanvue_scopes::Endpoint::ALL.into_iter().enumerate() {
        let mut path = concrete(endpoint, index);
        if index % 3 == 0 {
            path += "?size=20&page=2";
        }
        mix.push((endpoint.method(), path));
        match index % 4 {
            0 => mix.push(("GET", format!("/v2{}", concrete(endpoint, index)))),
            1 => mix.push(("PUT", concrete(endpoint, index))),
            2 => mix.push((endpoint.method(), concrete(endpoint, index) + "/")),
            _ => {}
        }
    }
    mix
}

/// The endpoint's path with a UUID in each parameter.
pub fn concrete(endpoint: fanvue_scopes::Endpoint, seed: usize) -> String {
    let uuids: Vec<String> = (0..8)
        .map(|position| format!("{seed:08x}-4b1c-4f2e-9a7d-{position:012x}"))
        .collect();
    let params: Vec<&str> = uuids
        .iter()
        .take(endpoint.path().matches('{').count())
        .map(String::as_str)
        .collect();
    endpoint.path_with(&params).unwrap_or_default()
}

/// Paths of about `len` bytes built to be slow to match.
pub fn hostile_paths(len: usize) -> Vec<String> {
    vec![
        format!("/chats/{}/messages", "a".repeat(len)),
        "/chats".repeat(len / 6),
        "/".repeat(len),
        format!("/{}?{}", "x".repeat(len / 2), "/".repeat(len / 2)),
    ]
}

/// The templates in axum's router, `matchit`: each path's endpoints, one
/// per method. Parameters are renamed by position, as matchit wants one
/// name per position.
pub fn matchit_router() -> matchit::Router<Vec<fanvue_scopes::Endpoint>> {
    let mut by_path: Vec<(&str, Vec<fanvue_scopes::Endpoint>)> = Vec::new();
    for endpoint in fanvue_scopes::Endpoint::ALL {
        let route = endpoint.router_path();
        match by_path.iter_mut().find(|(path, _)| *path == route) {
            Some((_, endpoints)) => endpoints.push(endpoint),
            None => by_path.push((route, vec![endpoint])),
        }
    }
    let mut router = matchit::Router::new();
    for (path, endpoints) in by_path {
        if let Err(error) = router.insert(path, endpoints) {
            panic!("matchit rejects {path}: {error}");
        }
    }
    router
}

/// The simplest matcher: every template in turn; of those a path fits,
/// the one whose parameters come latest (static segments first) wins.
pub struct LinearScan {
    templates: Vec<(fanvue_scopes::Endpoint, Vec<Option<&'static str>>)>,
}

impl LinearScan {
    pub fn new() -> Self {
        let templates = fanvue_scopes::Endpoint::ALL
            .into_iter()
            .map(|endpoint| {
                let segments = endpoint.path()[1..]
                    .split('/')
                    .map(|segment| (!segment.starts_with('{')).then_some(segment))
                    .collect();
                (endpoint, segments)
            })
            .collect();
        LinearScan { templates }
    }

    pub fn find(&self, method: &str, path: &str) -> Option<fanvue_scopes::Endpoint> {
        let path = path.split(['?', '#']).next()?.strip_prefix('/')?;
        let mut best: Option<(u64, &str)> = None;
        for (endpoint, segments) in &self.templates {
            let mut concrete = path.split('/');
            let mut priority = 0u64;
            let fits = segments.iter().all(|segment| {
                priority <<= 1;
                match (segment, concrete.next()) {
                    (Some(text), Some(given)) => *text == given,
                    (None, Some(given)) => {
                        priority |= 1;
                        !given.is_empty()
                    }
                    (_, None) => false,
                }
            }) && concrete.next().is_none();
            if fits && best.is_none_or(|(seen, _)| priority < seen) {
                best = Some((priority, endpoint.path()));
            }
        }
        let (_, template) = best?;
        self.templates
            .iter()
            .map(|(endpoint, _)| *endpoint)
            .find(|endpoint| endpoint.path() == template && endpoint.method() == method)
    }
}

impl Default for LinearScan {
    fn default() -> Self {
        LinearScan::new()
    }
}

/// The runtime the loopback benchmarks serve and send on: two workers, as
/// the machine has two cores.
pub static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
});
