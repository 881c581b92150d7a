//! `client::CallCheck` reads a raw URL as the URL standard (and reqwest)
//! reads it: the same origin however it is spelled, the path the parser
//! resolves, a base URL that can't be one refused.

use fanvue_scopes::client::CallCheck;
use fanvue_scopes::{Endpoint, ScopeSet, scopes};

#[test]
fn calls_to_the_api_are_checked_however_its_url_is_spelled() {
    let check = CallCheck::new(scopes![read:self]);
    for url in [
        "https://api.fanvue.com/chats",
        "https://API.Fanvue.COM/chats",
        "HTTPS://api.fanvue.com/chats?size=1",
        "https://api.fanvue.com:443/chats",
        "https://user@api.fanvue.com/chats",
        // What the URL parser reads, and so what reqwest sends, as `/chats`
        // (or `/insights/earnings`) to api.fanvue.com:
        "https://api.fanvue.com\\chats",
        "https:api.fanvue.com/chats",
        "https://api.fanvue.com:0443/chats",
        "https://api.fanvue.com/ch\tats",
        " https://api.fanvue.com/chats",
        "https://api.fanvue.com./chats",
        "https://api.fanvue.com/users/../chats",
        "https://api.fanvue.com/%2e/chats",
    ] {
        let refused = check.url("GET", url).map_err(|refused| refused.endpoint());
        assert_eq!(refused, Err(Endpoint::ListChats), "{url:?}");
    }
    let refused = check.url(
        "GET",
        "https://api.fanvue.com/chats/x/../../insights/earnings",
    );
    assert_eq!(
        refused.map_err(|refused| refused.endpoint()),
        Err(Endpoint::GetEarnings)
    );
    // HEAD runs the GET handler.
    assert_eq!(
        check
            .url("HEAD", "https://api.fanvue.com/chats")
            .map_err(|refused| refused.endpoint()),
        Err(Endpoint::ListChats)
    );
    for url in [
        "https://api.fanvue.com.evil.example/chats",
        "https://api.fanvue.com@evil.example/chats",
        "https://evil.example\\@api.fanvue.com/chats",
        "https://api.fanvue.com:8443/chats",
        "http://api.fanvue.com/chats",
        "/chats",
        "api.fanvue.com/chats",
        "not a url",
    ] {
        assert_eq!(check.url("GET", url), Ok(None), "{url:?}");
    }
}

#[test]
fn a_base_url_with_a_path_checks_only_under_it() {
    let prefixed = CallCheck::new(ScopeSet::EMPTY)
        .with_base_url("http://127.0.0.1:4000/fanvue/")
        .expect("a base URL");
    assert!(
        prefixed
            .url("GET", "http://127.0.0.1:4000/fanvue/users/me")
            .is_err()
    );
    assert_eq!(
        prefixed.url("GET", "http://127.0.0.1:4000/fanvue-v2/users/me"),
        Ok(None)
    );
    assert_eq!(
        prefixed.url("GET", "http://127.0.0.1:4000/users/me"),
        Ok(None)
    );
}

#[test]
fn a_base_url_that_cant_be_one_is_an_error_not_an_off_switch() {
    for base in [
        "127.0.0.1:4000",
        "",
        "/fanvue",
        "ftp://127.0.0.1",
        "http://127.0.0.1:4000/?x=1",
        "http://127.0.0.1:4000/#top",
        "http://user:secret@127.0.0.1:4000",
        "http://[::1",
    ] {
        let error = CallCheck::new(ScopeSet::EMPTY)
            .with_base_url(base)
            .expect_err(base);
        assert!(
            error.to_string().contains("can't be checked under"),
            "{error}"
        );
    }
    // What the parser accepts, it reads as reqwest will: a leading space
    // is trimmed, the host lower-cased.
    let check = CallCheck::new(ScopeSet::EMPTY)
        .with_base_url(" HTTP://LocalHost:4000")
        .expect("a base URL the parser accepts");
    assert_eq!(check.base_url(), "http://localhost:4000/");
    assert!(check.url("GET", "http://localhost:4000/chats").is_err());
}

#[cfg(feature = "http")]
#[test]
fn an_http_request_is_read_as_written_and_as_parsed() {
    let check = CallCheck::new(scopes![read:self]);
    let request = |uri: &str| http::Request::get(uri).body(()).expect("a request");
    // As written, no endpoint; as parsed, `/users/me` (read:self): sent.
    let sent = check
        .request(&request("https://api.fanvue.com/chats/../users/me"))
        .map(|_| ());
    assert_eq!(sent, Ok(()));
    // As written, no endpoint; as parsed, `/chats`: refused.
    let refused = check.request(&request("https://api.fanvue.com/users/me/../../chats"));
    assert_eq!(
        refused.map_err(|refused| refused.endpoint()),
        Err(Endpoint::ListChats)
    );
    let relative = check.request(&request("/users/x/../../chats"));
    assert_eq!(
        relative.map_err(|refused| refused.endpoint()),
        Err(Endpoint::ListChats)
    );
    assert_eq!(
        check.request(&request("/users/me")),
        Ok(Some(Endpoint::GetCurrentUser))
    );
}
