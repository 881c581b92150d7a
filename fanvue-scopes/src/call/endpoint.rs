//! `Endpoint`, generated from the `[[endpoint]]` entries of `scopes.toml`,
//! and finding the endpoint a request is for.

use crate::{CallRefused, Requirement, ScopeSet};
// `ROUTE_NODES` and `MAX_SEGMENTS` are generated below: see `__private`.
use std::fmt;

fanvue_scopes_macros::__generate_endpoints! {
    /// One operation of the Fanvue API, and the scopes a token needs to call
    /// it: `GET /chats` needs `read:chat`.
    ///
    /// There is one variant per operation in `scopes.toml`, named after
    /// Fanvue's `operationId`. Name one checked at compile time with
    /// [`endpoint!`](crate::endpoint!), find the one a request is for with
    /// [`find`](Endpoint::find), and check a token's scopes before calling
    /// it with [`check`](Endpoint::check).
    ///
    /// ```
    /// use fanvue_scopes::{endpoint, scopes, Endpoint};
    ///
    /// const MESSAGES: Endpoint = endpoint!(GET "/chats/{userUuid}/messages");
    /// assert_eq!(MESSAGES, Endpoint::ListMessages);
    /// assert_eq!(MESSAGES.to_string(), "GET /chats/{userUuid}/messages");
    /// assert_eq!(MESSAGES.scopes(), scopes![read:chat]);
    ///
    /// let found = Endpoint::find("GET", "/chats/0b7c1a9e/messages?size=20");
    /// assert_eq!(found, Some(Endpoint::ListMessages));
    /// ```
    ///
    /// The enum is `#[non_exhaustive]`: Fanvue adds endpoints, and a new one
    /// is a new variant, not a breaking change.
    pub enum Endpoint;
}

impl Endpoint {
    /// The endpoint a request with this method and concrete path is for,
    /// such as `ListMessages` for `GET /chats/0b7c1a9e/messages?size=20`.
    ///
    /// The path is matched as the API's router (axum's, matchit's) would:
    /// the query string and fragment are ignored, a static segment wins
    /// over a parameter (`/chats/unread` is not `/chats/{userUuid}`), and
    /// the method is compared exactly (`"GET"`), `HEAD` finding the `GET`
    /// endpoint as routers run `GET` for it. An empty parameter between two
    /// slashes (`/chats//messages`, as `format!("/chats/{id}/messages")`
    /// makes of an empty id) matches, because routers route it: a check
    /// that passed it unchecked would let the call out. A path with no
    /// template, or whose template lacks the method, is `None`.
    ///
    /// It never allocates, never panics, and takes time linear in the
    /// length of `path`, whatever it holds.
    pub fn find(method: &str, path: &str) -> Option<Endpoint> {
        let mut segments = [""; MAX_SEGMENTS];
        let count = split_path(path, &mut segments)?;
        let node = walk(0, segments.get(..count)?)?;
        let endpoints = ROUTE_NODES.get(node)?.endpoints;
        let with = |method| {
            endpoints
                .iter()
                .copied()
                .find(|endpoint| endpoint.method() == method)
        };
        // `HEAD` is `GET` without the body: routers run the `GET` handler
        // for it, so it needs what the `GET` needs.
        with(method).or_else(|| if method == "HEAD" { with("GET") } else { None })
    }

    /// The concrete path of a call, with `params` in the template's
    /// parameters, in order: `ListMessages.path_with(&["0b7c1a9e"])` is
    /// `/chats/0b7c1a9e/messages`.
    ///
    /// Each parameter is a raw value: everything but unreserved characters
    /// (`A-Z a-z 0-9 - . _ ~`) is percent-encoded, so `a/b`, `x?y` or
    /// `50%` stay one segment. `None` unless there is one parameter for
    /// each of the template's, none is empty, `.` or `..` (which URL
    /// parsers resolve into another path, in any percent-encoded form too),
    /// and [`find`](Endpoint::find) maps the path back to this endpoint
    /// (not so for a parameter equal to a static segment that wins over it:
    /// `UpdateChat.path_with(&["unread"])`).
    ///
    /// ```
    /// use fanvue_scopes::Endpoint;
    ///
    /// let path = Endpoint::ListMessages.path_with(&["0b7c1a9e"]);
    /// assert_eq!(path.as_deref(), Some("/chats/0b7c1a9e/messages"));
    /// let path = Endpoint::ListMessages.path_with(&["a/b c"]);
    /// assert_eq!(path.as_deref(), Some("/chats/a%2Fb%20c/messages"));
    /// assert_eq!(Endpoint::ListMessages.path_with(&[".."]), None);
    /// assert_eq!(Endpoint::ListMessages.path_with(&[""]), None);
    /// assert_eq!(Endpoint::ListMessages.path_with(&[]), None);
    /// ```
    pub fn path_with(self, params: &[&str]) -> Option<String> {
        let mut params = params.iter();
        let mut path = String::with_capacity(self.path().len());
        for segment in self.segments() {
            path.push('/');
            match segment {
                Some(text) => path.push_str(text),
                None => {
                    let param = params.next()?;
                    if is_dot_segment(param) {
                        return None;
                    }
                    push_encoded(&mut path, param);
                }
            }
        }
        let exact = params.next().is_none() && Endpoint::find(self.method(), &path) == Some(self);
        exact.then_some(path)
    }

    /// Whether a token with `granted` may call this endpoint.
    pub const fn is_callable_with(self, granted: ScopeSet) -> bool {
        granted.contains_all(self.scopes())
    }

    /// `Ok` if a token with `granted` may call this endpoint; else the error
    /// that names the endpoint and the scopes it lacks.
    pub fn check(self, granted: ScopeSet) -> Result<(), CallRefused> {
        if self.is_callable_with(granted) {
            Ok(())
        } else {
            Err(CallRefused::new(self, granted))
        }
    }

    /// The endpoint's scopes as a [`Requirement`] (all of them), as a
    /// handler that calls it would require.
    pub const fn requirement(self) -> Requirement {
        Requirement::new(self.scopes(), &[])
    }
}

/// Empty, or a segment a URL parser resolves away: `.`, `..`, and their
/// percent-encoded forms (`%2e`, `.%2E`, ..), in any case.
fn is_dot_segment(param: &str) -> bool {
    let mut dots = 0;
    let mut rest = param.as_bytes();
    while !rest.is_empty() {
        rest = match rest {
            [b'.', tail @ ..] => tail,
            [b'%', b'2', b'e' | b'E', tail @ ..] => tail,
            _ => return false,
        };
        dots += 1;
    }
    dots <= 2
}

/// Appends `value` with everything but unreserved characters (RFC 3986
/// §2.3) percent-encoded, so it stays one path segment whatever it holds.
fn push_encoded(path: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(byte));
        } else {
            path.push('%');
            path.push(char::from(HEX[usize::from(byte >> 4)]));
            path.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// Splits `/chats/42/messages?size=20` into its segments, stopping at a
/// query or fragment: the number of segments, or `None` without a leading
/// `/` or with more segments than any template. Each byte is read once.
fn split_path<'p>(path: &'p str, segments: &mut [&'p str; MAX_SEGMENTS]) -> Option<usize> {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') {
        return None;
    }
    let mut count = 0;
    let mut start = 1;
    loop {
        let end = start + next_separator(bytes.get(start..)?);
        // The separators are ASCII, so `end` is a char boundary.
        *segments.get_mut(count)? = path.get(start..end)?;
        count += 1;
        if bytes.get(end) != Some(&b'/') {
            return Some(count);
        }
        start = end + 1;
    }
}

/// The index of the first `/`, `?` or `#` in `bytes`, or its length: eight
/// bytes at a time, as `memchr` does, since a path is mostly long segments.
fn next_separator(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // The high bit of each byte of `word` equal to `byte`; a bit above the
    // first match may be set wrongly, so only the first one is read.
    let matches = |word: u64, byte: u8| {
        let diff = word ^ (ONES * u64::from(byte));
        diff.wrapping_sub(ONES) & !diff & HIGHS
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let found = matches(word, b'/') | matches(word, b'?') | matches(word, b'#');
        if found != 0 {
            return offset + (found.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    offset
        + tail
            .iter()
            .position(|byte| matches!(byte, b'/' | b'?' | b'#'))
            .unwrap_or(tail.len())
}

/// The node of the highest-priority template that `segments` is an
/// instance of: at each segment the static child is tried first, and the
/// parameter child if the static one leads nowhere.
fn walk(node: usize, segments: &[&str]) -> Option<usize> {
    let route = ROUTE_NODES.get(node)?;
    let Some((segment, rest)) = segments.split_first() else {
        return (!route.endpoints.is_empty()).then_some(node);
    };
    // An empty segment is no static one, and a parameter only between two
    // slashes: routers route `/chats//messages`, not `/chats/`.
    if segment.is_empty() && rest.is_empty() {
        return None;
    }
    // Length and first byte first: most siblings differ there, and the
    // full comparison is a call.
    let first = segment.as_bytes().first();
    if let Some(&(_, child)) = route.statics.iter().find(|(text, _)| {
        text.len() == segment.len() && text.as_bytes().first() == first && text == segment
    }) {
        if let Some(found) = walk(child, rest) {
            return Some(found);
        }
    }
    walk(route.param?, rest)
}

impl fmt::Display for Endpoint {
    /// `GET /chats/{userUuid}/messages`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method(), self.path())
    }
}

impl ScopeSet {
    /// The endpoints a token with these scopes may call, in catalog order.
    ///
    /// ```
    /// use fanvue_scopes::{scopes, Endpoint};
    ///
    /// let callable: Vec<Endpoint> = scopes![read:self].callable_endpoints().collect();
    /// assert!(callable.contains(&Endpoint::GetCurrentUser));
    /// assert!(!callable.contains(&Endpoint::ListChats));
    /// ```
    pub fn callable_endpoints(self) -> impl Iterator<Item = Endpoint> + Clone {
        Endpoint::ALL
            .into_iter()
            .filter(move |endpoint| endpoint.is_callable_with(self))
    }
}
