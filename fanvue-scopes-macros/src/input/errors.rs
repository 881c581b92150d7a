//! Compile errors collected over a whole macro input and reported together:
//! every mistake in one build, each on the tokens at fault.

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
