//! The HTTP form of the guard's refusals (RFC 6750 §3): status, the
//! `WWW-Authenticate` challenge and a small JSON body, shared by every
//! framework integration.

use crate::{InsufficientScope, ScopeSet, Unauthenticated, Unguarded};
use std::fmt::Write;

/// The `WWW-Authenticate` header's name.
pub const WWW_AUTHENTICATE: &str = "WWW-Authenticate";

impl InsufficientScope {
    /// `403 Forbidden`.
    pub const STATUS: u16 = 403;

    /// The challenge: `Bearer error="insufficient_scope", scope="read:chat write:chat"`,
    /// where `scope` is a smallest set of scopes that would pass
    /// ([`sufficient`](Self::sufficient)).
    ///
    /// ```
    /// use fanvue_scopes::{scopes, Requirement};
    ///
    /// let refused = Requirement::from(scopes![read:chat, write:chat])
    ///     .check(scopes![read:chat])
    ///     .unwrap_err();
    /// assert_eq!(
    ///     refused.www_authenticate(),
    ///     r#"Bearer error="insufficient_scope", scope="read:chat write:chat""#
    /// );
    /// ```
    pub fn www_authenticate(&self) -> String {
        let mut challenge = String::from("Bearer error=\"insufficient_scope\", scope=");
        push_quoted(&mut challenge, &self.sufficient().to_string());
        challenge
    }

    /// [`www_authenticate`](Self::www_authenticate) with a
    /// `resource_metadata` parameter (RFC 9728 §5.1): where a client finds
    /// the app's protected resource metadata, and from it the
    /// authorization server to step up at.
    ///
    /// ```
    /// use fanvue_scopes::{scopes, Requirement};
    ///
    /// let refused = Requirement::from(scopes![read:chat]).check(scopes![]).unwrap_err();
    /// assert_eq!(
    ///     refused.www_authenticate_with_metadata("https://app.example/.well-known/oauth-protected-resource"),
    ///     r#"Bearer error="insufficient_scope", scope="read:chat", resource_metadata="https://app.example/.well-known/oauth-protected-resource""#
    /// );
    /// ```
    pub fn www_authenticate_with_metadata(&self, resource_metadata: &str) -> String {
        let mut challenge = self.www_authenticate();
        challenge.push_str(", resource_metadata=");
        push_quoted(&mut challenge, resource_metadata);
        challenge
    }

    /// `{"error":"insufficient_scope","error_description":"…","scope":"…","missing_scopes":[…]}`.
    pub fn json_body(&self) -> String {
        let mut body = String::from(
            "{\"error\":\"insufficient_scope\",\
             \"error_description\":\"The access token lacks scopes this request requires.\",\
             \"scope\":",
        );
        push_json_string(&mut body, &self.sufficient().to_string());
        body.push_str(",\"missing_scopes\":[");
        push_json_list(&mut body, self.missing());
        body.push_str("]}");
        body
    }
}

impl Unauthenticated {
    /// `401 Unauthorized`.
    pub const STATUS: u16 = 401;

    /// The bare challenge `Bearer`: RFC 6750 §3.1 gives no error code to a
    /// request that carried no credentials.
    pub const WWW_AUTHENTICATE: &'static str = "Bearer";

    /// `{"error_description":"…"}`, as for [`BearerError::Missing`](crate::bearer::BearerError::Missing).
    pub const JSON_BODY: &'static str =
        "{\"error_description\":\"This request needs a valid bearer access token.\"}";
}

impl Unguarded {
    /// `500 Internal Server Error`: the app, not the caller, is at fault.
    pub const STATUS: u16 = 500;

    /// `{"error":"server_error","error_description":"…"}`, the description
    /// saying which route and what to change.
    pub fn json_body(&self) -> String {
        let mut body = String::from("{\"error\":\"server_error\",\"error_description\":");
        push_json_string(&mut body, &self.to_string());
        body.push('}');
        body
    }
}

/// Appends `value` as an RFC 9110 quoted-string. Scope-tokens never contain
/// `"` or `\`, so for scopes this only adds the quotes; the escaping keeps
/// the header well-formed whatever it is given.
pub(crate) fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

pub(crate) fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_json_list(out: &mut String, scopes: ScopeSet) {
    for (index, scope) in scopes.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_json_string(out, scope.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        let mut out = String::new();
        push_quoted(&mut out, r#"a"b\c"#);
        assert_eq!(out, r#""a\"b\\c""#);
    }

    #[test]
    fn json_strings_escape_controls() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"\\\n");
        assert_eq!(out, r#""a\"\\\u000a""#);
    }
}
