//! The memory store on the signal path, as `quantarya serve` runs it without a database: referenced entries posted
//! with an API key (each stored with its history event and its receipt) through the journal service, no HTTP.
//!
//! Prints, from one run on one machine: the rate on a nearly empty store, the rate with 1 000 000 trades already
//! stored (each the median of nine stretches of 11 000 entries, the two stores' stretches taken in turns), their
//! ratio (the target is at least 0.9: every store operation is O(log n) in the trades), and the resident memory
//! each stored trade costs. Run with
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

/// A store under test, with the one strategy and the key its entries are sent with.
struct Bench {
    journal: quantarya_ports::JournalService,
    key: Principal,
    book: quantarya_domain::StrategyId,
    /// The next entry's number.
    next: u64,
}

impl Bench {
    /// A fresh memory store with a user, a strategy and an API key.
    async fn new() -> Self {
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
        Self { journal, key, book, next: 0 }
    }

    /// Sends the next `count` entries; entries per second.
    async fn rate(&mut self, count: u64) -> f64 {
        let rate = rate(&self.journal, &self.key, self.book, self.next, count).await;
        self.next += count;
        rate
    }
}

/// The rates of [`STRETCHES`] equal stretches of `count` entries to each of `a` and `b`, taken in turns (the first
/// of each pair alternating), so that a spell of the shared machine running slow slows both alike; each the median of
/// its stretches. (One stretch can be slowed by other processes; and a stretch can also run faster than the others
/// by reusing memory the store freed when one of its tables grew, which only a small store does often, so the best
/// stretch would flatter the nearly empty store. The median is neither.)
async fn median_rates(a: &mut Bench, b: &mut Bench, count: u64) -> [(f64, Vec<f64>); 2] {
    let stretch = count / STRETCHES;
    let (mut of_a, mut of_b) = (Vec::new(), Vec::new());
    for i in 0..STRETCHES {
        if i % 2 == 0 {
            of_a.push(a.rate(stretch).await);
            of_b.push(b.rate(stretch).await);
        } else {
            of_b.push(b.rate(stretch).await);
            of_a.push(a.rate(stretch).await);
        }
    }
    let median = |rates: &[f64]| {
        let mut sorted = rates.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    };
    [(median(&of_a), of_a), (median(&of_b), of_b)]
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
        // Fill one store to `preload` trades, noting what each costs in resident memory.
        let mut full = Bench::new().await;
        full.rate(1_000).await;
        let before = resident_bytes();
        let filling = preload.saturating_sub(1_000);
        full.rate(filling).await;
        let per_trade = (resident_bytes().saturating_sub(before)) as f64 / filling.max(1) as f64;

        // A second, nearly empty store, warmed up; then both timed in turns.
        let mut empty = Bench::new().await;
        empty.rate(1_000).await;
        let [(empty, empty_stretches), (full, full_stretches)] = median_rates(&mut empty, &mut full, MEASURED).await;

        println!("memory store, referenced entries with an API key through the journal (one thread, no HTTP)");
        let each = |rates: &[f64]| rates.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", ");
        println!("  nearly empty store:          {empty:>10.0} entries/s (stretches: {})", each(&empty_stretches));
        println!("  with {preload} trades stored: {full:>10.0} entries/s (stretches: {})", each(&full_stretches));
        println!("  ratio full / empty:          {:>10.3}   (target >= 0.9)", full / empty);
        println!("  resident memory per trade:   {:>10.0} bytes (trade, history event, receipt, indexes)", per_trade);
    });
}
