//! The handlers that `#[requires]` registered, gathered at program start.

use crate::{Requirement, ScopeSet, least_privilege};

/// A fn annotated with `#[requires(..)]`, as the registry lists it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Handler {
    name: &'static str,
    module_path: &'static str,
    requirement: &'static Requirement,
}

impl Handler {
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        module_path: &'static str,
        requirement: &'static Requirement,
    ) -> Handler {
        Handler {
            name,
            module_path,
            requirement,
        }
    }

    /// The fn's name, e.g. `"list_chats"`.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The module the fn is defined in, e.g. `"my_app::routes"`.
    pub const fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// What the fn requires.
    pub const fn requirement(&self) -> &'static Requirement {
        self.requirement
    }
}

inventory::collect!(Handler);

/// Every `#[requires]` fn linked into this program, in no particular order.
///
/// ```
/// use fanvue_scopes::{requires, Granted, InsufficientScope};
///
/// #[requires(read:insights)]
/// fn insights(granted: Granted) -> Result<(), InsufficientScope> {
///     Ok(())
/// }
///
/// let handler = fanvue_scopes::handlers().find(|h| h.name() == "insights").unwrap();
/// assert_eq!(handler.requirement().to_string(), "`read:insights`");
/// ```
pub fn handlers() -> impl Iterator<Item = &'static Handler> {
    inventory::iter::<Handler>.into_iter()
}

/// The least-privilege scope set for every registered handler: what the app
/// should request in its OAuth authorize URL. See [`least_privilege`].
pub fn required_by_all_handlers() -> ScopeSet {
    least_privilege(handlers().map(Handler::requirement))
}
