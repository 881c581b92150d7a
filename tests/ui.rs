//! Compile-time behaviour of the macros: what compiles, and the errors a
//! human sees when it does not (snapshots in `ui/fail/*.stderr`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
