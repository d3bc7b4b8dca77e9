//! The memory store on the signal path, as `quantarya serve` runs it without a database: referenced entries posted
//! with an API key (each stored with its history event and its receipt) through the journal service, no HTTP.
//!
//! Prints, from one run on one machine: the rate on a nearly empty store, the rate with 1 000 000 trades already
//! stored (each the median of nine stretches of 11 000 entries), their ratio (the target is at least 0.9: every
//! store operation is O(log n) in the trades), and the resident memory each stored trade costs. Run with
//! `cargo bench -p quantarya-tests --bench memory_store`; `QUANTARYA_BENCH_TRADES` sets the preloaded count
//! (default 1 000 000).

use std::sync::Arc;
use std::time::Instant;

use quantarya_adapter_memory::MemoryStore;
use quantarya_domain::{
    BodyHash, KeyName, NewApiKey, NewStrategy, NewTrade, ProfileChange, Side, Source, StrategyTitle, Timeframe, UserId,
    UserName,
};
use quantarya_ports::{Journal, Principal, Signal, SignalIdentity};
use quantarya_tests::support::{JournalOver, StoreUnderTest, entry, token};

/// The allocator `quantarya serve` runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Entries timed for each rate, over all its stretches.
const MEASURED: u64 = STRETCHES * 11_000;

/// The stretches each rate is the median of: nine, so that up to four slowed by other processes leave it alone.
const STRETCHES: u64 = 9;

/// The process's resident memory, in bytes (Linux).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// A referenced entry, as TradingView sends one per order (bench/entry.lua's body), with a body of its own.
async fn send(journal: &quantarya_ports::JournalService, key: &Principal, book: quantarya_domain::StrategyId, n: u64) {
    let reference = format!("o-0-1764590000-{n}");
    let new = NewTrade {
        source: Some(Source::parse("tradingview").expect("valid")),
        timeframe: Some(Timeframe::parse("15").expect("valid")),
        ..entry("BINANCE:BTCUSDT.P", Side::Buy, Some(&reference))
    };
    let signal = Signal::Entry(new);
    let mut hash = [0_u8; 32];
    hash[..8].copy_from_slice(&n.to_le_bytes());
    let identity = SignalIdentity { key: None, body: BodyHash::from_bytes(hash) };
    journal.submit_signal(key, book, signal, Some(identity)).await.expect("an entry is stored");
}

/// Entries per second over `count` entries numbered from `first`: the median of [`STRETCHES`] equal stretches,
/// with each of them. (The machine is shared, so one stretch can be slowed by other processes; and a stretch can also run
/// faster than the others by reusing memory the store freed when one of its tables grew, which only a small store
/// does often, so the best stretch would flatter the nearly empty store. The median is neither.)
async fn median_rate(
    journal: &quantarya_ports::JournalService,
    key: &Principal,
    book: quantarya_domain::StrategyId,
    first: u64,
    count: u64,
) -> (f64, Vec<f64>) {
    let stretch = count / STRETCHES;
    let mut rates = Vec::with_capacity(STRETCHES as usize);
    for i in 0..STRETCHES {
        rates.push(rate(journal, key, book, first + i * stretch, stretch).await);
    }
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    (sorted[sorted.len() / 2], rates)
}

/// Entries per second over `count` entries numbered from `first`.
async fn rate(
    journal: &quantarya_ports::JournalService,
    key: &Principal,
    book: quantarya_domain::StrategyId,
    first: u64,
    count: u64,
) -> f64 {
    let started = Instant::now();
    for n in first..first + count {
        send(journal, key, book, n).await;
    }
    count as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    // As `quantarya serve` runs (crates/app/src/memory.rs).
    quantarya_app::memory::without_huge_pages();
    let preload: u64 = std::env::var("QUANTARYA_BENCH_TRADES").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store: StoreUnderTest = StoreUnderTest::of(Arc::new(MemoryStore::new()));
        let journal = store.journal();
        let user = UserId::parse("bench").expect("valid");
        let jwt = journal.authenticate(&token(&user)).await.expect("jwt");
        let profile = ProfileChange { user_name: Some(UserName::parse("bench").expect("valid")), ..Default::default() };
        journal.save_profile(&jwt, profile).await.expect("profile");
        let new = NewStrategy::titled(StrategyTitle::parse("Bench").expect("valid"));
        let book = journal.create_strategy(&jwt, new).await.expect("strategy").id;
        let issued =
            journal.create_api_key(&jwt, NewApiKey::new(KeyName::parse("bench").expect("valid"))).await.expect("key");
        let key = journal.authenticate(issued.raw.expose()).await.expect("key principal");

        // Warm up, then time entries on a nearly empty store.
        rate(&journal, &key, book, 0, 1_000).await;
        let (empty, empty_stretches) = median_rate(&journal, &key, book, 1_000, MEASURED).await;
        let stored = 1_000 + MEASURED;

        // Fill the store to `preload` trades, noting what each costs in resident memory.
        let before = resident_bytes();
        let filling = preload.saturating_sub(stored);
        rate(&journal, &key, book, stored, filling).await;
        let per_trade = (resident_bytes().saturating_sub(before)) as f64 / filling.max(1) as f64;
        let (full, full_stretches) = median_rate(&journal, &key, book, preload, MEASURED).await;

        println!("memory store, referenced entries with an API key through the journal (one thread, no HTTP)");
        let each = |rates: &[f64]| rates.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", ");
        println!("  nearly empty store:          {empty:>10.0} entries/s (stretches: {})", each(&empty_stretches));
        println!("  with {preload} trades stored: {full:>10.0} entries/s (stretches: {})", each(&full_stretches));
        println!("  ratio full / empty:          {:>10.2}   (target >= 0.9)", full / empty);
        println!("  resident memory per trade:   {:>10.0} bytes (trade, history event, receipt, indexes)", per_trade);
    });
}
