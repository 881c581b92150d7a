//! A handler fn's path as `guarded!` and `requirement_of!` take it, and
//! where the route companion `#[requires]` wrote beside it is.

use crate::input::crate_path::CratePath;
use syn::parse::{Parse, ParseStream};

/// `$crate; path::to::handler`, as `guarded!` and `requirement_of!` take it.
pub struct HandlerInput {
    pub krate: CratePath,
    pub handler: syn::ExprPath,
}

impl Parse for HandlerInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = input.parse()?;
        let handler = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected the path of a `#[requires]` handler fn, such as `list_chats`, \
                 `routes::list_chats` or `Chats::list`",
            )
        })?;
        if !input.is_empty() {
            return Err(input.error("expected the path of one `#[requires]` handler fn"));
        }
        Ok(HandlerInput { krate, handler })
    }
}

/// Where a handler's route companion is, read from its path: a free fn's
/// is the type alias of the same name (which any `use` of the fn imports
/// too); an associated fn's is the const beside it in the `impl`. A path is
/// to an associated fn when the segment before the fn is `Self`, has
/// generic arguments, or is capitalised as types are.
pub enum CompanionPath {
    /// The path of the alias: the handler's path without generic arguments.
    Alias(syn::Path),
    /// The type (with a trailing `::`) and the fn's name.
    InImpl {
        owner: syn::Path,
        handler: syn::Ident,
    },
}

impl HandlerInput {
    pub fn companion(&self) -> syn::Result<CompanionPath> {
        let syn::ExprPath { qself, path, .. } = &self.handler;
        if qself.is_some() {
            return Err(syn::Error::new_spanned(
                &self.handler,
                "a `<T as Trait>::f` path names a trait's fn, which can't be a guarded route \
                 handler; name a free fn, or an associated fn of an inherent impl (`Chats::list`)",
            ));
        }
        let mut path = path.clone();
        let Some(mut last) = path.segments.pop() else {
            return Err(syn::Error::new_spanned(
                &self.handler,
                "expected a handler's path",
            ));
        };
        // The companion is not generic: `list::<Db>` and `list` share it.
        last.arguments = syn::PathArguments::None;
        let in_impl = path.segments.last().is_some_and(|owner| {
            let name = owner.ident.to_string();
            name == "Self"
                || !owner.arguments.is_none()
                || name.starts_with(|c: char| c.is_ascii_uppercase())
        });
        Ok(if in_impl {
            CompanionPath::InImpl {
                owner: path,
                handler: last.ident,
            }
        } else {
            path.segments.push(last);
            CompanionPath::Alias(path)
        })
    }
}
