//! Which owners this instance knows to have webhook subscriptions: only a hint for choosing the trade statement.
//!
//! An owner it knows runs the announcing statement at once; any other runs the lean one, which writes nothing and
//! says so if the owner does subscribe (then the announcing one runs, and the owner is known). So a stale entry
//! costs nothing but the outbox's few CTEs, and a missing one a second round trip for one write: never a change
//! left unannounced. Entries are forgotten after [`Subscribers::KEPT`], so owners who unsubscribed go back to the
//! lean statement.

use std::time::Duration;

use moka::sync::Cache;

/// Owners known to subscribe.
#[derive(Debug)]
pub(crate) struct Subscribers(Cache<String, ()>);

impl Subscribers {
    /// How long an owner stays known.
    pub(crate) const KEPT: Duration = Duration::from_secs(600);

    pub(crate) fn new() -> Self {
        Self(Cache::builder().max_capacity(100_000).time_to_live(Self::KEPT).build())
    }

    /// Whether `owner` is known to subscribe.
    pub(crate) fn knows(&self, owner: &str) -> bool {
        self.0.contains_key(owner)
    }

    /// Remembers that `owner` subscribes.
    pub(crate) fn learn(&self, owner: &str) {
        self.0.insert(owner.to_owned(), ());
    }
}
