//! Bearer credentials in the `Authorization` header (RFC 6750 §2.1, RFC 9110
//! §11), and the refusals when they are missing, malformed or rejected.
//!
//! Every app behind Fanvue tokens reads the same header the same way, so the
//! crate does it: [`bearer_token`] finds the token, and [`BearerError`] is
//! the RFC 6750 §3.1 answer for each way that can fail. Validating the token
//! itself (signature, expiry, its scopes) stays the app's job; a token the
//! app rejects is [`BearerError::InvalidToken`].
//!
//! ```
//! use fanvue_scopes::bearer::{bearer_token, BearerError};
//!
//! assert_eq!(bearer_token([&b"Bearer abc.DEF-123"[..]]), Ok("abc.DEF-123"));
//! assert_eq!(bearer_token([&b"bearer   abc"[..]]), Ok("abc"));
//! assert_eq!(bearer_token(Vec::<&[u8]>::new()), Err(BearerError::Missing));
//! assert_eq!(bearer_token([&b"Basic dXNlcjpwYXNz"[..]]), Err(BearerError::Missing));
//! assert!(matches!(bearer_token([&b"Bearer a b"[..]]), Err(BearerError::Malformed(_))));
//! assert!(matches!(
//!     bearer_token([&b"Bearer a"[..], &b"Bearer b"[..]]),
//!     Err(BearerError::Malformed(_))
//! ));
//! ```
//!
//! The headers `headers`/axum-extra's `Authorization<Bearer>` and
//! actix-web-httpauth's `BearerAuth` were not used: neither checks the
//! token68 syntax nor allows more than one space after the scheme, each ties
//! the parse to one framework, and a duplicated header needs the raw values.

use crate::Unauthenticated;
use std::error::Error;
use std::fmt;

/// Why a request's bearer credentials were not accepted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum BearerError {
    /// No `Authorization` header, or one with another scheme: `401` with a
    /// bare `Bearer` challenge (RFC 6750 §3.1: no error code for a request
    /// without authentication).
    Missing,
    /// The credentials are malformed: an empty token, characters outside
    /// token68, or two `Authorization` headers. `400` with
    /// `error="invalid_request"`.
    Malformed(&'static str),
    /// The app's validator rejected the token: expired, revoked, not
    /// Fanvue's. `401` with `error="invalid_token"`.
    InvalidToken,
}

impl BearerError {
    /// The HTTP status: 401, or 400 for [`Malformed`](Self::Malformed).
    pub const fn status(&self) -> u16 {
        match self {
            BearerError::Malformed(_) => 400,
            BearerError::Missing | BearerError::InvalidToken => 401,
        }
    }

    /// The `WWW-Authenticate` challenge.
    pub const fn www_authenticate(&self) -> &'static str {
        match self {
            BearerError::Missing => Unauthenticated::WWW_AUTHENTICATE,
            BearerError::Malformed(_) => "Bearer error=\"invalid_request\"",
            BearerError::InvalidToken => "Bearer error=\"invalid_token\"",
        }
    }

    /// A small JSON body with the error code and what went wrong.
    pub fn json_body(&self) -> String {
        let (error, description) = match self {
            // The same refusal as a request with no granted scopes at all.
            BearerError::Missing => return Unauthenticated::JSON_BODY.to_owned(),
            BearerError::Malformed(reason) => ("invalid_request", *reason),
            BearerError::InvalidToken => (
                "invalid_token",
                "The access token is expired, revoked or not recognized.",
            ),
        };
        format!("{{\"error\":\"{error}\",\"error_description\":\"{description}\"}}")
    }
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BearerError::Missing => f.write_str("no bearer credentials on the request"),
            BearerError::Malformed(reason) => write!(f, "malformed bearer credentials: {reason}"),
            BearerError::InvalidToken => f.write_str("the bearer token was rejected"),
        }
    }
}

impl Error for BearerError {}

/// The bearer token of a request, from the raw values of its
/// `Authorization` headers: `credentials = auth-scheme 1*SP token68`, the
/// scheme compared case-insensitively.
///
/// Another scheme is [`BearerError::Missing`], since this request carries
/// no bearer credentials; two headers, an empty token, or one that is not
/// token68 are [`BearerError::Malformed`]. Never panics, and reads each
/// byte once.
pub fn bearer_token<'a>(
    authorization: impl IntoIterator<Item = &'a [u8]>,
) -> Result<&'a str, BearerError> {
    let mut values = authorization.into_iter();
    let value = values.next().ok_or(BearerError::Missing)?;
    if values.next().is_some() {
        return Err(BearerError::Malformed(
            "the request has more than one Authorization header",
        ));
    }
    let (scheme, rest) = match value.iter().position(|&byte| byte == b' ') {
        Some(space) => (&value[..space], &value[space..]),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"Bearer") {
        return Err(BearerError::Missing);
    }
    let token = rest.trim_ascii_start();
    if token.is_empty() {
        return Err(BearerError::Malformed("the bearer token is empty"));
    }
    if !is_token68(token) {
        return Err(BearerError::Malformed(
            "the bearer token has characters outside token68 (RFC 9110 §11.2)",
        ));
    }
    // token68 is ASCII, so this always succeeds.
    std::str::from_utf8(token).map_err(|_| BearerError::Malformed("the bearer token is not ASCII"))
}

/// `token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_token68(token: &[u8]) -> bool {
    let padding = token.iter().rev().take_while(|&&byte| byte == b'=').count();
    let body = &token[..token.len() - padding];
    !body.is_empty()
        && body
            .iter()
            .all(|&byte| byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> Result<&str, BearerError> {
        bearer_token([value.as_bytes()])
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_spaces_may_repeat() {
        assert_eq!(one("Bearer abc"), Ok("abc"));
        assert_eq!(one("BEARER abc"), Ok("abc"));
        assert_eq!(one("bearer    abc"), Ok("abc"));
        assert_eq!(one("Bearer a-b.c_d~e+f/g=="), Ok("a-b.c_d~e+f/g=="));
    }

    #[test]
    fn malformed_credentials_are_told_apart_from_missing_ones() {
        assert_eq!(one("Basic abc"), Err(BearerError::Missing));
        assert_eq!(one("Bearerabc"), Err(BearerError::Missing));
        for malformed in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer =",
            "Bearer a=b",
            "Bearer é",
        ] {
            assert!(
                matches!(one(malformed), Err(BearerError::Malformed(_))),
                "{malformed:?}"
            );
        }
        assert!(matches!(
            bearer_token([&b"Bearer a"[..], &b"Bearer a"[..]]),
            Err(BearerError::Malformed(_))
        ));
        assert!(matches!(
            bearer_token([&b"Bearer \xff"[..]]),
            Err(BearerError::Malformed(_))
        ));
    }

    #[test]
    fn each_error_has_its_rfc_6750_status_and_challenge() {
        assert_eq!(BearerError::Missing.status(), 401);
        assert_eq!(BearerError::Missing.www_authenticate(), "Bearer");
        assert_eq!(BearerError::Malformed("x").status(), 400);
        assert_eq!(
            BearerError::Malformed("x").www_authenticate(),
            "Bearer error=\"invalid_request\""
        );
        assert_eq!(BearerError::InvalidToken.status(), 401);
        assert_eq!(
            BearerError::InvalidToken.json_body(),
            "{\"error\":\"invalid_token\",\"error_description\":\"The access token is expired, revoked or not recognized.\"}"
        );
    }
}
