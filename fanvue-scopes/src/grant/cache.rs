//! Fresh tokens kept in this process for a moment, so that a request whose
//! token is fresh reads nothing from the database.
//!
//! Safe with refreshes: a token is served from here only while it stays
//! fresh for the margin and the cache time together, so no instance can be
//! refreshing it (which revokes the old access token at Fanvue) while
//! another still hands it out. What another instance changes on purpose (a
//! sign-out, a step-up) is seen here within the cache time.

use super::Token;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many grants are kept before stale ones are swept out.
const SWEEP_ABOVE: usize = 4096;

pub(super) struct Cache {
    time: Duration,
    entries: Mutex<HashMap<String, (Instant, Token)>>,
}

impl Cache {
    pub(super) fn new(time: Duration) -> Cache {
        Cache {
            time,
            entries: Mutex::default(),
        }
    }

    /// Whether `token` stays fresh for the margin and the cache time: only
    /// then can no one be refreshing it while it is served from here.
    fn servable(&self, token: &Token, now: u64, margin: Duration) -> bool {
        let needed = margin.saturating_add(self.time).as_secs().saturating_add(1);
        token.expires_at >= now.saturating_add(needed)
    }

    /// The token kept for `key`, if it was kept less than the cache time ago
    /// and is servable.
    pub(super) fn get(&self, key: &str, now: u64, margin: Duration) -> Option<Token> {
        if self.time.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (kept, token) = entries.get(key)?;
        (kept.elapsed() < self.time && self.servable(token, now, margin)).then(|| token.clone())
    }

    /// Keeps `token` for `key`, if it is servable.
    pub(super) fn keep(&self, key: &str, token: &Token, now: u64, margin: Duration) {
        if self.time.is_zero() || !self.servable(token, now, margin) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= SWEEP_ABOVE {
            entries.retain(|_, (kept, _)| kept.elapsed() < self.time);
        }
        entries.insert(key.to_owned(), (Instant::now(), token.clone()));
    }

    /// Forgets `key`'s token: its grant changed here.
    pub(super) fn forget(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}
