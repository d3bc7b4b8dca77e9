//! Black-box suites shared by every store: the store conformance suite (each port's promises, specified once)
//! and the journal suite (the use cases over a real store). Each adapter's test file instantiates both with
//! [`store_conformance!`] and [`journal_conformance!`].

pub mod conformance;
pub mod http;
pub mod http_suite;
pub mod journal_props;
pub mod journal_suite;
pub mod support;

/// Expands to one `#[tokio::test]` per store conformance case, each run on a store made by `$make`
/// (an `async fn() -> StoreUnderTest`).
#[macro_export]
macro_rules! store_conformance {
    ($make:path) => {
        $crate::store_conformance!(@cases $make;
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
            racing_key_inserts_respect_the_limit
        );
    };
    (@cases $make:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let store = $make().await;
                $crate::conformance::$case(&store).await;
            }
        )+
    };
}

/// Expands to one `#[tokio::test]` per journal case, each run on a store made by `$make`.
#[macro_export]
macro_rules! journal_conformance {
    ($make:path) => {
        $crate::journal_conformance!(@cases $make;
            a_trade_lives_by_its_reference,
            racing_identical_entries_make_one_trade,
            racing_closes_let_exactly_one_succeed,
            another_users_ids_answer_not_found_and_change_nothing,
            deleting_a_profile_removes_everything_and_kills_its_keys,
            a_signal_without_reference_needs_a_single_open_trade,
            api_keys_authenticate_until_revoked,
            back_filled_and_manual_trades_follow_the_rules,
            trade_pages_cover_every_trade_once
        );
    };
    (@cases $make:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let store = $make().await;
                $crate::journal_suite::$case(&store).await;
            }
        )+
    };
}

/// Expands to one `#[tokio::test]` per HTTP end-to-end case, each on a server over a journal made by `$make`
/// (a `fn() -> Arc<dyn Journal>` or an async one returning it).
#[macro_export]
macro_rules! http_conformance {
    ($make:expr) => {
        $crate::http_conformance!(@cases $make;
            every_route_answers_its_happy_path,
            a_webhook_drives_a_trade_by_reference,
            races_over_http_keep_one_trade_and_one_close,
            another_user_sees_and_changes_nothing,
            bad_credentials_are_refused,
            bad_inputs_are_refused_and_store_nothing,
            the_service_describes_itself,
            the_documented_tradingview_alerts_work
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let app = $crate::http::TestApp::spawn($make().await).await;
                $crate::http_suite::$case(&app).await;
            }
        )+
    };
}
