//! Reading `scopes.toml`: bytes to the raw, spanned model that
//! [`validate`](crate::validate) checks, and errors that name file, line and
//! column.

use serde::Deserialize;
use std::fmt;
use toml::Spanned;

/// The file as written, before any check beyond its TOML shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub oauth: Option<Spanned<RawOauth>>,
    #[serde(default)]
    pub resource: Vec<Spanned<RawResource>>,
    // Without `Spanned` around the two tables: their own spans are not
    // used, and each `Spanned<T>` is one more deserializer to compile.
    #[serde(default)]
    pub api: Option<RawApi>,
    #[serde(default)]
    pub endpoint: Vec<RawEndpoint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    pub version: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    pub operation: Spanned<String>,
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    pub scopes: Spanned<Vec<Spanned<String>>>,
    pub summary: Spanned<String>,
    #[serde(default)]
    pub reference: Option<Spanned<String>>,
    #[serde(default)]
    pub variant: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOauth {
    pub authorize_url: Spanned<String>,
    pub token_url: Spanned<String>,
    pub api_base_url: Spanned<String>,
    #[serde(default)]
    pub protocol_scope: Vec<Spanned<RawScope>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResource {
    pub name: Spanned<String>,
    #[serde(default)]
    pub variant: Option<Spanned<String>>,
    #[serde(default)]
    pub scope: Vec<Spanned<RawScope>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    pub name: Spanned<String>,
    pub description: Spanned<String>,
    #[serde(default)]
    pub variant: Option<Spanned<String>>,
}

/// One problem in the file, at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub offset: usize,
    pub message: String,
    /// Where the thing this one clashes with was first defined.
    pub first_defined_at: Option<usize>,
}

impl FileError {
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        FileError {
            offset,
            message: message.into(),
            first_defined_at: None,
        }
    }
}

/// One or more: how every stage reports problems, so that "there is at
/// least one" is said by the type, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtLeastOne<T> {
    pub first: T,
    pub rest: Vec<T>,
}

impl<T> AtLeastOne<T> {
    pub fn one(first: T) -> Self {
        AtLeastOne {
            first,
            rest: Vec::new(),
        }
    }

    /// The items, if there are any.
    pub fn of(items: impl IntoIterator<Item = T>) -> Option<Self> {
        let mut items = items.into_iter();
        let first = items.next()?;
        Some(AtLeastOne {
            first,
            rest: items.collect(),
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        std::iter::once(&self.first).chain(&self.rest)
    }
}

/// Every problem found in one file, ready to print as
/// `file:line:column: message`.
pub type FileErrors = AtLeastOne<String>;

impl FileErrors {
    pub fn render(file_name: &str, source: &[u8], errors: AtLeastOne<FileError>) -> Self {
        let render = |error: &FileError| {
            let Location { line, column } = Location::of(source, error.offset);
            let mut rendered = format!("{file_name}:{line}:{column}: {}", error.message);
            if let Some(first) = error.first_defined_at {
                let Location { line, column } = Location::of(source, first);
                rendered += &format!(" (first defined at {file_name}:{line}:{column})");
            }
            rendered
        };
        AtLeastOne {
            first: render(&errors.first),
            rest: errors.rest.iter().map(render).collect(),
        }
    }
}

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, rendered) in self.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            f.write_str(rendered)?;
        }
        Ok(())
    }
}

/// A 1-based line and column; the column counts characters, as editors do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    pub fn of(source: &[u8], offset: usize) -> Self {
        let before = &source[..offset.min(source.len())];
        let line_start = before
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |newline| newline + 1);
        let line = 1 + before.iter().filter(|&&byte| byte == b'\n').count();
        let column = 1 + String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count();
        Location { line, column }
    }
}

/// Decodes and deserializes the file. A failure here is a single error: the
/// TOML could not be read far enough to check anything else.
pub fn parse(source: &[u8]) -> Result<RawFile, FileError> {
    let text = std::str::from_utf8(source).map_err(|error| {
        FileError::new(
            error.valid_up_to(),
            "the file is not valid UTF-8 text; save it as UTF-8",
        )
    })?;
    toml::from_str(text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        FileError::new(offset, error.message().trim_end().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_and_count_characters() {
        let source = "ab\ncdé f\n".as_bytes();
        assert_eq!(Location::of(source, 0), Location { line: 1, column: 1 });
        assert_eq!(Location::of(source, 3), Location { line: 2, column: 1 });
        // `é` is two bytes but one column.
        let f = source.iter().position(|&b| b == b'f').unwrap_or(0);
        assert_eq!(Location::of(source, f), Location { line: 2, column: 5 });
        assert_eq!(Location::of(source, 999), Location { line: 3, column: 1 });
    }

    #[test]
    fn non_utf8_is_reported_where_it_starts() {
        let error = parse(b"[[resource]]\nname = \"Us\xffer\"\n").err();
        let error = error.map(|e| {
            FileErrors::render(
                "scopes.toml",
                b"[[resource]]\nname = \"Us\xffer\"\n",
                AtLeastOne::one(e),
            )
        });
        assert_eq!(
            error.map(|e| e.to_string()),
            Some("scopes.toml:2:11: the file is not valid UTF-8 text; save it as UTF-8".to_owned())
        );
    }
}
