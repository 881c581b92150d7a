//! Scope names as written in macro input (`read:chat`, `read:self`,
//! `"read:tracking_links"`) and their check against the catalog.

use crate::input::errors::Errors;
use crate::model::catalog::{self, Catalog, Scope, Suggestion};
use crate::model::load;
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::ParseStream;
use syn::{LitStr, Token};

/// One scope name and the tokens it was written with, for error spans.
pub struct ScopeName {
    pub text: String,
    tokens: TokenStream,
}

impl ScopeName {
    /// Parses a string literal, or bare tokens up to the next `,`: a scope
    /// such as `read:tracking_links` is several Rust tokens, and `self` is a
    /// keyword, so the tokens are read raw and their text joined.
    pub fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let literal: LitStr = input.parse()?;
            return Ok(ScopeName {
                text: literal.value(),
                tokens: literal.into_token_stream(),
            });
        }
        let mut text = String::new();
        let mut tokens = TokenStream::new();
        let mut after_word = false;
        while !input.is_empty() && !input.peek(Token![,]) {
            let token: TokenTree = input.parse()?;
            let is_word = match &token {
                TokenTree::Group(group) => {
                    return Err(syn::Error::new(
                        group.span(),
                        "unexpected brackets in a scope name; write it as `read:chat` or \"read:chat\"",
                    ));
                }
                TokenTree::Punct(_) => false,
                TokenTree::Ident(_) | TokenTree::Literal(_) => true,
            };
            // Two words in a row are two names with the comma forgotten.
            if is_word && after_word {
                return Err(syn::Error::new(
                    token.span(),
                    format!("expected `,` before `{token}`: separate scope names with commas"),
                ));
            }
            after_word = is_word;
            text += &token.to_string();
            tokens.extend([token]);
        }
        if tokens.is_empty() {
            return Err(input.error("expected a scope name such as `read:chat`"));
        }
        Ok(ScopeName { text, tokens })
    }

    pub fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, message)
    }

    /// The catalog entry, or an error on these tokens that suggests the
    /// name the writer most likely meant.
    pub fn resolve<'c>(&self, catalog: &'c Catalog) -> syn::Result<&'c Scope> {
        if let Some(scope) = catalog.find(&self.text) {
            return Ok(scope);
        }
        let name = &self.text;
        if catalog.find_protocol_scope(name).is_some() {
            return Err(self.error(format!(
                "`{name}` is a protocol scope that every authorize request asks for; \
                 handlers require resource scopes such as `read:self`"
            )));
        }
        let suggestion = catalog.suggest(name);
        let mut problem = catalog::unknown_scope(name, suggestion);
        if suggestion == Suggestion::None {
            let known: Vec<&str> = catalog.scopes.iter().map(|s| s.name.as_str()).collect();
            problem += &format!("; {} knows: {}", load::FILE_NAME, known.join(", "));
        }
        Err(self.error(problem))
    }
}

/// Resolves every name, reporting unknown ones and repeats together.
pub fn resolve_all<'c>(
    names: &[ScopeName],
    catalog: &'c Catalog,
    errors: &mut Errors,
) -> Vec<&'c Scope> {
    let mut resolved: Vec<&'c Scope> = Vec::with_capacity(names.len());
    for name in names {
        match name.resolve(catalog) {
            Ok(scope) if resolved.iter().any(|seen| seen.name == scope.name) => {
                errors.push(name.error(format!("duplicate scope `{}`", scope.name)));
            }
            Ok(scope) => resolved.push(scope),
            Err(error) => errors.push(error),
        }
    }
    resolved
}
