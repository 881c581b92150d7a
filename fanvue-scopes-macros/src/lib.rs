//! Procedural macros for [`fanvue-scopes`](https://docs.rs/fanvue-scopes).
//!
//! Use them through the `fanvue-scopes` crate, which re-exports them:
//! `#[requires(..)]` guards a handler, `scope!(..)` names one scope and
//! `scopes![..]` builds a `ScopeSet`, all checked at compile time against
//! the `scopes.toml` this crate was built with.
//!
//! The crate is laid out one module per concern: `scope_file` reads and
//! validates `scopes.toml` into a `catalog::Catalog`, `scope_name` parses
//! and checks the scope names written in macro input, and the `expand_*`
//! modules turn both into code.
#![forbid(unsafe_code)]

mod catalog;
mod expand_catalog;
mod expand_requires;
mod expand_scopes;
mod scope_file;
mod scope_name;
mod validate;

use proc_macro::TokenStream;

/// Guards a handler fn with the scopes its caller must have been granted.
///
/// `#[requires(read:chat, any(read:fan, read:creator))]`; the full syntax
/// and examples are in the `fanvue-scopes` documentation.
#[proc_macro_attribute]
pub fn requires(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_requires::expand(args.into(), item.into()).into()
}

/// One scope, checked at compile time: `scope!(read:chat)` is `Scope::ReadChat`.
#[proc_macro]
pub fn scope(input: TokenStream) -> TokenStream {
    expand_scopes::scope(input.into()).into()
}

/// A `ScopeSet` usable in `const`, checked at compile time:
/// `scopes![read:chat, write:chat]`.
#[proc_macro]
pub fn scopes(input: TokenStream) -> TokenStream {
    expand_scopes::scopes(input.into()).into()
}

/// Generates `Scope` and `Resource` from `scopes.toml`. Only `fanvue-scopes`
/// calls this, once.
#[doc(hidden)]
#[proc_macro]
pub fn __generate_catalog(input: TokenStream) -> TokenStream {
    expand_catalog::expand(input.into()).into()
}

/// Generates the OAuth endpoint consts and `ProtocolScope` from the
/// `[oauth]` table. Only `fanvue-scopes` calls this, once.
#[doc(hidden)]
#[proc_macro]
pub fn __generate_oauth(input: TokenStream) -> TokenStream {
    expand_catalog::expand_oauth(input.into()).into()
}

/// The scope table of `scopes.toml` as Markdown, for the crate docs.
#[doc(hidden)]
#[proc_macro]
pub fn __scope_table(input: TokenStream) -> TokenStream {
    expand_catalog::scope_table(input.into()).into()
}
