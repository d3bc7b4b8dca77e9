//! Black-box suites shared by every store, each case specified once:
//!
//! - [`conformance`] and [`receipts_conformance`]: what every implementation of the store ports must do;
//! - [`journal_suite`]: the use cases over a real store;
//! - [`key_scopes_suite`]: API keys within their grant (scopes, strategies, expiry, manual trades) over a real store;
//! - [`positions_suite`]: positions (sizes, scale-ins, partial exits, fees, P&L) over a real store;
//! - [`strategy_rules_suite`]: what a strategy refuses (stale entries, one strategy too many) over a real store;
//! - [`public_stats_suite`]: public statistics kept under their strategy's revision, over a real store;
//! - [`imports_http_suite`]: imports and the export over HTTP (`text/csv` in, CSV streamed out);
//! - [`imports_suite`]: imports and exports (whole or nothing, once per trade, removed whole) over a real store;
//! - [`signal_log_suite`]: the signal log (newest first, the owner's alone, a week and a thousand) over a real store;
//! - [`signal_log_http_suite`]: what the signal route logs of each answer, and the log's route, over HTTP;
//! - [`rate_limits_suite`]: rate limits over HTTP, on a server of its own with small budgets;
//! - [`http_suite`]: the real server and a real client, every route;
//! - [`bad_inputs`]: the requests that must be refused, one trial per row;
//! - [`journal_props`]: random signal sessions that must keep the book consistent;
//! - [`webhooks_conformance`]: subscriptions, the outbox, claims and their records, on a store of each case's own;
//! - [`webhooks_http_suite`]: `/webhooks` over HTTP (the SSRF guard at subscription, the secret once, the limit);
//! - [`webhooks_delivery`]: the deliverer over a real store, sending to a receiver on loopback (retries with the
//!   same id, `Retry-After`, 410, the SSRF guard at delivery).
//!
//! Each suite file ends with its table of cases ([`cases!`]); [`runner::trials`] turns every suite into one test
//! per case for a given store; `tests/memory.rs` and `tests/postgres.rs`
//! run them on the in-memory and the PostgreSQL adapters.

mod bad_inputs;
mod conformance;
pub mod copy_suite;
pub mod durability;
pub mod http;
mod http_suite;
mod imports_http_suite;
mod imports_suite;
pub mod instances;
mod journal_props;
mod journal_suite;
mod key_scopes_suite;
pub mod live_migration;
pub mod pnl_migration;
mod positions_suite;
mod public_stats_suite;
mod rate_limits_suite;
mod receipts_conformance;
pub mod runner;
pub mod scale_out;
mod signal_log_http_suite;
mod signal_log_suite;
mod strategy_rules_suite;
pub mod support;
pub(crate) mod webhooks_conformance;
mod webhooks_delivery;
mod webhooks_http_suite;

/// One case of a suite: its name, and how it runs on the suite's argument (a store, or a running app).
pub struct Case<A: 'static> {
    /// The function's name, which names the test.
    pub name: &'static str,
    /// Runs it.
    pub run: for<'a> fn(&'a A) -> futures_util::future::LocalBoxFuture<'a, ()>,
}

impl<A> Clone for Case<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A> Copy for Case<A> {}

impl<A> std::fmt::Debug for Case<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Declares, at the foot of a suite file, the table of its cases: each case function named once. Case functions
/// are private, so one left out of the table is dead code and fails the build (`-D warnings`): a case cannot exist
/// without running.
macro_rules! cases {
    ($arg:ty: $($case:ident),+ $(,)?) => {
        /// Every case of this suite.
        pub fn cases() -> Vec<$crate::Case<$arg>> {
            vec![$(
                $crate::Case {
                    name: stringify!($case),
                    run: {
                        fn run(arg: &$arg) -> futures_util::future::LocalBoxFuture<'_, ()> {
                            Box::pin($case(arg))
                        }
                        run
                    },
                }
            ),+]
        }
    };
}
pub(crate) use cases;
