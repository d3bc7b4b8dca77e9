//! Statistics need memory for the curve points they keep and the breakdown rows they group by, not for the trades
//! they read: streaming a million trades in close order (sized, tagged, with excursions, half of them live, weekdays
//! and hours read in New York) peaks at a few hundred kilobytes of heap, where a million trades held in memory would
//! take more than a hundred megabytes.

use quantarya_domain::chrono_tz::Tz;
use quantarya_domain::{ClosedTrade, Price, Side, StatsBuilder, Symbol, Tags, Timestamp, TradeId, uuid::Uuid};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

#[test]
fn memory_depends_on_curve_points_and_rows_not_on_trades() {
    let symbols = ["EURUSD", "GBPUSD", "BTCUSD"].map(|s| Symbol::parse(s).expect("valid"));
    let tags = [&["breakout"][..], &["breakout", "fomo"][..], &[][..]].map(|t| Tags::parse(t).expect("valid"));
    // One trade per symbol, changed in place: the test itself allocates nothing per trade, so the counts below are
    // the builder's.
    let mut templates: Vec<ClosedTrade> = symbols
        .into_iter()
        .zip(tags)
        .map(|(symbol, tags)| ClosedTrade {
            id: TradeId::from_uuid(Uuid::from_u128(0)),
            symbol,
            side: Side::Buy,
            entry: None,
            stop_loss: None,
            close_price: None,
            opened_at: Timestamp::from_unix_micros(0).expect("in range"),
            closed_at: Timestamp::from_unix_micros(0).expect("in range"),
            tags,
            pnl: None,
            fees: None,
            max_favorable_price: None,
            max_adverse_price: None,
            live: false,
        })
        .collect();
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut builder = StatsBuilder::in_zone(1000, Tz::America__New_York);
    let n: u64 = 1_000_000;
    for i in 0..n {
        let entry = 100.0 + (i % 17) as f64;
        let close = entry * (1.0 + ((i % 7) as f64 - 3.0) / 1000.0);
        let trade = &mut templates[(i % 3) as usize];
        trade.id = TradeId::from_uuid(Uuid::from_u128(u128::from(i) + 1));
        trade.side = if i % 4 == 0 { Side::Sell } else { Side::Buy };
        trade.entry = Some(Price::new(entry).expect("positive"));
        trade.stop_loss = Some(Price::new(entry * 0.99).expect("positive"));
        trade.close_price = Some(Price::new(close).expect("positive"));
        let closed = 1_780_000_000_000_000 + i as i64 * 1_000_000;
        trade.opened_at = Timestamp::from_unix_micros(closed - (i % 5000) as i64 * 60_000_000).expect("in range");
        trade.closed_at = Timestamp::from_unix_micros(closed).expect("in range");
        trade.pnl = (i % 2 == 0).then_some((close - entry) * 10.0 - 1.0);
        trade.fees = trade.pnl.map(|_| 1.0);
        trade.max_favorable_price = Some(Price::new(entry.max(close) * 1.01).expect("positive"));
        trade.max_adverse_price = Some(Price::new(entry.min(close) * 0.99).expect("positive"));
        trade.live = i % 2 == 1;
        builder.push(trade);
    }
    let stats = builder.finish().expect("in order");
    assert_eq!(stats.all.overall.count, n);
    assert_eq!(stats.live.overall.count, n / 2);
    assert_eq!(stats.all.overall.mfe_count, n);
    assert!(stats.all.curve.len() <= 1000 && stats.all.pnl_curve.len() <= 1000);
    assert_eq!(stats.all.breakdowns.by_tag.len(), 3, "breakout, fomo and the untagged row");
    let heap = dhat::HeapStats::get();
    // The curves' buffers and the breakdown rows: a bounded heap, and a bounded number of allocations in all (none
    // per trade).
    dhat::assert!(heap.max_bytes < 512 * 1024, "peak heap {} bytes for {n} trades", heap.max_bytes);
    dhat::assert!(heap.total_blocks < 2_000, "{} allocations for {n} trades", heap.total_blocks);
}
