//! `Endpoint::find` on a realistic mix of requests, against `matchit`
//! (axum's router) loaded with the same 143 templates and a linear scan
//! over them; and on hostile paths of 10 KiB and 1 MiB.
//! Baseline: `matchit`.

use divan::black_box;
use fanvue_scopes::Endpoint;
use fanvue_scopes_benches::{hostile_paths, request_mix};

fn main() {
    divan::main();
}

/// Every request of the mix, one lookup each, per iteration: each sample
/// sees the whole mix, so the median is stable. Per lookup, divide by
/// the mix's length (`requests` in the output; divan prints the rate).
fn each_request<O>(bencher: divan::Bencher, lookup: impl FnMut(&str, &str) -> O) {
    each_request_of(request_mix(), bencher, lookup);
}

fn each_request_of<O>(
    mix: Vec<(&'static str, String)>,
    bencher: divan::Bencher,
    mut lookup: impl FnMut(&str, &str) -> O,
) {
    bencher
        .counter(divan::counter::ItemsCount::new(mix.len()))
        .bench_local(|| {
            for (method, path) in &mix {
                black_box(lookup(black_box(method), black_box(path)));
            }
        });
}

#[divan::bench]
fn endpoint_find(bencher: divan::Bencher) {
    each_request(bencher, Endpoint::find);
}

/// matchit at its best: the query is cut off before the clock starts, as
/// axum hands it a `Uri`'s path that was split from the query already.
#[divan::bench]
fn matchit(bencher: divan::Bencher) {
    let router = fanvue_scopes_benches::matchit_router();
    let mix: Vec<(&str, String)> = request_mix()
        .into_iter()
        .map(|(method, path)| {
            (
                method,
                path.split(['?', '#']).next().unwrap_or("").to_owned(),
            )
        })
        .collect();
    each_request_of(mix, bencher, |method, path| {
        router.at(path).ok().and_then(|found| {
            found
                .value
                .iter()
                .find(|endpoint| endpoint.method() == method)
                .copied()
        })
    });
}

#[divan::bench]
fn linear_scan(bencher: divan::Bencher) {
    let templates = fanvue_scopes_benches::LinearScan::new();
    each_request(bencher, |method, path| templates.find(method, path));
}

/// Paths built to be slow: one segment of `len` bytes in a real template,
/// and `len` bytes of slashes. Time should grow with `len`, no faster.
#[divan::bench(args = [10 * 1024, 1024 * 1024])]
fn hostile(bencher: divan::Bencher, len: usize) {
    let paths = hostile_paths(len);
    bencher.bench_local(|| {
        paths
            .iter()
            .filter_map(|path| Endpoint::find(black_box("GET"), black_box(path)))
            .count()
    });
}
