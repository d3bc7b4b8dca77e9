//! Which owners this instance knows to have webhook subscriptions: only a hint for choosing the trade statement.
//!
//! An owner it knows runs the announcing statement at once; any other runs the lean one, which writes nothing and
//! says so if the owner does subscribe (then the announcing one runs, and the owner is known). So a stale entry
//! costs nothing but the outbox's few CTEs, and a missing one a second round trip for one write: never a change
//! left unannounced. An owner is forgotten after [`Subscribers::KEPT`] without a write, so owners who unsubscribed
//! go back to the lean statement, and an active subscriber pays the second round trip only once per instance.

use std::time::Duration;

use moka::sync::Cache;

/// Owners known to subscribe.
#[derive(Debug)]
pub(crate) struct Subscribers(Cache<String, ()>);

impl Subscribers {
    /// How long an owner stays known without a write.
    pub(crate) const KEPT: Duration = Duration::from_secs(600);

    pub(crate) fn new() -> Self {
        Self(Cache::builder().max_capacity(100_000).time_to_idle(Self::KEPT).build())
    }

    /// Whether `owner` is known to subscribe (a read keeps it known).
    pub(crate) fn knows(&self, owner: &str) -> bool {
        self.0.get(owner).is_some()
    }

    /// Remembers that `owner` subscribes.
    pub(crate) fn learn(&self, owner: &str) {
        self.0.insert(owner.to_owned(), ());
    }
}
