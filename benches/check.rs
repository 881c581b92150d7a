//! Check: a 3-scope requirement against a 6-scope grant.
//! Baseline: `raw_mask` (the floor); the others are what apps write today.

use divan::black_box;
use fanvue_scopes_benches::{GRANT_SET, REQUIRED, REQUIRED_SET, grant_hash_set, grant_vec};

fn main() {
    divan::main();
}

/// The masks a hand-rolled bit set would hold: the same bits as below.
const GRANT_MASK: u64 = GRANT_SET.bits();
const REQUIRED_MASK: u64 = REQUIRED_SET.bits();

#[divan::bench]
fn raw_mask(bencher: divan::Bencher) {
    bencher.bench_local(|| {
        let required = black_box(REQUIRED_MASK);
        black_box(GRANT_MASK) & required == required
    });
}

#[divan::bench]
fn scope_set(bencher: divan::Bencher) {
    bencher.bench_local(|| black_box(GRANT_SET).contains_all(black_box(REQUIRED_SET)));
}

#[divan::bench]
fn hash_set_of_strings(bencher: divan::Bencher) {
    let granted = grant_hash_set();
    bencher.bench_local(|| {
        black_box(REQUIRED)
            .iter()
            .all(|scope| black_box(&granted).contains(*scope))
    });
}

/// actix-web-grants' own check: `has_authorities` over the
/// `HashSet<String>` its `AuthDetails` extractor holds.
#[divan::bench]
fn actix_web_grants(bencher: divan::Bencher) {
    use actix_web_grants::authorities::{AuthDetails, AuthoritiesCheck};
    let granted: AuthDetails = AuthDetails::new(grant_vec());
    bencher.bench_local(|| black_box(&granted).has_authorities(black_box(&REQUIRED)));
}

#[divan::bench]
fn vec_of_strings(bencher: divan::Bencher) {
    let granted = grant_vec();
    bencher.bench_local(|| {
        black_box(REQUIRED)
            .iter()
            .all(|scope| black_box(&granted).iter().any(|held| held == scope))
    });
}
