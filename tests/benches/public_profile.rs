//! `GET /profiles/{user_name}`'s use case on PostgreSQL with one public strategy of 100 000 closed trades: the first
//! read (the statistics computed from every trade, then kept) against repeated reads of the unchanged profile (one
//! query of the strategies and their revisions); and the same for the page `GET /u/{user_name}`, which reads the
//! profile the same way and renders it. Prints each, the median of its runs, and the ratios (the target is at
//! least 20). Run with `cargo bench -p quantarya-tests --bench public_profile`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_ports::Journal;
use quantarya_test_db::TestDatabase;
use quantarya_tests::support::{JournalOver, StoreUnderTest, seed_closed_trades, strategy, user};

const TRADES: i64 = 100_000;

/// The median of `times`.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let database = runtime.block_on(TestDatabase::create()).unwrap_or_else(|e| panic!("{e}"));
    let _entered = runtime.enter();
    runtime.block_on(async {
        let store =
            StoreUnderTest::of(Arc::new(PgStore::connect(database.url(), PoolSettings::default()).expect("pool")));
        let mut owner = user();
        owner.public_profile_enabled = true;
        store.users.insert_user(&owner).await.expect("a public profile");
        let mut book = strategy(&owner.id);
        book.is_public = true;
        store.strategies.insert_strategy(&book).await.expect("a public strategy");
        seed_closed_trades(database.url(), &book, TRADES).await;

        // Each first read on an instance of its own (a service with nothing kept yet); each repeated read on one
        // that has read the profile once.
        let mut first = Vec::new();
        for _ in 0..5 {
            let journal = store.journal();
            let started = Instant::now();
            let profile = journal.public_profile(&owner.user_name).await.expect("the profile");
            first.push(started.elapsed());
            assert_eq!(profile.strategies[0].stats.all.overall.count, TRADES as u64);
        }
        let journal = store.journal();
        journal.public_profile(&owner.user_name).await.expect("the profile");
        let mut repeated = Vec::new();
        for _ in 0..50 {
            let started = Instant::now();
            journal.public_profile(&owner.user_name).await.expect("the profile");
            repeated.push(started.elapsed());
        }
        // The page: the same read, then the HTML.
        let mut first_page = Vec::new();
        for _ in 0..5 {
            let journal = store.journal();
            let started = Instant::now();
            let profile = journal.public_profile(&owner.user_name).await.expect("the profile");
            let page = quantarya_adapter_http::public_page::render(&profile);
            first_page.push(started.elapsed());
            assert!(page.contains(&format!("All ({TRADES} trades)")));
        }
        let mut repeated_page = Vec::new();
        for _ in 0..50 {
            let started = Instant::now();
            let profile = journal.public_profile(&owner.user_name).await.expect("the profile");
            std::hint::black_box(quantarya_adapter_http::public_page::render(&profile));
            repeated_page.push(started.elapsed());
        }
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (first, repeated) = (median(first), median(repeated));
        let (first_page, repeated_page) = (median(first_page), median(repeated_page));
        println!("public profile, one public strategy of {TRADES} closed trades, PostgreSQL (the use case, no HTTP)");
        println!("  first read:    {:>9.3} ms (median of 5, each on a fresh instance)", ms(first));
        println!("  repeated read: {:>9.3} ms (median of 50)", ms(repeated));
        println!("  first / repeated: {:>6.1}   (target >= 20)", first.as_secs_f64() / repeated.as_secs_f64());
        println!("the page /u/{{user_name}} of the same profile (the read and the HTML)");
        println!("  first:    {:>9.3} ms (median of 5, each on a fresh instance)", ms(first_page));
        println!("  repeated: {:>9.3} ms (median of 50)", ms(repeated_page));
        println!(
            "  first / repeated: {:>6.1}   (target >= 20)",
            first_page.as_secs_f64() / repeated_page.as_secs_f64()
        );
    });
}
