//! The client side: asking Fanvue for exactly the scopes the handlers need,
//! reading what a token response granted, and the OpenAPI security scheme.

use fanvue_scopes::oauth::{self, ProtocolScope};
use fanvue_scopes::openapi::FanvueSecurity;
use fanvue_scopes::{
    Granted, InsufficientScope, Scope, ScopeSet, least_privilege, requires, scopes,
};
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::url::Url;
use oauth2::{
    AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, TokenResponse, TokenUrl,
};
use serde_json::Value;
use utoipa::OpenApi;

#[utoipa::path(get, path = "/me")]
// Documented and registered; this test never calls it.
#[allow(dead_code)]
#[requires(read:self)]
async fn me(granted: Granted) -> Result<String, InsufficientScope> {
    Ok("me".to_owned())
}

#[utoipa::path(post, path = "/chats/{id}/messages")]
// Documented and registered; this test never calls it.
#[allow(dead_code)]
#[requires(read:chat, write:chat)]
async fn send_message(granted: Granted) -> Result<String, InsufficientScope> {
    Ok("sent".to_owned())
}

#[utoipa::path(get, path = "/audience")]
// Documented and registered; this test never calls it.
#[allow(dead_code)]
#[requires(any(read:fan, read:creator))]
async fn audience(granted: Granted) -> Result<String, InsufficientScope> {
    Ok("audience".to_owned())
}

#[utoipa::path(get, path = "/creators/{id}/inbox")]
// Documented and registered; this test never calls it.
#[allow(dead_code)]
#[requires(calls(GET "/creators/{creatorUserUuid}/chats"))]
async fn creator_inbox(granted: Granted) -> Result<String, InsufficientScope> {
    Ok("inbox".to_owned())
}

/// The handlers of this file, from the registry.
fn this_apps_scopes() -> ScopeSet {
    least_privilege(
        fanvue_scopes::handlers()
            .filter(|handler| handler.module_path() == module_path!())
            .map(|handler| handler.requirement()),
    )
}

#[test]
fn the_authorize_scope_is_defaults_then_least_privilege_in_file_order() {
    assert_eq!(
        oauth::authorize_scope(this_apps_scopes()),
        "openid offline_access offline read:self read:chat write:chat read:creator"
    );
    assert_eq!(
        oauth::authorize_scope(ScopeSet::EMPTY),
        "openid offline_access offline"
    );
    assert_eq!(
        oauth::authorize_scope(scopes![write:agency, read:self] | scopes![write:agency]),
        "openid offline_access offline read:self write:agency"
    );
}

#[test]
fn an_oauth2_authorize_url_asks_for_exactly_that() {
    let client = BasicClient::new(ClientId::new("my-app".to_owned()))
        .set_auth_uri(AuthUrl::new(oauth::AUTHORIZE_URL.to_owned()).expect("auth url"))
        .set_token_uri(TokenUrl::new(oauth::TOKEN_URL.to_owned()).expect("token url"))
        .set_redirect_uri(
            RedirectUrl::new("http://127.0.0.1:8080/callback".to_owned()).expect("redirect"),
        );
    let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(oauth::authorize_scope_list(this_apps_scopes()))
        .set_pkce_challenge(challenge)
        .url();

    let url = Url::parse(url.as_str()).expect("a URL");
    assert_eq!(
        (url.scheme(), url.host_str(), url.path()),
        ("https", Some("auth.fanvue.com"), "/oauth2/auth")
    );
    let query = |key: &str| {
        url.query_pairs()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.into_owned())
    };
    assert_eq!(query("response_type").as_deref(), Some("code"));
    assert_eq!(query("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(query("client_id").as_deref(), Some("my-app"));
    assert_eq!(query("state").as_deref(), Some(csrf.secret().as_str()));
    assert!(query("code_challenge").is_some_and(|c| c.len() == 43));
    assert_eq!(
        query("scope").as_deref(),
        Some("openid offline_access offline read:self read:chat write:chat read:creator")
    );
}

#[test]
fn a_token_responses_scopes_are_read_leniently() {
    let response: BasicTokenResponse = serde_json::from_str(
        r#"{"access_token":"at","token_type":"bearer","expires_in":3600,"refresh_token":"rt",
            "scope":"openid offline_access offline read:self read:chat read:future"}"#,
    )
    .expect("a token response");
    let granted = oauth::token_response_scopes(response.scopes().into_iter().flatten());
    assert_eq!(granted, scopes![read:self, read:chat]);

    let token = ScopeSet::parse_lenient("openid offline_access offline read:self");
    assert!(!token.has_unknown(), "protocol scopes are not unknown");
    assert_eq!(token.known(), scopes![read:self]);
    assert_eq!(token.protocol().collect::<Vec<_>>(), ProtocolScope::ALL);
    let converted: Vec<oauth2::Scope> = scopes![read:chat, read:self].into();
    assert_eq!(
        converted,
        [
            oauth2::Scope::new("read:self".into()),
            oauth2::Scope::new("read:chat".into())
        ]
    );
    assert_eq!(Scope::try_from(&converted[1]), Ok(Scope::ReadChat));
}

#[derive(OpenApi)]
#[openapi(paths(me, send_message, audience, creator_inbox), modifiers(&FanvueSecurity))]
struct ApiDoc;

#[test]
fn the_openapi_document_carries_the_scheme_and_each_handlers_scopes() {
    let json: Value =
        serde_json::from_str(&ApiDoc::openapi().to_json().expect("json")).expect("parse");
    let scheme = &json["components"]["securitySchemes"]["fanvue"];
    assert_eq!(scheme["type"], "oauth2");
    let flow = &scheme["flows"]["authorizationCode"];
    assert_eq!(flow["authorizationUrl"], oauth::AUTHORIZE_URL);
    assert_eq!(flow["tokenUrl"], oauth::TOKEN_URL);
    let listed = flow["scopes"].as_object().expect("scopes");
    assert_eq!(listed.len(), Scope::COUNT + ProtocolScope::ALL.len());
    for scope in Scope::ALL {
        assert_eq!(listed[scope.as_str()], scope.description(), "{scope}");
    }
    for scope in ProtocolScope::ALL {
        assert_eq!(listed[scope.as_str()], scope.description(), "{scope}");
    }

    let security = |path: &str, method: &str| json["paths"][path][method]["security"].clone();
    assert_eq!(
        security("/me", "get"),
        serde_json::json!([{ "fanvue": ["read:self"] }])
    );
    assert_eq!(
        security("/chats/{id}/messages", "post"),
        serde_json::json!([{ "fanvue": ["read:chat", "write:chat"] }])
    );
    assert_eq!(
        security("/audience", "get"),
        serde_json::json!([{ "fanvue": ["read:fan"] }, { "fanvue": ["read:creator"] }]),
        "any(..) is a choice between requirements"
    );
    assert_eq!(
        security("/creators/{id}/inbox", "get"),
        serde_json::json!([{ "fanvue": ["read:chat", "read:creator"] }]),
        "calls(..) is the endpoints' scopes"
    );
}
