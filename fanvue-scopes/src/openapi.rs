//! utoipa: Fanvue's OAuth 2.0 security scheme in an OpenAPI document, and
//! each `#[requires]` handler's scopes as its operation's security
//! requirement, without writing the scopes twice.
//!
//! ```
//! use fanvue_scopes::openapi::FanvueSecurity;
//! use fanvue_scopes::{requires, Granted, InsufficientScope};
//! use utoipa::OpenApi;
//!
//! #[utoipa::path(get, path = "/chats")]
//! #[requires(read:chat)]
//! async fn list_chat_threads(granted: Granted) -> Result<String, InsufficientScope> {
//!     Ok("chats".to_owned())
//! }
//!
//! #[derive(OpenApi)]
//! #[openapi(paths(list_chat_threads), modifiers(&FanvueSecurity))]
//! struct ApiDoc;
//!
//! let json = ApiDoc::openapi().to_json()?;
//! assert!(json.contains(r#""security":[{"fanvue":["read:chat"]}]"#));
//! # Ok::<(), serde_json::Error>(())
//! ```

use crate::oauth::{self, ProtocolScope};
use crate::{Handler, Requirement, Scope, ScopeSet};
use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::PathItem;
use utoipa::openapi::security::{
    AuthorizationCode, Flow, OAuth2, Scopes, SecurityRequirement, SecurityScheme,
};

/// The name the security scheme is registered under in `components`.
pub const SECURITY_SCHEME: &str = "fanvue";

/// Adds Fanvue's security scheme to the document, and to every operation
/// whose `operationId` is the name of exactly one `#[requires]` fn (utoipa's
/// default id is the fn name), that fn's scopes as its security requirement.
#[derive(Clone, Copy, Debug, Default)]
pub struct FanvueSecurity;

impl Modify for FanvueSecurity {
    fn modify(&self, openapi: &mut OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(SECURITY_SCHEME, security_scheme());
        let handlers: Vec<&Handler> = crate::handlers().collect();
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let Some(id) = operation.operation_id.as_deref() else {
                    continue;
                };
                // Two guarded fns of one name: which one this is can't be told.
                if let [handler] = handlers
                    .iter()
                    .filter(|h| h.name() == id)
                    .collect::<Vec<_>>()[..]
                {
                    operation.security = Some(security_requirements(handler.requirement()));
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
        &mut item.query,
    ]
    .into_iter()
    .flatten()
    .chain(item.additional_operations.values_mut())
}

/// The OAuth 2.0 authorization-code scheme with Fanvue's endpoints and
/// every scope of `scopes.toml`, protocol scopes first, with descriptions.
pub fn security_scheme() -> SecurityScheme {
    let scopes = ProtocolScope::ALL
        .iter()
        .map(|scope| (scope.as_str(), scope.description()))
        .chain(
            Scope::ALL
                .iter()
                .map(|scope| (scope.as_str(), scope.description())),
        );
    SecurityScheme::OAuth2(OAuth2::with_description(
        [Flow::AuthorizationCode(AuthorizationCode::new(
            oauth::AUTHORIZE_URL,
            oauth::TOKEN_URL,
            Scopes::from_iter(scopes),
        ))],
        "Fanvue OAuth 2.0: authorization code grant with PKCE (S256).",
    ))
}

/// A requirement as OpenAPI security requirements: one alternative per way
/// to meet its `any(..)` groups, each listing every scope that way needs.
pub fn security_requirements(requirement: &Requirement) -> Vec<SecurityRequirement> {
    let mut alternatives = vec![requirement.all()];
    for group in requirement.any() {
        alternatives = alternatives
            .iter()
            .flat_map(|chosen| group.iter().map(move |scope| chosen.with(scope)))
            .collect();
        alternatives.sort_by_key(|set| set.bits());
        alternatives.dedup();
    }
    alternatives
        .into_iter()
        .map(|scopes: ScopeSet| {
            SecurityRequirement::new(SECURITY_SCHEME, scopes.iter().map(Scope::as_str))
        })
        .collect()
}
