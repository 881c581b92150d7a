//! The handlers that `#[requires]` registered, gathered at program start.

use crate::{Handler, ScopeSet, least_privilege};

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
pub fn least_privilege_for_handlers() -> ScopeSet {
    least_privilege(handlers().map(Handler::requirement))
}
