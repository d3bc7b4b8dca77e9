//! The statistics over 10k, 100k and 1M closed trades, streamed in close order into a `StatsBuilder` (as stores
//! hand them), and sorted from any order (`Statistics::from_trades`). Target: 1M trades in under 100 ms on one core.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quantarya_domain::{ClosedTrade, Price, Side, Statistics, StatsBuilder, Symbol, Timestamp, TradeId, uuid::Uuid};

/// A journal of `n` closed trades over 8 symbols, in close order.
fn journal(n: usize) -> Vec<ClosedTrade> {
    let symbols: Vec<Symbol> = ["EURUSD", "GBPUSD", "USDJPY", "BTCUSD", "ETHUSD", "ES1!", "NQ1!", "XAUUSD"]
        .map(|s| Symbol::parse(s).expect("valid"))
        .to_vec();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let entry = 50.0 + (state % 1000) as f64 / 10.0;
            let change = ((state >> 20) % 400) as f64 / 10_000.0 - 0.019;
            ClosedTrade {
                id: TradeId::from_uuid(Uuid::from_u128(i as u128 + 1)),
                symbol: symbols[i % symbols.len()].clone(),
                side: if state % 3 == 0 { Side::Sell } else { Side::Buy },
                entry: Some(Price::new(entry).expect("positive")),
                stop_loss: (state % 2 == 0).then(|| Price::new(entry * 0.98).expect("positive")),
                close_price: Some(Price::new(entry * (1.0 + change)).expect("positive")),
                closed_at: Timestamp::from_unix_micros(1_780_000_000_000_000 + i as i64 * 60_000_000)
                    .expect("in range"),
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
