//! Endpoint path templates (`/chats/{userUuid}/messages`): their syntax,
//! and which template a concrete path (`/chats/42/messages`) is an instance
//! of, with static segments winning over parameters, as at run time.

/// A checked template: it starts with `/`, and each segment between the
/// slashes is either static text or one whole `{parameter}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Static(String),
    Param(String),
}

impl Template {
    /// Parses a template, or says what is wrong with it.
    pub fn parse(path: &str) -> Result<Template, String> {
        let Some(rest) = path.strip_prefix('/') else {
            return Err(format!("path {path:?} must start with `/`"));
        };
        if let Some(bad) = path.chars().find(|&c| c == '?' || c == '#') {
            return Err(format!(
                "path {path:?} has a {}: a template is the path alone",
                if bad == '?' { "query" } else { "fragment" }
            ));
        }
        let mut segments = Vec::new();
        for text in rest.split('/') {
            segments.push(Segment::parse(path, text)?);
        }
        let mut params: Vec<&str> = Vec::new();
        for segment in &segments {
            if let Segment::Param(name) = segment {
                if params.contains(&name.as_str()) {
                    return Err(format!(
                        "path {path:?} names the parameter `{{{name}}}` twice"
                    ));
                }
                params.push(name);
            }
        }
        Ok(Template { segments })
    }

    /// The template with its parameters' names erased, `/chats/{}/messages`:
    /// two templates with the same shape match the same paths equally well.
    pub fn shape(&self) -> String {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Static(text) => format!("/{text}"),
                Segment::Param(_) => "/{}".to_owned(),
            })
            .collect()
    }

    /// If `path` is an instance of this template, its priority: one bit per
    /// parameter segment, the first segment the highest, so that of two
    /// matches the lower wins, as static text wins over a parameter.
    pub fn matches(&self, path: &str) -> Option<u64> {
        let rest = path.strip_prefix('/')?;
        let mut concrete = rest.split('/');
        let mut priority = 0u64;
        for segment in &self.segments {
            let text = concrete.next()?;
            priority <<= 1;
            match segment {
                Segment::Static(expected) if expected == text => {}
                Segment::Param(_) if !text.is_empty() => priority |= 1,
                _ => return None,
            }
        }
        concrete.next().is_none().then_some(priority)
    }
}

impl Segment {
    fn parse(path: &str, text: &str) -> Result<Segment, String> {
        if text.is_empty() {
            return Err(format!(
                "path {path:?} has an empty segment: no `//`, and no `/` at the end"
            ));
        }
        if let Some(name) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            let mut chars = name.chars();
            let identifier = chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !identifier {
                return Err(format!(
                    "path {path:?}: parameter `{text}` must be named by an identifier, such as `{{userUuid}}`"
                ));
            }
            return Ok(Segment::Param(name.to_owned()));
        }
        if text.contains(['{', '}']) {
            return Err(format!(
                "path {path:?}: segment `{text}` must be static text or one whole `{{parameter}}`"
            ));
        }
        // RFC 3986 `pchar`, without percent-encoding: a template is written
        // as the API documents it.
        if let Some(bad) = text
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c)))
        {
            return Err(format!(
                "path {path:?}: {bad:?} can't stand in a path segment unencoded"
            ));
        }
        Ok(Segment::Static(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_into_segments() {
        assert_eq!(
            Template::parse("/chats/{userUuid}/messages").map(|t| t.segments),
            Ok(vec![
                Segment::Static("chats".into()),
                Segment::Param("userUuid".into()),
                Segment::Static("messages".into()),
            ])
        );
    }

    #[test]
    fn malformed_templates_say_why() {
        for (path, reason) in [
            ("chats", "must start with `/`"),
            ("/", "empty segment"),
            ("/chats/", "empty segment"),
            ("/chats//messages", "empty segment"),
            ("/chats?limit=1", "has a query"),
            ("/chats#top", "has a fragment"),
            ("/chats/{user-uuid}", "named by an identifier"),
            ("/chats/{}", "named by an identifier"),
            ("/chats/x{id}", "one whole `{parameter}`"),
            ("/chats/{id}/{id}", "twice"),
            ("/chats/a b", "unencoded"),
        ] {
            let error = Template::parse(path).err().unwrap_or_default();
            assert!(error.contains(reason), "{path}: {error}");
        }
    }

    #[test]
    fn static_segments_win_over_parameters() {
        let unread = Template::parse("/chats/unread").ok();
        let chat = Template::parse("/chats/{userUuid}").ok();
        let (Some(unread), Some(chat)) = (unread, chat) else {
            panic!("valid templates")
        };
        let (a, b) = (
            unread.matches("/chats/unread"),
            chat.matches("/chats/unread"),
        );
        assert!(a.is_some() && b.is_some() && a < b, "{a:?} {b:?}");
        assert_eq!(chat.matches("/chats/"), None, "a parameter is never empty");
        assert_eq!(chat.matches("/chats/1/2"), None);
        assert_eq!(unread.shape(), "/chats/unread");
        assert_eq!(chat.shape(), "/chats/{}");
    }
}
