//! Imports and exports on every store: a file's trades made whole or not at all, once however often (and however
//! concurrently) the file is imported, removed only with their import; an export that, imported into another
//! strategy, reproduces every trade.

use std::collections::HashSet;

use quantarya_domain::{
    CloseTrade, Extensions, Fees, ImportFormat, JsonObject, NewTrade, Origin, PointValue, Price, Quantity, Side,
    SignalExit, Status, Symbol, Tags, Trade, TradeRecord, serde_json,
};
use quantarya_formats::quantarya::ExportWriter;
use quantarya_ports::outbound::TradeCursor;
use quantarya_ports::{
    ConflictKind, ForbiddenKind, ImportFile, Journal, JournalError, PageLimit, Signal, SignalLocator, TradeQuery,
};
use tokio::task::JoinSet;

use crate::journal_suite::{Trader, trader_in};
use crate::support::StoreUnderTest;

/// A TradingView list, newest first as TradingView writes it: a long closed, a short closed and a long still open.
pub(crate) const LIST: &str = "Trade #,Type,Signal,Date/Time,Price USD,Contracts,Profit USD,Run-up USD,Drawdown USD\n\
                    3,Exit long,Open,2024-03-12 15:00,5020,1,0,1500,-250\n\
                    3,Entry long,Long,2024-03-12 10:00,5000,1,0,1500,-250\n\
                    2,Exit short,Close entry(s) order Short,2024-03-11 15:00,4990,2,1000,2000,-500\n\
                    2,Entry short,Short,2024-03-11 10:00,5000,2,1000,2000,-500\n\
                    1,Exit long,Close entry(s) order Long,2024-03-08 15:45,5030,2,3000,3500,-500\n\
                    1,Entry long,Long,2024-03-08 09:30,5000,2,3000,3500,-500\n";

pub(crate) fn list_file(text: &str) -> ImportFile {
    ImportFile {
        format: ImportFormat::TradingView,
        bytes: text.as_bytes().to_vec(),
        symbol: Some(Symbol::parse("ES1!").expect("valid")),
        time_zone: quantarya_formats::time_zone::parse_time_zone("America/New_York"),
        point_value: Some(PointValue::new(50.0).expect("valid")),
    }
}

fn export_file(bytes: Vec<u8>) -> ImportFile {
    ImportFile { format: ImportFormat::Quantarya, bytes, symbol: None, time_zone: None, point_value: None }
}

/// Every trade of `t`'s strategy, newest first.
async fn all_trades(t: &Trader) -> Vec<Trade> {
    let query = TradeQuery { limit: PageLimit::new(500).expect("a page"), ..TradeQuery::default() };
    t.journal.list_trades(&t.jwt, t.strategy, query).await.expect("listed").trades
}

/// `t`'s strategy exported through the journal, three trades a page (so that pages and cursors are crossed).
async fn export(t: &Trader) -> Vec<u8> {
    let mut export = ExportWriter::new(Vec::new()).expect("a vector takes anything");
    let mut after = None;
    loop {
        let page = t.journal.export_page(&t.jwt, t.strategy, after, 3).await.expect("a page");
        for trade in &page {
            export.write(trade).expect("a vector takes anything");
        }
        match page.last() {
            Some(last) if page.len() == 3 => {
                after = Some(TradeCursor { opened_at: last.opened_at, trade_id: last.id });
            }
            _ => return export.finish().expect("flushed"),
        }
    }
}

/// A list is imported whole, its trades sized, with their excursions and origin `import`; a second import of it
/// makes nothing and counts every trade a duplicate.
async fn a_list_is_imported_whole_and_again_makes_nothing(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let first = t.journal.import_trades(&t.jwt, t.strategy, list_file(LIST)).await.expect("imported");
    assert_eq!((first.created, first.duplicates, first.format), (3, 0, ImportFormat::TradingView));
    let trades = all_trades(&t).await;
    assert_eq!(trades.len(), 3);
    assert!(trades.iter().all(|trade| trade.origin == Origin::Import && trade.symbol.as_str() == "ES1!"));
    let statuses: Vec<Status> = trades.iter().map(|trade| trade.status).collect();
    assert_eq!(statuses, [Status::Open, Status::Closed, Status::Closed], "newest first");
    let short = &trades[1];
    assert_eq!((short.side, short.quantity().map(Quantity::to_f64)), (Side::Sell, Some(2.0)));
    // 2 000 of run-up on two contracts of 50 is 20 points below the entry; 500 of drawdown 5 above.
    assert_eq!(short.max_favorable_price.map(Price::get), Some(4980.0));
    assert_eq!(short.max_adverse_price.map(Price::get), Some(5005.0));
    assert_eq!(short.opened_at.to_rfc3339(), "2024-03-11T14:00:00Z", "New York's time, in UTC");
    assert_eq!(short.realized_pnl(), Some(1000.0));
    let history = t.journal.trade_history(&t.jwt, t.strategy, short.id).await.expect("history");
    assert_eq!(history.len(), 1, "one entry event sets every field");

    let again = t.journal.import_trades(&t.jwt, t.strategy, list_file(LIST)).await.expect("imported again");
    assert_eq!((again.created, again.duplicates), (0, 3));
    assert_eq!(all_trades(&t).await.len(), 3);
    let imports = t.journal.list_imports(&t.jwt, t.strategy).await.expect("listed");
    assert_eq!(imports.iter().map(|i| i.id).collect::<Vec<_>>(), [again.id, first.id], "newest first");
    // A later list of the same strategy, with one more trade, makes only that one.
    let longer = format!(
        "{LIST}4,Exit long,Close entry(s) order Long,2024-03-14 11:00,5100,1,100,150,-20\n\
         4,Entry long,Long,2024-03-13 10:00,5050,1,100,150,-20\n"
    );
    let third = t.journal.import_trades(&t.jwt, t.strategy, list_file(&longer)).await.expect("imported");
    assert_eq!((third.created, third.duplicates), (1, 3));
}

/// An imported trade cannot be deleted alone nor changed by a key; deleting its import removes exactly its trades.
async fn an_import_leaves_whole_and_only_with_its_trades(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let own = t.journal.submit_signal(
        &t.jwt,
        t.strategy,
        Signal::Entry(crate::support::entry("NQ1!", Side::Buy, None)),
        None,
    );
    let own = own.await.expect("a manual trade").trade;
    let import = t.journal.import_trades(&t.jwt, t.strategy, list_file(LIST)).await.expect("imported");
    let imported: Vec<Trade> =
        all_trades(&t).await.into_iter().filter(|trade| trade.origin == Origin::Import).collect();
    let refused = t.journal.delete_trade(&t.jwt, t.strategy, imported[0].id).await;
    assert!(matches!(refused, Err(JournalError::Conflict { kind: ConflictKind::TradeNotManual, .. })), "{refused:?}");
    // The open imported trade has no reference: a key's exit by symbol finds it, and may not close it.
    let exit = Signal::Exit {
        locator: SignalLocator { symbol: Some(Symbol::parse("ES1!").expect("valid")), ..SignalLocator::default() },
        exit: SignalExit { close_price: Some(Price::new(5030.0).expect("valid")), ..SignalExit::default() },
    };
    let refused = t.journal.submit_signal(&t.key, t.strategy, exit, None).await;
    assert!(matches!(refused, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyScope))), "{refused:?}");

    let deleted = t.journal.delete_import(&t.jwt, t.strategy, import.id).await.expect("deleted");
    assert_eq!(deleted, 3);
    let left: Vec<Trade> = all_trades(&t).await;
    assert_eq!(left.iter().map(|trade| trade.id).collect::<Vec<_>>(), [own.id], "only its trades went");
    assert!(t.journal.list_imports(&t.jwt, t.strategy).await.expect("listed").is_empty());
    let again = t.journal.delete_import(&t.jwt, t.strategy, import.id).await;
    assert!(matches!(again, Err(JournalError::NotFound(_))), "{again:?}");
    // Its keys went with it: the list imports anew.
    let anew = t.journal.import_trades(&t.jwt, t.strategy, list_file(LIST)).await.expect("imported");
    assert_eq!((anew.created, anew.duplicates), (3, 0));
}

/// A file with one bad line makes nothing; another user's strategy is not found; a key may not import.
async fn a_bad_file_or_a_stranger_imports_nothing(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let broken = LIST.replace("4990", "4,990.5.5");
    let refused = t.journal.import_trades(&t.jwt, t.strategy, list_file(&broken)).await;
    let Err(JournalError::Invalid(fields)) = refused else { panic!("{refused:?}") };
    assert_eq!(fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["line 4"]);
    assert!(all_trades(&t).await.is_empty());
    assert!(t.journal.list_imports(&t.jwt, t.strategy).await.expect("listed").is_empty());
    let stranger = trader_in(s).await;
    let foreign = stranger.journal.import_trades(&stranger.jwt, t.strategy, list_file(LIST)).await;
    assert!(matches!(foreign, Err(JournalError::NotFound(_))), "{foreign:?}");
    let foreign = stranger.journal.list_imports(&stranger.jwt, t.strategy).await;
    assert!(matches!(foreign, Err(JournalError::NotFound(_))), "{foreign:?}");
    let foreign = stranger.journal.export_page(&stranger.jwt, t.strategy, None, 10).await;
    assert!(matches!(foreign, Err(JournalError::NotFound(_))), "{foreign:?}");
    let by_key = t.journal.import_trades(&t.key, t.strategy, list_file(LIST)).await;
    assert!(matches!(by_key, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))), "{by_key:?}");
    assert!(all_trades(&t).await.is_empty());
}

/// Racing imports of one file make each of its trades once.
async fn racing_imports_of_one_file_make_each_trade_once(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let mut tasks = JoinSet::new();
    for _ in 0..6 {
        let (j, jwt, book) = (t.journal.clone(), t.jwt.clone(), t.strategy);
        tasks.spawn(async move { j.import_trades(&jwt, book, list_file(LIST)).await });
    }
    let imports: Vec<_> = tasks.join_all().await.into_iter().map(|r| r.expect("every import succeeds")).collect();
    assert_eq!(imports.iter().map(|i| i.created).sum::<u64>(), 3);
    assert_eq!(imports.iter().map(|i| i.duplicates).sum::<u64>(), 3 * 5);
    assert_eq!(all_trades(&t).await.len(), 3);
}

/// A journal of every kind of trade, exported and imported into another strategy, comes back field for field
/// (ids, strategy, origin and record times aside); imported again, or back where it came from, it makes nothing.
async fn an_export_imported_elsewhere_reproduces_every_trade(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let j = &t.journal;
    let mut notes = JsonObject::new();
    notes.insert("setup".to_owned(), serde_json::json!({"why": "breakout, \"clean\"\nretest", "score": 0.1}));
    let sized = |reference: &str, price: f64| NewTrade {
        quantity: Some(Quantity::new(2.0).expect("valid")),
        point_value: Some(PointValue::new(50.0).expect("valid")),
        fees: Some(Fees::new(2.5).expect("valid")),
        entry: Some(Price::new(price).expect("valid")),
        tags: Tags::parse(&["a-plus", "news"]).expect("valid"),
        extensions: Extensions::new(None, None, None, None, Some(notes.clone())).expect("small"),
        ..crate::support::entry("ES1!", Side::Buy, Some(reference))
    };
    let position = j.submit_signal(&t.key, t.strategy, Signal::Entry(sized("Long", 5000.0)), None).await;
    let position = position.expect("entry").trade;
    let add = NewTrade {
        quantity: Some(Quantity::new(1.5).expect("valid")),
        fees: Some(Fees::new(1.0).expect("valid")),
        ..sized("Long", 5010.0)
    };
    j.submit_signal(&t.key, t.strategy, Signal::Entry(add), None).await.expect("a scale-in");
    let partial = CloseTrade {
        quantity: Some(Quantity::new(1.0).expect("valid")),
        close_price: Some(Price::new(5020.0).expect("valid")),
        ..CloseTrade::default()
    };
    j.close_trade(&t.jwt, t.strategy, position.id, partial).await.expect("a partial exit");
    let other =
        j.submit_signal(&t.jwt, t.strategy, Signal::Entry(sized("Short", 4800.0)), None).await.expect("entry").trade;
    j.close_trade(&t.jwt, t.strategy, other.id, CloseTrade::default()).await.expect("closed");
    let plain =
        j.submit_signal(&t.jwt, t.strategy, Signal::Entry(crate::support::entry("EURUSD", Side::Sell, None)), None);
    let plain = plain.await.expect("entry").trade;
    let cancel = quantarya_domain::TradePatch { status: Some(Status::Cancelled), ..Default::default() };
    j.patch_trade(&t.jwt, t.strategy, plain.id, cancel).await.expect("cancelled");
    j.import_trades(&t.jwt, t.strategy, list_file(LIST)).await.expect("imported");
    let originals = all_trades(&t).await;
    assert_eq!(originals.len(), 6);

    let (elsewhere, file) = export_comes_back(s, &t).await;
    let again = elsewhere.journal.import_trades(&elsewhere.jwt, elsewhere.strategy, export_file(file.clone())).await;
    assert_eq!(again.map(|i| (i.created, i.duplicates)).expect("imported"), (0, 6));
    let back = t.journal.import_trades(&t.jwt, t.strategy, export_file(file)).await;
    assert_eq!(back.map(|i| (i.created, i.duplicates)).expect("imported"), (0, 6), "its own trades");
}

/// `t`'s strategy exported, and imported into a new trader's strategy, where every trade comes back field for
/// field (ids, strategy, owner, origin, record times and version aside: `trade_id`, `strategy_id`, `user_id`,
/// `origin`, `created_at` and `updated_at` are the import's own, and the history starts anew); the new trader and
/// the file.
pub(crate) async fn export_comes_back(s: &StoreUnderTest, t: &Trader) -> (Trader, Vec<u8>) {
    let originals = all_trades(t).await;
    let file = export(t).await;
    let elsewhere = trader_in(s).await;
    let import = elsewhere.journal.import_trades(&elsewhere.jwt, elsewhere.strategy, export_file(file.clone())).await;
    assert_eq!(import.expect("imported").created, originals.len() as u64);
    let copies = all_trades(&elsewhere).await;
    assert!(copies.iter().all(|trade| !trade.live), "imported trades are never live");
    let nil = quantarya_domain::uuid::Uuid::nil();
    let at = quantarya_domain::Timestamp::from_unix_micros(0).expect("the epoch");
    let comparable = |trade: &Trade| TradeRecord {
        id: quantarya_domain::TradeId::from_uuid(nil),
        strategy_id: quantarya_domain::StrategyId::from_uuid(nil),
        user_id: quantarya_domain::UserId::parse("anyone").expect("valid"),
        origin: Origin::Import,
        // An import is never live, whatever the exported trade was.
        live: false,
        created_at: at,
        updated_at: at,
        version: 1,
        ..trade.clone().into_record()
    };
    let order = |r: &TradeRecord| (r.opened_at, r.symbol.as_str().to_owned(), r.side.as_str(), r.fills.len());
    let (mut want, mut got): (Vec<TradeRecord>, Vec<TradeRecord>) =
        (originals.iter().map(comparable).collect(), copies.iter().map(comparable).collect());
    want.sort_by_key(order);
    got.sort_by_key(order);
    assert_eq!(got.len(), want.len());
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got, want);
    }
    let ids: HashSet<_> = copies.iter().map(|trade| trade.id).collect();
    assert!(originals.iter().all(|trade| !ids.contains(&trade.id)), "new ids");
    (elsewhere, file)
}

/// An open trade of a file whose reference an open trade of the strategy carries refuses the whole file.
async fn an_open_reference_taken_refuses_the_whole_file(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let j = &t.journal;
    j.submit_signal(&t.key, t.strategy, Signal::Entry(crate::support::entry("ES1!", Side::Buy, Some("Long"))), None)
        .await
        .expect("entry");
    let file = export(&t).await;
    let elsewhere = trader_in(s).await;
    elsewhere.journal.import_trades(&elsewhere.jwt, elsewhere.strategy, list_file(LIST)).await.expect("a list");
    let open = crate::support::entry("ES1!", Side::Buy, Some("Long"));
    elsewhere
        .journal
        .submit_signal(&elsewhere.key, elsewhere.strategy, Signal::Entry(open), None)
        .await
        .expect("entry");
    let refused = elsewhere.journal.import_trades(&elsewhere.jwt, elsewhere.strategy, export_file(file)).await;
    assert!(matches!(refused, Err(JournalError::Conflict { kind: ConflictKind::TradeAlreadyOpen, .. })), "{refused:?}");
    assert_eq!(all_trades(&elsewhere).await.len(), 4, "three listed trades and the open one: nothing more");
    assert_eq!(elsewhere.journal.list_imports(&elsewhere.jwt, elsewhere.strategy).await.expect("listed").len(), 1);
}

/// Deleting an import while its trades are being closed: every close either lands or finds the trade gone, never
/// a storage failure (the delete takes its locks in a close's order), and the import leaves whole.
async fn an_import_deleted_while_its_trades_close_leaves_whole(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let mut file = String::from("Trade #,Type,Signal,Date/Time,Price USD,Contracts\n");
    for n in 1..=20 {
        file.push_str(&format!(
            "{n},Entry long,Long,2024-03-{n:02} 10:00,100,1\n{n},Exit long,Open,2024-03-{n:02} 11:00,101,1\n"
        ));
    }
    let import = t.journal.import_trades(&t.jwt, t.strategy, list_file(&file)).await.expect("imported");
    let open: Vec<Trade> = all_trades(&t).await;
    assert!(open.iter().all(|trade| trade.status == Status::Open) && open.len() == 20);
    let mut tasks = JoinSet::new();
    for trade in &open {
        let (j, jwt, book, id) = (t.journal.clone(), t.jwt.clone(), t.strategy, trade.id);
        tasks.spawn(async move { j.close_trade(&jwt, book, id, CloseTrade::default()).await.map(drop) });
    }
    let (j, jwt, book) = (t.journal.clone(), t.jwt.clone(), t.strategy);
    let deleted = tokio::spawn(async move { j.delete_import(&jwt, book, import.id).await });
    for closed in tasks.join_all().await {
        assert!(matches!(closed, Ok(()) | Err(JournalError::NotFound(_))), "{closed:?}");
    }
    assert_eq!(deleted.await.expect("joined").expect("deleted"), 20);
    assert!(all_trades(&t).await.is_empty());
}

crate::cases!(
    crate::support::StoreUnderTest:
    an_import_deleted_while_its_trades_close_leaves_whole,
    a_list_is_imported_whole_and_again_makes_nothing,
    an_import_leaves_whole_and_only_with_its_trades,
    a_bad_file_or_a_stranger_imports_nothing,
    racing_imports_of_one_file_make_each_trade_once,
    an_export_imported_elsewhere_reproduces_every_trade,
    an_open_reference_taken_refuses_the_whole_file,
);
