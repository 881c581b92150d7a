//! What `scopes.toml` says, in the order it is built: path templates,
//! the validated model, the file's raw form, the checks that turn one into
//! the other, and loading it once per compiler process.

pub mod catalog;
pub mod load;
pub mod scope_file;
pub mod template;
pub mod validate;
