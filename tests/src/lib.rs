//! Black-box suites shared by every store, each case specified once:
//!
//! - [`conformance`]: what every implementation of the store ports must do;
//! - [`journal_suite`]: the use cases over a real store;
//! - [`http_suite`]: the real server and a real client, every route;
//! - [`journal_props`]: random signal sessions that must keep the book consistent.
//!
//! [`runner::run`] turns them into one test per case for a given store; `tests/memory.rs` and `tests/postgres.rs`
//! run them on the in-memory and the PostgreSQL adapters.

pub mod conformance;
pub mod durability;
pub mod http;
pub mod http_suite;
pub mod journal_props;
pub mod journal_suite;
pub mod runner;
pub mod support;

/// Declares a suite's case names and a function that runs a case by name.
macro_rules! suite {
    ($(#[$doc:meta])* $run:ident, $names:ident, $arg:ty, $module:ident: $($case:ident),+ $(,)?) => {
        $(#[$doc])*
        pub const $names: &[&str] = &[$(stringify!($case)),+];

        /// Runs the case called `name`.
        pub async fn $run(name: &str, arg: $arg) {
            match name {
                $(stringify!($case) => $module::$case(arg).await,)+
                other => panic!("no case called {other}"),
            }
        }
    };
}

suite!(
    /// The store conformance cases.
    run_store_case, STORE_CASES, &support::StoreUnderTest, conformance:
    users_round_trip_and_names_are_unique_regardless_of_case,
    strategies_are_scoped_by_their_owner,
    trade_reads_and_writes_are_scoped_by_owner,
    profile_and_strategy_updates_refuse_a_stale_read,
    deleting_a_strategy_while_trades_arrive_counts_every_removed_trade,
    one_open_trade_per_reference_or_unreferenced_symbol,
    trade_updates_refuse_a_stale_version,
    open_trade_lookups_and_latest_with_reference,
    trade_lists_page_newest_first_with_filters,
    history_is_kept_in_order_and_deleted_with_its_trade,
    deleting_a_strategy_cascades_and_counts,
    deleting_an_account_cascades_and_counts,
    api_keys_are_found_by_hash_listed_revoked_and_limited,
    racing_identical_entries_store_one_trade,
    racing_updates_of_one_version_let_exactly_one_win,
    racing_key_inserts_respect_the_limit,
    racing_profiles_for_one_name_let_one_win,
    racing_updates_of_one_strategy_let_one_win,
    deleting_an_account_while_trades_arrive_counts_every_removed_trade,
    closed_trades_are_visited_in_close_order_within_a_range,
);

suite!(
    /// The journal cases.
    run_journal_case, JOURNAL_CASES, &support::StoreUnderTest, journal_suite:
    a_trade_lives_by_its_reference,
    racing_identical_entries_make_one_trade,
    racing_closes_let_exactly_one_succeed,
    another_users_ids_answer_not_found_and_change_nothing,
    deleting_a_profile_removes_everything_and_kills_its_keys,
    a_signal_without_reference_needs_a_single_open_trade,
    api_keys_authenticate_until_revoked,
    back_filled_and_manual_trades_follow_the_rules,
    trade_pages_cover_every_trade_once,
    the_owner_and_the_public_see_the_same_performance,
    public_profiles_show_public_strategies_with_a_bounded_curve,
);

suite!(
    /// The HTTP end-to-end cases.
    run_http_case, HTTP_CASES, &http::TestApp, http_suite:
    every_route_answers_its_happy_path,
    a_webhook_drives_a_trade_by_reference,
    races_over_http_keep_one_trade_and_one_close,
    another_user_sees_and_changes_nothing,
    bad_credentials_are_refused,
    bad_inputs_are_refused_and_store_nothing,
    the_service_describes_itself,
    the_documented_tradingview_alerts_work,
);
