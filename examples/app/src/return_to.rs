//! Where to land after signing in: only a path of this app, read the way a
//! browser will read the `Location` header it ends up in.
//!
//! A check on the string (`starts with /`, `not //`) misses what browsers
//! do: they strip tabs and newlines (`/\t/evil.example` is
//! `//evil.example`), read `\` as `/`, and resolve dot segments. So the
//! value is resolved against the app's origin by the URL standard's parser
//! (the `url` crate), and kept only if it stays on that origin; what is
//! written back is the parser's serialization, which has no control
//! characters or spaces, so it is always a valid header value.

use url::Url;

/// Where a sign-in lands when `return_to` is missing or refused.
pub const DEFAULT: &str = "/dashboard";

/// `return_to` as a path (and query) on `origin`, or `None` if a browser
/// would take it anywhere else.
pub fn same_origin_path(origin: &Url, return_to: &str) -> Option<String> {
    let resolved = origin.join(return_to).ok()?;
    if resolved.origin() != origin.origin() || resolved.cannot_be_a_base() {
        return None;
    }
    // As a `Location`, `//host` would be scheme-relative: another origin.
    let path = resolved.path();
    if path.starts_with("//") {
        return None;
    }
    Some(match resolved.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::same_origin_path;
    use proptest::prelude::*;
    use url::Url;

    fn origin() -> Url {
        Url::parse("http://127.0.0.1:3000/").expect("a URL")
    }

    #[test]
    fn hostile_spellings_are_refused_and_paths_kept() {
        let origin = origin();
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "https://evil.example/",
            "http:evil.example",
            "http:/evil.example",
            "//127.0.0.1:3001/",
            "http://127.0.0.1:3000@evil.example/",
            "/.//evil.example",
            "javascript:alert(1)",
            "data:text/html,hi",
            " //evil.example",
        ] {
            let kept = same_origin_path(&origin, hostile);
            let safe = kept.as_deref().is_none_or(|path| {
                let landed = origin.join(path).expect("resolves");
                landed.origin() == origin.origin() && !path.starts_with("//")
            });
            assert!(safe, "{hostile:?} -> {kept:?}");
        }
        assert_eq!(
            same_origin_path(&origin, "/actions/insights?from=step-up").as_deref(),
            Some("/actions/insights?from=step-up")
        );
        assert_eq!(
            same_origin_path(&origin, "/a/../dashboard").as_deref(),
            Some("/dashboard")
        );
        // The newline that once made a 500: stripped, as a browser does.
        assert_eq!(same_origin_path(&origin, "/\n/evil.example"), None);
    }

    /// Pieces of URLs that browsers read in surprising ways.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/"),
            Just("\\"),
            Just("//"),
            Just("\t"),
            Just("\n"),
            Just("\r"),
            Just(" "),
            Just("%09"),
            Just("%0a"),
            Just("%2f"),
            Just("%5c"),
            Just("%2e"),
            Just("."),
            Just(".."),
            Just("@"),
            Just(":"),
            Just("?"),
            Just("#"),
            Just("http:"),
            Just("https:"),
            Just("evil.example"),
            Just("127.0.0.1:3000"),
            Just("dashboard"),
            Just("\u{3002}"),
            Just("é"),
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the spelling, what is kept lands on the app's origin
        /// when a browser follows it, and is a valid header value.
        #[test]
        fn what_is_kept_lands_on_the_app(return_to in hostile()) {
            let origin = origin();
            if let Some(path) = same_origin_path(&origin, &return_to) {
                prop_assert!(path.starts_with('/') && !path.starts_with("//"), "{:?} -> {:?}", return_to, path);
                prop_assert!(axum::http::HeaderValue::from_str(&path).is_ok());
                prop_assert!(!path.contains(|c: char| c.is_ascii_control() || c == ' '));
                // A backslash a browser would read as a slash never stays in the path.
                let before_query = path.split('?').next().unwrap_or_default();
                prop_assert!(!before_query.contains('\\'), "{:?}", path);
                let landed = origin.join(&path).expect("resolves");
                prop_assert_eq!(landed.origin(), origin.origin());
            }
        }
    }
}
