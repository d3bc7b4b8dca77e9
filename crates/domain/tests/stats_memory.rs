//! Statistics need memory for the curve points they keep and the symbols they group by, not for the trades they
//! read: streaming a million trades in close order peaks at a few tens of kilobytes of heap (a million trades
//! held in memory would take more than a hundred megabytes).

use quantarya_domain::{ClosedTrade, Price, Side, StatsBuilder, Symbol, Timestamp, TradeId, uuid::Uuid};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

#[test]
fn memory_depends_on_curve_points_not_on_trades() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let symbols = ["EURUSD", "GBPUSD", "BTCUSD"].map(|s| Symbol::parse(s).expect("valid"));
    let mut builder = StatsBuilder::new(1000);
    let n: u64 = 1_000_000;
    // One trade per symbol, changed in place: the test itself allocates nothing per trade, so the counts below are
    // the builder's.
    let mut templates = symbols.map(|symbol| ClosedTrade {
        id: TradeId::from_uuid(Uuid::from_u128(0)),
        symbol,
        side: Side::Buy,
        entry: None,
        stop_loss: None,
        close_price: None,
        closed_at: Timestamp::from_unix_micros(0).expect("in range"),
    });
    for i in 0..n {
        let entry = 100.0 + (i % 17) as f64;
        let trade = &mut templates[(i % 3) as usize];
        trade.id = TradeId::from_uuid(Uuid::from_u128(u128::from(i) + 1));
        trade.side = if i % 4 == 0 { Side::Sell } else { Side::Buy };
        trade.entry = Some(Price::new(entry).expect("positive"));
        trade.stop_loss = Some(Price::new(entry * 0.99).expect("positive"));
        trade.close_price = Some(Price::new(entry * (1.0 + ((i % 7) as f64 - 3.0) / 1000.0)).expect("positive"));
        trade.closed_at = Timestamp::from_unix_micros(1_780_000_000_000_000 + i as i64 * 1_000_000).expect("in range");
        builder.push(trade);
    }
    let stats = builder.finish().expect("in order");
    assert_eq!(stats.overall.count, n);
    assert!(stats.curve.len() <= 1000);
    let heap = dhat::HeapStats::get();
    // The curve's buffers and the symbol groups: a bounded heap, and a bounded number of allocations in all (none
    // per trade).
    dhat::assert!(heap.max_bytes < 256 * 1024, "peak heap {} bytes for {n} trades", heap.max_bytes);
    dhat::assert!(heap.total_blocks < 1_000, "{} allocations for {n} trades", heap.total_blocks);
}
