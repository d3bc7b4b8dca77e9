//! The signal log on every store: what reached a strategy, newest first, with what became of it; paginated and
//! filtered; only the owner's strategies; the thousand newest of the last week; gone with its strategy.

use quantarya_domain::{
    LoggedBody, LoggedDetail, LoggedOutcome, SignalId, SignalLogEntry, SignalResult, Timestamp, TradeId, uuid::Uuid,
};
use quantarya_ports::{ForbiddenKind, Journal, JournalError, PageLimit, Principal, SignalLogQuery, SignalReport};

use crate::journal_suite::{Trader, trader_in};
use crate::support::{StoreUnderTest, now};

/// A report of a signal answered with `status`, its body naming `n`.
pub(crate) fn report(n: usize, status: u16) -> SignalReport {
    let refused = !(200..300).contains(&status);
    SignalReport {
        id: None,
        event: Some("entry".into()),
        outcome: LoggedOutcome {
            status,
            message: format!("answer {n}").into(),
            code: refused.then(|| "validation_failed".to_owned()),
            details: if refused {
                vec![LoggedDetail { field: "side".to_owned(), message: "must be buy or sell".to_owned() }]
            } else {
                vec![]
            },
        },
        trade_id: (!refused).then(|| TradeId::from_uuid(Uuid::now_v7())),
        repeat: status == 200,
        body: LoggedBody::new(format!("{{\"event\":\"entry\",\"n\":{n}}}")),
    }
}

/// Every entry of `t`'s strategy log that `query` selects, following the cursors.
async fn read_all(t: &Trader, mut query: SignalLogQuery) -> Vec<SignalLogEntry> {
    let mut all = Vec::new();
    loop {
        let page = t.journal.signal_log(&t.jwt, t.strategy, query).await.expect("the log");
        assert!(page.entries.len() <= query.limit.get());
        all.extend(page.entries);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return all,
        }
    }
}

fn page_of(n: i64) -> PageLimit {
    PageLimit::new(n).expect("a page size")
}

/// Reports sent with a key and a token are read back newest first, field for field, with the key that sent each;
/// the outcome filter and the cursor select and page them; a key may not read the log.
async fn the_log_shows_what_reached_the_strategy_newest_first(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let j = &t.journal;
    let sent: Vec<(Principal, SignalReport)> =
        [(201, &t.key), (422, &t.key), (200, &t.jwt), (403, &t.key), (201, &t.jwt)]
            .into_iter()
            .enumerate()
            .map(|(n, (status, by))| (by.clone(), report(n, status)))
            .collect();
    for (by, report) in &sent {
        j.record_signal(by, t.strategy, report.clone()).expect("recorded");
    }
    let all = read_all(&t, SignalLogQuery { limit: page_of(2), ..SignalLogQuery::default() }).await;
    assert_eq!(all.len(), sent.len());
    for (read, (by, report)) in all.iter().zip(sent.iter().rev()) {
        assert_eq!(read.outcome, report.outcome);
        assert_eq!(
            (&read.event, read.trade_id, read.repeat, &read.body),
            (&report.event, report.trade_id, report.repeat, &report.body)
        );
        let key = match &by.credential {
            quantarya_ports::Credential::ApiKey { key_id, .. } => Some(*key_id),
            quantarya_ports::Credential::User { .. } => None,
        };
        assert_eq!((read.api_key_id, read.strategy_id), (key, t.strategy));
    }
    assert!(all.windows(2).all(|w| (w[0].received_at, w[0].id) > (w[1].received_at, w[1].id)), "newest first");

    let refused =
        read_all(&t, SignalLogQuery { result: Some(SignalResult::Refused), ..SignalLogQuery::default() }).await;
    assert_eq!(refused.iter().map(|e| e.outcome.status).collect::<Vec<_>>(), [403, 422]);
    let accepted =
        read_all(&t, SignalLogQuery { result: Some(SignalResult::Accepted), limit: page_of(1), cursor: None }).await;
    assert_eq!(accepted.iter().map(|e| e.outcome.status).collect::<Vec<_>>(), [201, 200, 201]);

    let by_key = j.signal_log(&t.key, t.strategy, SignalLogQuery::default()).await;
    assert!(matches!(by_key, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))), "{by_key:?}");
}

/// Another user can neither read a strategy's log (404) nor write into it (the store drops the report); the log
/// goes with its strategy.
async fn the_log_is_the_owners_alone_and_goes_with_its_strategy(s: &StoreUnderTest) {
    let (t, other) = (trader_in(s).await, trader_in(s).await);
    other.journal.record_signal(&other.key, t.strategy, report(0, 201)).expect("dropped, not refused");
    other.journal.record_signal(&other.jwt, t.strategy, report(1, 422)).expect("dropped, not refused");
    t.journal.record_signal(&t.key, t.strategy, report(2, 201)).expect("recorded");
    let read = other.journal.signal_log(&other.jwt, t.strategy, SignalLogQuery::default()).await;
    assert!(matches!(read, Err(JournalError::NotFound(_))), "{read:?}");
    let mine = read_all(&t, SignalLogQuery::default()).await;
    assert_eq!(mine.len(), 1, "the other user's reports were dropped: {mine:?}");
    assert_eq!(mine[0].outcome.message, "answer 2");
    assert!(read_all(&other, SignalLogQuery::default()).await.is_empty(), "nothing landed in the other's own log");

    t.journal.delete_strategy(&t.jwt, t.strategy).await.expect("deleted");
    let gone = t.journal.signal_log(&t.jwt, t.strategy, SignalLogQuery::default()).await;
    assert!(matches!(gone, Err(JournalError::NotFound(_))), "{gone:?}");
    // A report that comes after its strategy is gone is dropped, and breaks nothing.
    t.journal.record_signal(&t.key, t.strategy, report(3, 201)).expect("dropped");
    t.journal.flush().await.expect("flushed");
}

/// A strategy shows its thousand newest entries, and none older than a week.
async fn the_log_keeps_the_thousand_newest_of_the_week(s: &StoreUnderTest) {
    let t = trader_in(s).await;
    let extra = 25;
    for n in 0..SignalLogEntry::KEPT_PER_STRATEGY + extra {
        t.journal.record_signal(&t.key, t.strategy, report(n, 201)).expect("recorded");
    }
    let all = read_all(&t, SignalLogQuery { limit: page_of(500), ..SignalLogQuery::default() }).await;
    assert_eq!(all.len(), SignalLogEntry::KEPT_PER_STRATEGY);
    assert_eq!(all[0].outcome.message, format!("answer {}", SignalLogEntry::KEPT_PER_STRATEGY + extra - 1));
    assert_eq!(all[all.len() - 1].outcome.message, format!("answer {extra}"), "the oldest went first");

    // Written through the store with the arrival it had: eight days ago is past the week, six days is within it.
    let fresh = trader_in(s).await;
    let days_ago = |days: i64| Timestamp::from_datetime(now().as_datetime() - chrono::TimeDelta::days(days));
    for (n, at) in [(0, days_ago(8)), (1, days_ago(6))] {
        let r = report(n, 201);
        let entry = SignalLogEntry {
            id: SignalId::from_uuid(Uuid::now_v7()),
            strategy_id: fresh.strategy,
            received_at: at,
            event: r.event,
            outcome: r.outcome,
            trade_id: r.trade_id,
            repeat: r.repeat,
            api_key_id: None,
            body: r.body,
        };
        s.signals.record_signal(&fresh.jwt.user_id, entry).expect("recorded");
    }
    let week = read_all(&fresh, SignalLogQuery::default()).await;
    assert_eq!(week.iter().map(|e| e.outcome.message.as_ref()).collect::<Vec<_>>(), ["answer 1"]);
}

crate::cases!(
    crate::support::StoreUnderTest:
    the_log_shows_what_reached_the_strategy_newest_first,
    the_log_is_the_owners_alone_and_goes_with_its_strategy,
    the_log_keeps_the_thousand_newest_of_the_week,
);
