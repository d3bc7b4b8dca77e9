//! The statistics over 10k, 100k and 1M closed trades, streamed in close order into a `StatsBuilder` (as stores
//! hand them), and sorted from any order (`Statistics::from_trades`). Target: 1M trades in under 100 ms on one core
//! for the figures of revision 1; the full pass of revision 2 (money, risk, excursions, breakdowns, all and live)
//! within 3x of that, which `bench/stats` measures against the revision-1 pass of an earlier commit in one run.
//!
//! The journal's prices are the same as in earlier commits' version of this bench; revision 2 adds sizes on half
//! the trades, tags on two in three, excursions on all, a holding time and a live flag on half.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quantarya_domain::{
    ClosedTrade, Price, Side, Statistics, StatsBuilder, Symbol, Tags, Timestamp, TradeId, chrono_tz::Tz, uuid::Uuid,
};

/// A journal of `n` closed trades over 8 symbols, in close order.
fn journal(n: usize) -> Vec<ClosedTrade> {
    let symbols: Vec<Symbol> = ["EURUSD", "GBPUSD", "USDJPY", "BTCUSD", "ETHUSD", "ES1!", "NQ1!", "XAUUSD"]
        .map(|s| Symbol::parse(s).expect("valid"))
        .to_vec();
    let tags =
        [Tags::default(), Tags::parse(&["breakout"]).expect("valid"), Tags::parse(&["fomo", "news"]).expect("valid")];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let entry = 50.0 + (state % 1000) as f64 / 10.0;
            let change = ((state >> 20) % 400) as f64 / 10_000.0 - 0.019;
            let side = if state % 3 == 0 { Side::Sell } else { Side::Buy };
            let close = entry * (1.0 + change);
            let closed = 1_780_000_000_000_000 + i as i64 * 60_000_000;
            let pnl = (i % 2 == 0).then(|| side.direction() * (close - entry) * 10.0 - 2.0);
            let (high, low) = (entry.max(close), entry.min(close));
            let (best, worst) = match side {
                Side::Buy => (high * 1.01, low * 0.99),
                Side::Sell => (low * 0.99, high * 1.01),
            };
            ClosedTrade {
                id: TradeId::from_uuid(Uuid::from_u128(i as u128 + 1)),
                symbol: symbols[i % symbols.len()].clone(),
                side,
                entry: Some(Price::new(entry).expect("positive")),
                stop_loss: (state % 2 == 0).then(|| Price::new(entry * 0.98).expect("positive")),
                close_price: Some(Price::new(close).expect("positive")),
                opened_at: Timestamp::from_unix_micros(closed - ((state >> 30) % 100_000) as i64 * 60_000_000)
                    .expect("in range"),
                closed_at: Timestamp::from_unix_micros(closed).expect("in range"),
                tags: tags[i % tags.len()].clone(),
                pnl,
                fees: pnl.map(|_| 2.0),
                max_favorable_price: Some(Price::new(best).expect("positive")),
                max_adverse_price: Some(Price::new(worst).expect("positive")),
                live: i % 2 == 1,
            }
        })
        .collect()
}

fn statistics(c: &mut Criterion) {
    let mut group = c.benchmark_group("statistics");
    group.sample_size(10);
    for n in [10_000, 100_000, 1_000_000] {
        let trades = journal(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("streamed_in_close_order", n), &trades, |b, trades| {
            b.iter(|| {
                let mut builder = StatsBuilder::new(1000);
                for trade in trades {
                    builder.push(trade);
                }
                black_box(builder.finish())
            });
        });
        group.bench_with_input(BenchmarkId::new("streamed_in_new_york", n), &trades, |b, trades| {
            b.iter(|| {
                let mut builder = StatsBuilder::in_zone(1000, Tz::America__New_York);
                for trade in trades {
                    builder.push(trade);
                }
                black_box(builder.finish())
            });
        });
        let mut shuffled = trades.clone();
        shuffled.reverse();
        group.bench_with_input(BenchmarkId::new("sorted_from_reverse_order", n), &shuffled, |b, shuffled| {
            b.iter_batched_ref(
                || shuffled.clone(),
                |trades| black_box(Statistics::from_trades(trades, 1000)),
                criterion::BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, statistics);
criterion_main!(benches);
