//! Macro input as users write it: scope names, endpoints,
//! the crate's path, and the errors collected while reading them, each
//! resolved against the catalog.

pub mod crate_path;
pub mod decl;
pub mod endpoint_ref;
pub mod errors;
pub mod scope_name;
