//! Public statistics kept under the revision of a strategy's closed trades, on every store: every change of a
//! closed trade reaches every instance's next read (each instance keeps its own statistics), and reads of an
//! unchanged profile answer what was computed.

use quantarya_domain::{Price, ProfileChange, Side, SignalExit, Statistics, Status, TradePatch, UserName};
use quantarya_ports::{Journal, JournalService, Signal, SignalLocator, StatsQuery};

use crate::journal_suite::{Trader, trader_in};
use crate::support::{JournalOver, StoreUnderTest, entry, minutes_ago};

/// The public statistics of the one public strategy of `name`, as `journal` answers them.
async fn public_stats(journal: &JournalService, name: &UserName) -> Statistics {
    let profile = journal.public_profile(name).await.expect("a public profile");
    assert_eq!(profile.strategies.len(), 1);
    profile.strategies.into_iter().next().map(|s| s.stats).expect("one strategy")
}

/// Asserts that `stats` are the owner's statistics of `t`'s strategy, computed afresh by `journal`.
async fn agrees(journal: &JournalService, t: &Trader, stats: &Statistics) {
    let fresh = journal.strategy_stats(&t.jwt, t.strategy, StatsQuery::default()).await.expect("owner's statistics");
    assert_eq!(stats.all.overall, fresh.all.overall, "the public statistics are the owner's, computed afresh");
    assert_eq!(stats.live.overall, fresh.live.overall);
}

fn exit_at(price: f64) -> SignalExit {
    SignalExit { close_price: Some(Price::new(price).expect("valid")), ..Default::default() }
}

/// Two instances over one store: one reads (and keeps) the public statistics, the other closes, corrects,
/// back-fills and deletes trades; after each change the first reads the change, and its answer always equals the
/// owner's statistics computed afresh.
async fn public_statistics_follow_every_change_of_closed_trades_on_every_instance(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let (reader, writer) = (&t.journal, &s.journal());
    let change = ProfileChange { public_profile_enabled: Some(true), ..Default::default() };
    let user = reader.save_profile(&t.jwt, change).await.expect("public").value;
    let name = &user.user_name;
    let (key, book) = (&t.key, t.strategy);
    assert_eq!(public_stats(reader, name).await.all.overall.count, 0);

    // A closed trade, on the other instance.
    writer.submit_signal(key, book, Signal::Entry(entry("EURUSD", Side::Buy, Some("a"))), None).await.expect("entry");
    let locator =
        SignalLocator { external_reference: entry("EURUSD", Side::Buy, Some("a")).external_reference, symbol: None };
    let closed = writer.submit_signal(key, book, Signal::Exit { locator, exit: exit_at(110.0) }, None).await;
    let closed = closed.expect("exit").trade;
    let once = public_stats(reader, name).await;
    assert_eq!((once.all.overall.count, once.live.overall.count), (1, 1), "a signal sent as it happened is live");
    agrees(writer, &t, &once).await;
    assert_eq!(public_stats(reader, name).await, once, "an unchanged profile reads the same");

    // An open trade changes nothing public.
    writer.submit_signal(key, book, Signal::Entry(entry("EURUSD", Side::Buy, Some("b"))), None).await.expect("entry");
    assert_eq!(public_stats(reader, name).await, once);

    // A correction of the closed trade's price.
    let patch = TradePatch { close_price: Some(Price::new(90.0).expect("valid")), ..Default::default() };
    writer.patch_trade(&t.jwt, book, closed.id, patch).await.expect("a correction");
    let corrected = public_stats(reader, name).await;
    assert_eq!((corrected.all.overall.count, corrected.all.overall.losses), (1, 1), "{corrected:?}");
    assert_eq!(corrected.live.overall.count, 0, "a corrected trade leaves the live record");
    agrees(writer, &t, &corrected).await;

    // A back-filled trade, then its deletion.
    let mut backfill = entry("GBPUSD", Side::Sell, None);
    backfill.status = Status::Closed;
    backfill.signal_time = Some(minutes_ago(90));
    backfill.close_price = Some(Price::new(95.0).expect("valid"));
    backfill.closed_at = Some(minutes_ago(30));
    let filled = writer.submit_signal(&t.jwt, book, Signal::Entry(backfill), None).await.expect("back-fill").trade;
    let with_backfill = public_stats(reader, name).await;
    assert_eq!(
        (with_backfill.all.overall.count, with_backfill.live.overall.count),
        (2, 0),
        "back-fills are never live"
    );
    writer.delete_trade(&t.jwt, book, filled.id).await.expect("a manual trade is erasable");
    let after = public_stats(reader, name).await;
    assert_eq!(after.all.overall.count, 1);
    agrees(writer, &t, &after).await;
}

crate::cases!(
    crate::support::StoreUnderTest:
    public_statistics_follow_every_change_of_closed_trades_on_every_instance,
);
