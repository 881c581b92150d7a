//! A request's parameters as an OAuth 2.0 server reads them: form-encoded
//! (RFC 6749 appendix B), each at most once (§3.1, §3.2), a parameter sent
//! without a value as if omitted (§3.1), values kept as bytes so that
//! `state` goes back byte for byte.

use percent_encoding::percent_decode;

/// Why a request's parameters can't be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Malformed {
    /// The parameter appears more than once.
    Repeated(String),
    /// The parameter's value (or a name) is not UTF-8, where only `state`
    /// may be any bytes.
    NotUtf8(String),
}

impl Malformed {
    /// RFC 6749's `error_description`.
    pub(super) fn describe(&self) -> String {
        match self {
            Malformed::Repeated(name) => {
                format!("the parameter `{name}` is given more than once")
            }
            Malformed::NotUtf8(name) => format!("the parameter `{name}` is not UTF-8"),
        }
    }
}

/// The parameters of one request.
#[derive(Debug, Default)]
pub(super) struct Params(Vec<(String, Vec<u8>)>);

impl Params {
    /// Reads `application/x-www-form-urlencoded` text: `+` is a space,
    /// `%XX` a byte.
    pub(super) fn parse(text: &[u8]) -> Result<Params, Malformed> {
        let mut params: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, value) in pairs(text) {
            let name = String::from_utf8(name).map_err(|error| {
                Malformed::NotUtf8(String::from_utf8_lossy(error.as_bytes()).into_owned())
            })?;
            if params.iter().any(|(known, _)| *known == name) {
                return Err(Malformed::Repeated(name));
            }
            if name != "state" && std::str::from_utf8(&value).is_err() {
                return Err(Malformed::NotUtf8(name));
            }
            params.push((name, value));
        }
        Ok(Params(params))
    }

    /// Of a malformed request, the parameters that appear exactly once,
    /// with values that are UTF-8 (`state` any bytes): enough to know
    /// where an error may be sent.
    pub(super) fn parse_unique(text: &[u8]) -> Params {
        let all: Vec<(Vec<u8>, Vec<u8>)> = pairs(text).collect();
        let unique = all
            .iter()
            .filter(|(name, _)| all.iter().filter(|(other, _)| other == name).count() == 1)
            .filter_map(|(name, value)| {
                let name = String::from_utf8(name.clone()).ok()?;
                (name == "state" || std::str::from_utf8(value).is_ok())
                    .then(|| (name, value.clone()))
            })
            .collect();
        Params(unique)
    }

    /// The value of `name`; `None` when absent or empty.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.bytes(name)
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The bytes of `name`'s value; `None` when absent or empty.
    pub(super) fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_slice())
            .filter(|value| !value.is_empty())
    }
}

/// Each `name=value` pair, decoded.
fn pairs(text: &[u8]) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    text.split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&byte| byte == b'=') {
            Some(at) => (decode(&pair[..at]), decode(&pair[at + 1..])),
            None => (decode(pair), Vec::new()),
        })
}

fn decode(text: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = text
        .iter()
        .map(|&byte| if byte == b'+' { b' ' } else { byte })
        .collect();
    percent_decode(&spaced).collect()
}

#[cfg(test)]
mod tests {
    use super::{Malformed, Params};

    #[test]
    fn each_parameter_is_read_once_and_state_keeps_its_bytes() {
        let params = Params::parse(b"a=1&b=x+y%2Bz&state=%FF%00&empty=&flag").expect("well formed");
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), Some("x y+z"));
        assert_eq!(params.bytes("state"), Some(&[0xFF, 0x00][..]));
        assert_eq!(params.get("empty"), None);
        assert_eq!(params.get("flag"), None);
        assert_eq!(params.get("missing"), None);
        assert_eq!(
            Params::parse(b"code_verifier=WRONG&code_verifier=RIGHT").map(|_| ()),
            Err(Malformed::Repeated("code_verifier".to_owned()))
        );
        // The same name spelled two ways is still the same name.
        assert_eq!(
            Params::parse(b"scope=a&sc%6Fpe=b").map(|_| ()),
            Err(Malformed::Repeated("scope".to_owned()))
        );
        assert_eq!(
            Params::parse(b"code=%FF").map(|_| ()),
            Err(Malformed::NotUtf8("code".to_owned()))
        );
    }
}
