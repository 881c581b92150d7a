//! A handler is named however the code reaches it: by `use` and `use .. as`,
//! a glob, module paths, and as an associated fn of an inherent impl
//! (generic or not), a trait impl or a trait's default fn; each way finds
//! the same handler and requirement, read from the fn itself.

use fanvue_scopes::{requires, scopes, Granted, Guarded, InsufficientScope, Requirement};

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
    #[requires(read:insights)]
    pub async fn insights(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(3)
    }

    /// `Self::` inside the impl.
    pub fn route() -> Guarded<impl Copy> {
        Guarded::new(Self::insights)
    }
}

pub trait Chats {
    async fn list(granted: Granted) -> Result<u8, InsufficientScope>;

    /// A trait's default fn.
    #[requires(read:post)]
    async fn posts(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(5)
    }
}

pub struct Server;

/// A trait impl's fn: its future is more precise than the trait's.
impl Chats for Server {
    #[requires(read:creator)]
    async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(6)
    }
}

mod glob {
    use fanvue_scopes::{requires, Granted, InsufficientScope};

    #[requires(read:media)]
    pub async fn media(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(7)
    }
}

/// A fn that calls Fanvue with a borrowed client: its future borrows too,
/// and still carries its requirement.
#[requires(calls(GET "/users/me"))]
async fn borrowing(granted: Granted, client: &str, _other: &'static str) -> Result<usize, InsufficientScope> {
    Ok(client.len())
}

/// A closure parameter's own elided lifetimes stay its own, return type
/// included: `Fn(&str) -> &str` still means any `&str` to the same one.
#[requires(read:chat)]
async fn with_callback(
    granted: Granted,
    name: &str,
    shorten: Box<dyn Fn(&str) -> &str + Send>,
) -> Result<usize, InsufficientScope> {
    let local = String::from(name);
    Ok(shorten(&local).len())
}

/// Generic free fns carry one requirement whatever their arguments.
#[requires(read:fan)]
async fn generic<T: Default + Send>(granted: Granted) -> Result<u8, InsufficientScope> {
    let _ = T::default();
    Ok(4)
}

use glob::*;
use handlers::list;
use handlers::list as list_chats;
use handlers::nested::send as send_message;

fn main() {
    assert_eq!(Guarded::new(list).handler().name(), "list");
    assert_eq!(Guarded::new(list_chats).handler().module_path(), Guarded::new(handlers::list).handler().module_path());
    assert_eq!(Guarded::new(send_message).handler().requirement().all(), scopes![write:chat]);
    assert_eq!(Guarded::new(handlers::nested::send).handler().name(), "send");
    assert_eq!(Guarded::new(Api::<u8>::insights).handler().requirement().all(), scopes![read:insights]);
    assert_eq!(Api::<u8>::route().handler().name(), "insights");
    assert_eq!(Guarded::new(generic::<u8>).handler().requirement().all(), scopes![read:fan]);
    const LIST: &fanvue_scopes::Requirement = Requirement::of(&list_chats);
    assert_eq!(LIST.all(), scopes![read:chat]);
    assert_eq!(Guarded::new(Server::list).handler().requirement().all(), scopes![read:creator]);
    assert_eq!(Guarded::new(<Server as Chats>::list).handler().name(), "list");
    assert_eq!(Guarded::new(Server::posts).handler().requirement().all(), scopes![read:post]);
    assert_eq!(Guarded::new(media).handler().requirement().all(), scopes![read:media]);
    assert_eq!(Requirement::of(&borrowing).all(), scopes![read:self]);
    assert_eq!(Requirement::of(&with_callback).all(), scopes![read:chat]);
    // The identity closure, which a lifetime tied to `name` would refuse.
    drop(with_callback(Granted(scopes![read:chat]), "name", Box::new(|text: &str| text)));
}
