//! What the stand-in says about itself and who signed in, as Hydra does:
//! the discovery documents (OpenID Connect Discovery 1.0 and RFC 8414),
//! the signing key set, and ID tokens (OpenID Connect Core 1.0 §2), signed
//! RS256 with `jsonwebtoken`.

use super::auth::{GRANT_TYPES, TOKEN_LIFETIME};
use crate::Scope;
use crate::oauth::ProtocolScope;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The stand-in's signing key. It is fixed and public, here in the
/// source: an ID token it signs proves nothing outside a test, which is
/// the point. Its public half is [`JWK`].
const KEY_PEM: &str = include_str!("id-token-key.pem");
/// The public half of [`KEY_PEM`], as a JWK (RFC 7517); a unit test signs
/// with one and verifies with the other.
const JWK: &str = include_str!("id-token-key.jwk.json");

/// The one user the stand-in has: the `sub` of every ID token.
pub(super) const SUBJECT: &str = "5d1e7e0c-57a1-4b8e-9d0a-stand-in-user";

/// The key's id, from the JWK.
fn key_id() -> &'static str {
    static KID: OnceLock<String> = OnceLock::new();
    KID.get_or_init(|| {
        serde_json::from_str::<serde_json::Value>(JWK)
            .ok()
            .and_then(|jwk| jwk["kid"].as_str().map(str::to_owned))
            .unwrap_or_default()
    })
}

/// `GET /.well-known/jwks.json`.
pub(super) fn key_set() -> String {
    format!("{{\"keys\":[{}]}}", JWK.trim())
}

/// The discovery document, one for both paths: the OpenID Provider
/// metadata is a superset of RFC 8414's. Every field is what the stand-in
/// does.
pub(super) fn discovery(issuer: &str) -> String {
    let scopes: Vec<&str> = ProtocolScope::ALL
        .iter()
        .map(|scope| scope.as_str())
        .chain(Scope::ALL.iter().map(|scope| scope.as_str()))
        .collect();
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/auth"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "jti"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    })
    .to_string()
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: [&'a str; 1],
    exp: u64,
    iat: u64,
    auth_time: u64,
    jti: String,
    at_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

/// An ID token for `client_id`, issued with `access_token` now (by the
/// stand-in's clock, which tests can move past the wall clock's), echoing
/// `nonce`. `None` only if the fixed key fails to load, which a unit test
/// rules out.
pub(super) fn id_token(
    issuer: &str,
    client_id: &str,
    access_token: &str,
    nonce: Option<&str>,
    skipped: Duration,
    jti: String,
) -> Option<String> {
    static KEY: OnceLock<Option<EncodingKey>> = OnceLock::new();
    let key = KEY
        .get_or_init(|| EncodingKey::from_rsa_pem(KEY_PEM.as_bytes()).ok())
        .as_ref()?;
    let now = (SystemTime::now().duration_since(UNIX_EPOCH).ok()? + skipped).as_secs();
    // The left half of the access token's SHA-256, as RS256 asks (OIDC
    // Core §3.1.3.6).
    let digest = Sha256::digest(access_token.as_bytes());
    let claims = Claims {
        iss: issuer,
        sub: SUBJECT,
        aud: [client_id],
        exp: now + TOKEN_LIFETIME.as_secs(),
        iat: now,
        auth_time: now,
        jti,
        at_hash: URL_SAFE_NO_PAD.encode(&digest[..16]),
        nonce,
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key_id().to_owned());
    jsonwebtoken::encode(&header, &claims, key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode};

    #[test]
    fn an_id_token_verifies_with_the_published_key() {
        let token = id_token(
            "http://127.0.0.1:1",
            "my-app",
            "at-1",
            Some("n-0S6_WzA2Mj"),
            Duration::ZERO,
            "jti-1".to_owned(),
        )
        .expect("the fixed key loads and signs");
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(JWK).expect("a JWK");
        let key = DecodingKey::from_jwk(&jwk).expect("an RSA public key");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["my-app"]);
        validation.set_issuer(&["http://127.0.0.1:1"]);
        let data = decode::<serde_json::Value>(&token, &key, &validation).expect("a valid token");
        assert_eq!(data.claims["sub"], SUBJECT);
        assert_eq!(data.claims["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(data.header.kid.as_deref(), Some(key_id()));
        assert!(!key_id().is_empty());
    }
}
