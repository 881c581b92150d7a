//! The endpoint catalog at run time: what `Endpoint` says of each endpoint,
//! and `Endpoint::find` against a plain linear scan written here.

use fanvue_scopes::{Endpoint, Scope, ScopeSet, endpoint, scopes};
use proptest::prelude::*;

/// A concrete path for `template`, each `{parameter}` filled by `fill`.
fn concrete(template: &str, mut fill: impl FnMut(usize) -> String) -> String {
    let mut index = 0;
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                index += 1;
                fill(index)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn uuid(seed: usize) -> String {
    format!(
        "{:08x}-4b1c-4f2e-9a7d-{:012x}",
        seed * 2_654_435_761 % (1 << 32),
        seed
    )
}

/// The reference matcher: every template, one after another; of those the
/// path fits, the one whose first parameter comes latest wins.
fn linear_find(method: &str, path: &str) -> Option<Endpoint> {
    let path = path.split(['?', '#']).next()?;
    let concrete: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let priority = |template: &str| -> Option<Vec<bool>> {
        let segments: Vec<&str> = template[1..].split('/').collect();
        if segments.len() != concrete.len() {
            return None;
        }
        segments
            .iter()
            .zip(&concrete)
            .enumerate()
            .map(|(index, (segment, text))| {
                let param = segment.starts_with('{');
                // An empty parameter matches between two slashes only.
                let between = index + 1 < concrete.len();
                let fits = if param {
                    !text.is_empty() || between
                } else {
                    segment == text
                };
                fits.then_some(param)
            })
            .collect()
    };
    let best = Endpoint::ALL
        .iter()
        .filter_map(|endpoint| Some((priority(endpoint.path())?, endpoint.path())))
        .min()?
        .1;
    let with = |method: &str| {
        Endpoint::ALL
            .into_iter()
            .find(|endpoint| endpoint.path() == best && endpoint.method() == method)
    };
    // HEAD runs the GET handler.
    with(method).or_else(|| if method == "HEAD" { with("GET") } else { None })
}

#[test]
fn the_catalog_has_fanvues_143_operations_and_uses_every_scope() {
    assert_eq!(Endpoint::ALL.len(), 143);
    for scope in Scope::ALL {
        assert!(!scope.endpoints().is_empty(), "{scope} unlocks nothing");
        for endpoint in scope.endpoints() {
            assert!(endpoint.scopes().contains(scope), "{endpoint} / {scope}");
        }
    }
    for endpoint in Endpoint::ALL {
        assert!(!endpoint.scopes().is_empty(), "{endpoint}");
        assert!(!endpoint.summary().is_empty(), "{endpoint}");
        for scope in endpoint.scopes() {
            assert!(
                scope.endpoints().contains(&endpoint),
                "{endpoint} / {scope}"
            );
        }
        if let Some(url) = endpoint.reference() {
            assert!(url.starts_with("https://"), "{endpoint}: {url}");
        }
    }
    assert_eq!(fanvue_scopes::API_VERSION, "2025-06-26");
}

#[test]
fn endpoints_display_as_method_and_template() {
    let messages = endpoint!(GET "/chats/{userUuid}/messages");
    assert_eq!(messages, Endpoint::ListMessages);
    assert_eq!(messages.to_string(), "GET /chats/{userUuid}/messages");
    assert_eq!(messages.method(), "GET");
    assert_eq!(messages.operation(), "listMessages");
    assert_eq!(
        endpoint!(GET "/creators/{creatorUserUuid}/chats").scopes(),
        scopes![read:creator, read:chat]
    );
    assert_eq!(Endpoint::GetCurrentUser.path(), "/users/me");
}

#[test]
fn every_endpoint_is_found_from_a_concrete_request() {
    for (seed, endpoint) in Endpoint::ALL.into_iter().enumerate() {
        let path = concrete(endpoint.path(), |index| uuid(seed * 10 + index));
        assert_eq!(
            Endpoint::find(endpoint.method(), &path),
            Some(endpoint),
            "{path}"
        );
        let with_query = format!("{path}?size=20&page=2#top");
        assert_eq!(
            Endpoint::find(endpoint.method(), &with_query),
            Some(endpoint)
        );
    }
}

#[test]
fn static_segments_win_over_parameters() {
    assert_eq!(
        Endpoint::find("GET", "/chats/unread"),
        Some(Endpoint::GetUnreadChatsCount)
    );
    // `/chats/unread` is its own template, which has no PATCH.
    assert_eq!(Endpoint::find("PATCH", "/chats/unread"), None);
    assert_eq!(
        Endpoint::find("PATCH", "/chats/2f6c"),
        Some(Endpoint::UpdateChat)
    );
    // `unread` leads nowhere deeper, so the parameter takes it.
    assert_eq!(
        Endpoint::find("GET", "/chats/unread/messages"),
        Some(Endpoint::ListMessages)
    );
    assert_eq!(
        Endpoint::find("GET", "/media/uploads/9/parts/3/url"),
        Some(Endpoint::GetUploadPartUrl)
    );
}

#[test]
fn near_misses_are_not_endpoints() {
    for (method, path) in [
        ("GET", ""),
        ("GET", "/"),
        ("GET", "chats"),
        ("GET", "/chats/"),
        ("GET", "//chats"),
        ("GET", "/Chats"),
        ("get", "/chats"),
        ("PUT", "/chats"),
        ("GET", "/chats/1/messages/2/media/3"),
        ("GET", "/users/me/"),
        ("GET", "?/chats"),
    ] {
        assert_eq!(Endpoint::find(method, path), None, "{method} {path}");
    }
    // An empty parameter between two slashes is routed, as axum routes it
    // (the differential test holds the two to agreement): the check must
    // see the endpoint, or the call would go out unchecked.
    assert_eq!(
        Endpoint::find("GET", "/chats//messages"),
        Some(Endpoint::ListMessages)
    );
}

#[test]
fn hostile_paths_are_refused_without_panicking() {
    for size in [10 * 1024, 1024 * 1024] {
        let long_segment = format!("/chats/{}/messages", "a".repeat(size));
        assert_eq!(
            Endpoint::find("GET", &long_segment),
            Some(Endpoint::ListMessages)
        );
        assert_eq!(Endpoint::find("GET", &"/chats".repeat(size / 6)), None);
        assert_eq!(Endpoint::find("GET", &"/".repeat(size)), None);
        assert_eq!(Endpoint::find("GET", &"é?".repeat(size / 3)), None);
    }
}

#[test]
fn a_scope_set_calls_what_its_scopes_cover() {
    let granted = scopes![read:self, read:chat];
    let callable: Vec<Endpoint> = granted.callable_endpoints().collect();
    assert!(callable.contains(&Endpoint::ListChats));
    assert!(callable.contains(&Endpoint::GetCurrentUser));
    assert!(!callable.contains(&Endpoint::SendMessage));
    for endpoint in Endpoint::ALL {
        assert_eq!(
            callable.contains(&endpoint),
            granted.contains_all(endpoint.scopes())
        );
    }
    assert_eq!(ScopeSet::ALL.callable_endpoints().count(), 143);
    assert_eq!(ScopeSet::EMPTY.callable_endpoints().count(), 0);
}

#[test]
fn a_refused_call_names_the_endpoint_and_the_missing_scopes() {
    let refused = Endpoint::SendCreatorMessage
        .check(scopes![write:chat])
        .unwrap_err();
    assert_eq!(refused.endpoint(), Endpoint::SendCreatorMessage);
    assert_eq!(refused.missing(), scopes![read:creator]);
    assert!(!refused.is_from_fanvue());
    assert_eq!(
        refused.to_string(),
        "insufficient scope for `POST /creators/{creatorUserUuid}/chats/{userUuid}/message`: \
         requires `write:chat read:creator`; missing `read:creator`"
    );
    let insufficient = refused.into_insufficient_scope();
    assert_eq!(insufficient.missing(), scopes![read:creator]);
    assert!(
        Endpoint::SendCreatorMessage
            .check(scopes![write:chat, read:creator])
            .is_ok()
    );
}

/// A path built from the catalog's own segments, so that it often hits.
fn catalog_path() -> impl Strategy<Value = String> {
    let mut words: Vec<String> = Endpoint::ALL
        .iter()
        .flat_map(|endpoint| endpoint.path().split('/').map(str::to_owned))
        .filter(|segment| !segment.starts_with('{'))
        .collect();
    words.sort();
    words.dedup();
    let segment = prop_oneof![
        4 => proptest::sample::select(words),
        2 => "[0-9a-f]{1,8}",
        1 => Just(String::new()),
        1 => "[^/?#]{0,4}",
    ];
    let query = prop_oneof![3 => Just(String::new()), 1 => "[?#][ -~]{0,8}"];
    (proptest::collection::vec(segment, 0..8), query)
        .prop_map(|(segments, query)| format!("/{}{query}", segments.join("/")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn find_agrees_with_a_linear_scan(
        method in proptest::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        path in catalog_path(),
    ) {
        prop_assert_eq!(Endpoint::find(method, &path), linear_find(method, &path), "{} {}", method, path);
    }

    #[test]
    fn find_never_panics(method in ".{0,8}", path in ".{0,256}") {
        let _ = Endpoint::find(&method, &path);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    /// A separator at every offset of the 8-byte words `find` reads.
    #[test]
    fn separators_are_found_at_any_offset(
        segment in "[a-z0-9-]{1,24}",
        separator in "[/?#]",
        tail in "[a-z/?#]{0,12}",
    ) {
        let path = format!("/chats/{segment}{separator}messages{tail}");
        prop_assert_eq!(Endpoint::find("GET", &path), linear_find("GET", &path), "{}", path);
    }
}

#[test]
fn path_with_builds_paths_that_find_the_same_endpoint() {
    for (seed, endpoint) in Endpoint::ALL.into_iter().enumerate() {
        let uuids: Vec<String> = (1..=4).map(|index| uuid(seed * 10 + index)).collect();
        let count = endpoint.path().matches('{').count();
        let params: Vec<&str> = uuids.iter().take(count).map(String::as_str).collect();
        let path = endpoint.path_with(&params);
        assert_eq!(
            path.as_deref(),
            Some(concrete(endpoint.path(), |index| uuid(seed * 10 + index)).as_str())
        );
        let too_many: Vec<&str> = uuids.iter().take(count + 1).map(String::as_str).collect();
        assert_eq!(endpoint.path_with(&too_many), None, "{endpoint}");
    }
    assert_eq!(Endpoint::UpdateChat.path_with(&["unread"]), None);
    assert_eq!(
        Endpoint::UpdateChat.path_with(&["1?x"]).as_deref(),
        Some("/chats/1%3Fx")
    );
    for dots in ["", ".", "..", "%2e", "%2E%2e", ".%2e", "%2e."] {
        assert_eq!(Endpoint::UpdateChat.path_with(&[dots]), None, "{dots:?}");
    }
    // Three dots are a name, not a dot segment.
    assert_eq!(
        Endpoint::UpdateChat.path_with(&["..."]).as_deref(),
        Some("/chats/...")
    );
    assert_eq!(
        Endpoint::ListChats.path_with(&[]).as_deref(),
        Some("/chats")
    );
}

/// Parameters an attacker or a bug could hand `path_with`: separators,
/// dot segments in every spelling, encodings, controls, non-ASCII.
fn hostile_param() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "", ".", "..", "%2e", "%2E", "/", "\\", "?", "#", "%", "%2f", "%2F", ";", " ", "\t", "\n",
        "unread", "me", "a", "0b7c1a9e", "é", "\u{0}", "{", "}", "@", ":",
    ]);
    prop::collection::vec(pieces, 0..4).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Whenever `path_with` builds a path, the router and a URL parser both
    /// read it as the same endpoint: `find` maps it back, and the parser
    /// (as reqwest sends it) leaves it as it is.
    #[test]
    fn a_built_path_is_the_endpoint_it_names(
        index in 0..Endpoint::ALL.len(),
        params in prop::collection::vec(hostile_param(), 0..4),
    ) {
        let endpoint = Endpoint::ALL[index];
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        if let Some(path) = endpoint.path_with(&params) {
            prop_assert_eq!(Endpoint::find(endpoint.method(), &path), Some(endpoint), "{}", path);
            let url = url::Url::parse(&format!("https://api.fanvue.com{path}")).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(url.path(), path.as_str());
        }
    }
}
