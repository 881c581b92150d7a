//! Procedural macros for [`fanvue-scopes`](https://docs.rs/fanvue-scopes).
//!
//! Use them through the `fanvue-scopes` crate, which re-exports and
//! documents them (see [`requires`] there):
//! `#[requires(..)]` guards a handler, `scope!(..)` names one scope and
//! `scopes![..]` builds a `ScopeSet`, all checked at compile time against
//! the `scopes.toml` this crate was built with.
//!
//! One module per concern, in the order the data flows:
//!
//! - `scope_file`: `scopes.toml` bytes to a raw, spanned model, and errors
//!   rendered as `scopes.toml:line:column`;
//! - `validate`: checks the raw model, one function per kind of entry, and
//!   builds the catalog;
//! - `template`: endpoint path templates, and which one a concrete path is;
//! - `catalog`: the validated model, parsed once per compiler process, and
//!   look-ups with suggestions;
//! - `diagnostics`: collects compile errors, and turns a broken file into
//!   errors at the macro call;
//! - `scope_name`, `endpoint_ref`: scope names and endpoints as written in
//!   macro input, resolved against the catalog;
//! - `crate_path`: the one path generated code reaches `fanvue-scopes` by;
//! - `expand_requires`, `expand_scopes`, `expand_generate`: one per macro
//!   family, each turning parsed input into code.
//!
//! Every expander returns `syn::Result`; this file turns errors into
//! `compile_error!`s, in one place.
#![forbid(unsafe_code)]

mod catalog;
mod crate_path;
mod diagnostics;
mod endpoint_ref;
mod expand_endpoints;
mod expand_generate;
mod expand_requires;
mod expand_scopes;
mod scope_file;
mod scope_name;
mod template;
mod validate;

use proc_macro::TokenStream;
use syn::parse::Parse;

/// Parses `input` as `T` and expands it, or reports the errors.
fn expand<T: Parse>(
    input: TokenStream,
    expand: impl FnOnce(T) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    syn::parse::<T>(input)
        .and_then(expand)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

// Guards a handler fn with the scopes its caller must have been granted.
// No doc comment: `fanvue-scopes` re-exports this with the whole
// documentation, and rustdoc would append a second summary to it.
#[proc_macro_attribute]
pub fn requires(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match expand_requires::requires(args.into(), item.clone()) {
        Ok(expanded) => expanded.into(),
        // Keep the fn as written, so that the only errors are ours, not
        // "cannot find fn" at its callers.
        Err(error) => {
            let error = error.into_compile_error();
            quote::quote!(#error #[allow(unused)] #item).into()
        }
    }
}

/// One scope, checked at compile time: `scope!(read:chat)` is
/// `Scope::ReadChat`. Called through the `fanvue_scopes::scope!` shim.
#[doc(hidden)]
#[proc_macro]
pub fn scope(input: TokenStream) -> TokenStream {
    expand(input, expand_scopes::scope)
}

/// A `ScopeSet` usable in `const`, checked at compile time:
/// `scopes![read:chat, write:chat]`. Called through the
/// `fanvue_scopes::scopes!` shim.
#[doc(hidden)]
#[proc_macro]
pub fn scopes(input: TokenStream) -> TokenStream {
    expand(input, expand_scopes::scopes)
}

/// One endpoint, checked at compile time: `endpoint!(GET "/chats")` is
/// `Endpoint::ListChats`. Called through the `fanvue_scopes::endpoint!` shim.
#[doc(hidden)]
#[proc_macro]
pub fn endpoint(input: TokenStream) -> TokenStream {
    expand(input, expand_scopes::endpoint)
}

/// The requirement `#[requires]` put on an `async fn` handler, by the
/// handler's path. Called through the `fanvue_scopes::requirement_of!` shim.
#[doc(hidden)]
#[proc_macro]
pub fn requirement_of(input: TokenStream) -> TokenStream {
    expand(input, expand_scopes::requirement_of)
}

/// A `#[requires]` handler with its requirement, by the handler's path,
/// for a router to guard. Called through the `fanvue_scopes::guarded!` shim.
#[doc(hidden)]
#[proc_macro]
pub fn guarded(input: TokenStream) -> TokenStream {
    expand(input, expand_scopes::guarded)
}

/// Generates `Scope` and `Resource` from `scopes.toml`. Only `fanvue-scopes`
/// calls this, once.
#[doc(hidden)]
#[proc_macro]
pub fn __generate_catalog(input: TokenStream) -> TokenStream {
    expand(input, expand_generate::generate_catalog)
}

/// Generates the OAuth endpoint consts and `ProtocolScope` from the
/// `[oauth]` table. Only `fanvue-scopes` calls this, once.
#[doc(hidden)]
#[proc_macro]
pub fn __generate_oauth(input: TokenStream) -> TokenStream {
    expand(input, expand_generate::generate_oauth)
}

/// Generates `Endpoint`, `API_VERSION` and the route tree from the
/// `[[endpoint]]` entries. Only `fanvue-scopes` calls this, once.
#[doc(hidden)]
#[proc_macro]
pub fn __generate_endpoints(input: TokenStream) -> TokenStream {
    expand(input, expand_endpoints::generate_endpoints)
}

/// The scope table of `scopes.toml` as Markdown, for the crate docs.
#[doc(hidden)]
#[proc_macro]
pub fn __scope_table(input: TokenStream) -> TokenStream {
    expand(input, expand_generate::scope_table)
}
