//! Compile errors: collecting several into one report, and the catalog as
//! the macros see it, where a broken `scopes.toml` is an error at the call.

use crate::catalog::{self, Catalog};
use proc_macro2::Span;

/// Errors collected over a whole macro input, reported together.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// `value`, unless it or anything collected before is an error: then
    /// every error, collected ones first.
    pub fn finish_with<T>(self, value: syn::Result<T>) -> syn::Result<T> {
        match (self.0, value) {
            (None, value) => value,
            (Some(errors), Ok(_)) => Err(errors),
            (Some(mut errors), Err(error)) => {
                errors.combine(error);
                Err(errors)
            }
        }
    }

    /// `value`, unless an error was collected.
    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        self.finish_with(Ok(value))
    }
}

/// The catalog, or every error of `scopes.toml` as compile errors at `span`.
pub fn catalog(span: Span) -> syn::Result<&'static Catalog> {
    catalog::get().map_err(|file_errors| {
        let error = |rendered: &str| {
            syn::Error::new(span, format!("invalid {}: {rendered}", catalog::FILE_NAME))
        };
        let mut errors = error(&file_errors.first);
        for rendered in &file_errors.rest {
            errors.combine(error(rendered));
        }
        errors
    })
}
