//! A handler is named however the code reaches it: by `use` and `use .. as`,
//! through module paths, and as an associated fn of an inherent impl,
//! generic or not; each way finds the same handler and requirement.

use fanvue_scopes::{guarded, requirement_of, requires, scopes, Granted, Guarded, InsufficientScope};

mod handlers {
    use fanvue_scopes::{requires, Granted, InsufficientScope};

    #[requires(read:chat)]
    pub async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }

    pub mod nested {
        use fanvue_scopes::{requires, Granted, InsufficientScope};

        #[requires(write:chat)]
        pub(crate) async fn send(granted: Granted, text: String) -> Result<String, InsufficientScope> {
            Ok(text)
        }
    }
}

pub struct Api<T>(T);

impl<T: Send + 'static> Api<T> {
    #[requires(read:insights, in_impl)]
    pub async fn insights(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(3)
    }

    /// `Self::` inside the impl.
    pub fn route() -> Guarded<impl Copy> {
        guarded!(Self::insights)
    }
}

/// Generic free fns share one companion whatever their arguments.
#[requires(read:fan)]
async fn generic<T: Default + Send>(granted: Granted) -> Result<u8, InsufficientScope> {
    let _ = T::default();
    Ok(4)
}

use handlers::list;
use handlers::list as list_chats;
use handlers::nested::send as send_message;

fn main() {
    assert_eq!(guarded!(list).handler().name(), "list");
    assert_eq!(guarded!(list_chats).handler().module_path(), guarded!(handlers::list).handler().module_path());
    assert_eq!(guarded!(send_message).handler().requirement().all(), scopes![write:chat]);
    assert_eq!(guarded!(handlers::nested::send).handler().name(), "send");
    assert_eq!(guarded!(Api::<u8>::insights).handler().requirement().all(), scopes![read:insights]);
    assert_eq!(Api::<u8>::route().handler().name(), "insights");
    assert_eq!(guarded!(generic::<u8>).handler().requirement().all(), scopes![read:fan]);
    const LIST: fanvue_scopes::Requirement = requirement_of!(list_chats);
    assert_eq!(LIST.all(), scopes![read:chat]);
}
