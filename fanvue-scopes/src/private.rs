//! What only the macros' expansions may call; not part of the API.

pub use fanvue_scopes_macros::{endpoint, requirement_of, scope, scopes};

#[cfg(feature = "registry")]
pub use inventory;

pub use crate::__register_handler as register_handler;

/// Registers a `#[requires]` fn, when the `registry` feature is on.
#[cfg(feature = "registry")]
#[doc(hidden)]
#[macro_export]
macro_rules! __register_handler {
    ($name:expr, $requirement:expr) => {
        $crate::__private::inventory::submit!($crate::Handler::__new(
            $name,
            ::core::module_path!(),
            $requirement
        ));
    };
}

#[cfg(not(feature = "registry"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __register_handler {
    ($name:expr, $requirement:expr) => {};
}
