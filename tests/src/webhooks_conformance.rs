//! Store conformance for outbound webhooks: subscriptions (scoped, limited, removed with their deliveries), the
//! outbox (a delivery recorded with each change a subscription wants, the trade as the change left it, none for a
//! write that fails), claims (one claimer per delivery, taken over when the claim ends, recorded only under the
//! claim), a 410 disabling the subscription, pages newest first, and the purge. Both stores, one specification;
//! on PostgreSQL each case has a database of its own, since claims take every due delivery of the store.

use chrono::TimeDelta;
use quantarya_domain::{
    CloseTrade, CredentialKind, Delivery, DeliveryState, NewWebhook, Outcome, Side, Status, Strategy, StrategyId,
    Timestamp, Trade, TradeCommand, TradeEvent, UserId, Webhook, WebhookEvent, WebhookEvents, WebhookId, WebhookSecret,
    WebhookStrategies, WebhookUrl,
};
use quantarya_ports::outbound::{AttemptNext, AttemptRecord, ClaimLimits, ClaimedDelivery, DeliveryCursor};
use quantarya_ports::{StoreConflict, StoreError};
use tokio::task::JoinSet;

use crate::support::{StoreUnderTest, entry, new_uuid, now, opened, owner_with_strategy, stamp, user};

/// A subscription of `owner` to `events` (all when `None`) of `only` (all when empty).
pub fn subscription(owner: &UserId, events: Option<&[WebhookEvent]>, only: &[StrategyId]) -> Webhook {
    subscription_to("https://hooks.example.com/quantarya", owner, events, only)
}

/// [`subscription`], delivering to `url`.
pub fn subscription_to(url: &str, owner: &UserId, events: Option<&[WebhookEvent]>, only: &[StrategyId]) -> Webhook {
    let new = NewWebhook {
        url: WebhookUrl::parse(url).expect("valid"),
        events: events.map_or(WebhookEvents::ALL, |kinds| WebhookEvents::of(kinds.iter().copied()).expect("some")),
        strategy_ids: (!only.is_empty()).then(|| WebhookStrategies::new(only.to_vec()).expect("valid")),
    };
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(new_uuid().as_bytes());
    let secret = WebhookSecret::from_random(key);
    Webhook::create(WebhookId::from_uuid(new_uuid()), owner.clone(), new, secret, now())
}

/// `seconds` after `at`.
pub fn later(at: Timestamp, seconds: i64) -> Timestamp {
    Timestamp::from_datetime(at.as_datetime() + TimeDelta::seconds(seconds))
}

fn closed(trade: &Trade) -> (Trade, TradeEvent) {
    match trade.apply(TradeCommand::Close(CloseTrade::default()), stamp(CredentialKind::User)).expect("closes") {
        Outcome::Changed(transition) => (transition.trade, transition.event),
        Outcome::Unchanged => panic!("closing an open trade changes it"),
    }
}

/// An open trade of `book`, stored.
pub async fn stored_open(s: &StoreUnderTest, book: &Strategy, reference: &str) -> (Trade, TradeEvent) {
    let (trade, event) = opened(book, entry("EURUSD", Side::Buy, Some(reference)), None);
    s.trades.insert_trade(&trade, &event, None).await.expect("stored");
    (trade, event)
}

async fn deliveries(s: &StoreUnderTest, owner: &UserId, hook: &Webhook) -> Vec<Delivery> {
    s.webhooks.webhook_deliveries(owner, hook.id, None, 100).await.expect("read").expect("the owner's subscription")
}

/// Every delivery due at `at` (a hundred at most), claimed for 20 s.
pub async fn claim_all(s: &StoreUnderTest, at: Timestamp) -> Vec<ClaimedDelivery> {
    s.webhooks.claim_deliveries(at, later(at, 20), &ClaimLimits::total(100)).await.expect("claimed")
}

fn record(next: AttemptNext, status: Option<u16>) -> AttemptRecord {
    AttemptRecord { at: now(), status, error: status.filter(|s| *s >= 300).map(|s| format!("answered {s}")), next }
}

/// Subscriptions belong to a profile, are listed oldest first to their owner alone, are limited to ten per user,
/// and are removed by their owner only.
async fn subscriptions_are_scoped_limited_and_removed(s: &StoreUnderTest) {
    let stranger = subscription(&user().id, None, &[]);
    let refused = s.webhooks.insert_webhook(&stranger).await;
    assert!(matches!(refused, Err(StoreError::Missing)), "no profile, no subscription: {refused:?}");
    let (owner, _) = owner_with_strategy(s).await;
    let (other, _) = owner_with_strategy(s).await;
    let mut made = Vec::new();
    for _ in 0..Webhook::LIMIT_PER_USER {
        let hook = subscription(&owner.id, None, &[]);
        s.webhooks.insert_webhook(&hook).await.expect("under the limit");
        made.push(hook);
    }
    let one_more = subscription(&owner.id, None, &[]);
    let over = s.webhooks.insert_webhook(&one_more).await;
    assert!(matches!(over, Err(StoreError::Conflict(StoreConflict::WebhookLimit))), "{over:?}");
    let twice = s.webhooks.insert_webhook(&made[0]).await;
    assert!(
        matches!(twice, Err(StoreError::Conflict(StoreConflict::AlreadyExists))),
        "a duplicate is not one too many: {twice:?}"
    );
    let listed = s.webhooks.list_webhooks(&owner.id).await.expect("listed");
    assert_eq!(listed, made, "oldest first, secrets and all");
    assert!(s.webhooks.list_webhooks(&other.id).await.expect("listed").is_empty());
    assert!(!s.webhooks.delete_webhook(&other.id, made[0].id).await.expect("answered"), "not another's");
    let foreign = s.webhooks.webhook_deliveries(&other.id, made[0].id, None, 10).await;
    assert!(matches!(foreign, Ok(None)), "{foreign:?}");
    assert!(s.webhooks.delete_webhook(&owner.id, made[0].id).await.expect("deleted"));
    assert!(!s.webhooks.delete_webhook(&owner.id, made[0].id).await.expect("answered"), "gone");
    s.webhooks.insert_webhook(&one_more).await.expect("room again");
}

/// Each change is recorded for exactly the subscriptions that want its kind and strategy, with the trade as the
/// change left it; a disabled subscription and a write that fails record nothing.
async fn changes_are_recorded_for_the_subscriptions_that_want_them(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let other_book = crate::support::strategy(&owner.id);
    s.strategies.insert_strategy(&other_book).await.expect("stored");
    let everything = subscription(&owner.id, None, &[]);
    let closes = subscription(&owner.id, Some(&[WebhookEvent::Closed]), &[]);
    let elsewhere = subscription(&owner.id, None, &[other_book.id]);
    for hook in [&everything, &closes, &elsewhere] {
        s.webhooks.insert_webhook(hook).await.expect("subscribed");
    }
    let (trade, opening) = stored_open(s, &book, "W1").await;
    let (done, closing) = closed(&trade);
    s.trades.update_trade(&done, &closing, None).await.expect("closed");
    // The same close again is a stale version: nothing is written, so nothing is announced.
    assert!(s.trades.update_trade(&done, &closing, None).await.is_err());

    let all = deliveries(s, &owner.id, &everything).await;
    let kinds: Vec<(WebhookEvent, _)> = all.iter().map(|d| (d.event, d.event_id)).collect();
    assert_eq!(kinds, [(WebhookEvent::Closed, closing.id), (WebhookEvent::Opened, opening.id)], "newest first");
    assert!(all.iter().all(|d| d.state == DeliveryState::Pending && d.attempts == 0 && d.trade_id == trade.id));
    assert_eq!(all[1].next_attempt_at, Some(opening.at), "due at once");
    let only_closes = deliveries(s, &owner.id, &closes).await;
    assert_eq!(only_closes.iter().map(|d| d.event).collect::<Vec<_>>(), [WebhookEvent::Closed]);
    assert!(deliveries(s, &owner.id, &elsewhere).await.is_empty(), "another strategy's subscription");

    let claimed = claim_all(s, later(now(), 1)).await;
    assert_eq!(claimed.len(), 3);
    let opened_as = claimed.iter().find(|c| c.event_id == opening.id).expect("the opening");
    assert_eq!(opened_as.trade.status, Status::Open, "the trade as the opening left it, though it closed since");
    assert_eq!((opened_as.url.clone(), opened_as.secret.clone()), (everything.url.clone(), everything.secret.clone()));
    let closed_as = claimed.iter().find(|c| c.event_id == closing.id).expect("the closing");
    assert_eq!(closed_as.trade, done);
    assert_eq!((closed_as.event, closed_as.created_at, closed_as.attempts), (WebhookEvent::Closed, closing.at, 0));
}

/// Four claimers racing at `at`, each for two deliveries, at most `per_endpoint` of one subscription: the event
/// ids won, sorted.
async fn race_claims(s: &StoreUnderTest, at: Timestamp, per_endpoint: usize) -> Vec<quantarya_domain::EventId> {
    let mut racing = JoinSet::new();
    for _ in 0..4 {
        let s = s.clone();
        let limits = ClaimLimits { total: 2, per_endpoint, busy: Vec::new() };
        racing.spawn(async move { s.webhooks.claim_deliveries(at, later(at, 20), &limits).await.expect("claimed") });
    }
    let mut won: Vec<_> = racing.join_all().await.into_iter().flatten().map(|c| c.event_id).collect();
    won.sort();
    won
}

/// Limited per subscription, a claim racing one that holds the subscription's oldest deliveries may come back
/// short; still no delivery goes to two claimers, and the next claim takes the rest.
async fn racing_claims_within_a_subscription_limit_share_nothing(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    s.webhooks.insert_webhook(&subscription(&owner.id, None, &[])).await.expect("subscribed");
    for i in 0..6 {
        stored_open(s, &book, &format!("R{i}")).await;
    }
    let at = later(now(), 1);
    let mut won = race_claims(s, at, 2).await;
    let raced = won.len();
    assert!((2..=6).contains(&raced), "at least the first claimer's two, at most all six: {raced}");
    won.extend(claim_all(s, at).await.into_iter().map(|c| c.event_id));
    let mut once = won.clone();
    once.sort();
    once.dedup();
    assert_eq!((won.len(), once.len()), (6, 6), "all six, each once");
}

/// A claimed delivery goes to no other claimer until its claim ends, then is taken over; an attempt is recorded
/// only under the claim that holds it; a retry is due when the record says; racing claimers share nothing.
async fn claims_go_to_one_claimer_and_end(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let hook = subscription(&owner.id, None, &[]);
    s.webhooks.insert_webhook(&hook).await.expect("subscribed");
    for i in 0..6 {
        stored_open(s, &book, &format!("C{i}")).await;
    }
    let at = later(now(), 1);
    // Four claims of two, with no limit per subscription: room for all six, so all six are claimed, once.
    let won = race_claims(s, at, 100).await;
    let mut once = won.clone();
    once.dedup();
    assert_eq!((won.len(), once.len()), (6, 6), "every delivery claimed once");
    assert!(claim_all(s, at).await.is_empty(), "claims hold");

    let taken_over = claim_all(s, later(at, 21)).await;
    assert_eq!(taken_over.len(), 6, "ended claims are taken over");
    let first = &taken_over[0];
    let stale = ClaimedDelivery { claim: new_uuid(), ..first.clone() };
    assert!(!s.webhooks.record_attempt(&stale, &record(AttemptNext::Delivered, Some(200))).await.expect("answered"));
    let retry_at = later(at, 300);
    let failed = record(AttemptNext::RetryAt(retry_at), Some(503));
    assert!(s.webhooks.record_attempt(first, &failed).await.expect("recorded"));
    assert!(!s.webhooks.record_attempt(first, &failed).await.expect("answered"), "a claim records once");
    let shown = deliveries(s, &owner.id, &hook).await;
    let it = shown.iter().find(|d| d.event_id == first.event_id).expect("listed");
    assert_eq!((it.attempts, it.last_status, it.next_attempt_at), (1, Some(503), Some(retry_at)));
    assert_eq!((it.state, it.last_error.as_deref()), (DeliveryState::Pending, Some("answered 503")));

    let released: Vec<_> = taken_over.iter().skip(1).map(|c| c.claim).collect();
    s.webhooks.release_claims(&released).await.expect("released");
    let again = claim_all(s, later(at, 22)).await;
    assert_eq!(again.len(), 5, "released claims are claimed at once; the retry is not due");
    for delivered in &again {
        assert!(s.webhooks.record_attempt(delivered, &record(AttemptNext::Delivered, Some(200))).await.expect("ok"));
    }
    let retried = claim_all(s, retry_at).await;
    assert_eq!(retried.iter().map(|c| (c.event_id, c.attempts)).collect::<Vec<_>>(), [(first.event_id, 1)]);
    assert!(s.webhooks.record_attempt(&retried[0], &record(AttemptNext::Delivered, Some(204))).await.expect("ok"));
    let shown = deliveries(s, &owner.id, &hook).await;
    let it = shown.iter().find(|d| d.event_id == first.event_id).expect("listed");
    assert_eq!(
        (it.state, it.attempts, it.next_attempt_at, it.last_error.clone()),
        (DeliveryState::Delivered, 2, None, None)
    );
    assert!(it.finished_at.is_some());
    assert!(claim_all(s, later(at, 100_000)).await.iter().all(|c| c.event_id != first.event_id), "delivered is done");
}

/// A 410 fails the delivery, disables the subscription, fails its other pending deliveries, and stops it
/// recording; a schedule spent fails a delivery alone.
async fn a_gone_endpoint_disables_its_subscription(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let hook = subscription(&owner.id, None, &[]);
    let spare = subscription(&owner.id, None, &[]);
    s.webhooks.insert_webhook(&hook).await.expect("subscribed");
    s.webhooks.insert_webhook(&spare).await.expect("subscribed");
    stored_open(s, &book, "G1").await;
    stored_open(s, &book, "G2").await;
    let claimed = claim_all(s, later(now(), 1)).await;
    let (gone, spent) = {
        let mine: Vec<_> = claimed.iter().filter(|c| c.webhook_id == hook.id).collect();
        let spare_one = claimed.iter().find(|c| c.webhook_id == spare.id).expect("the spare's");
        (mine[0].clone(), spare_one.clone())
    };
    assert!(s.webhooks.record_attempt(&gone, &record(AttemptNext::Disable, Some(410))).await.expect("recorded"));
    assert!(s.webhooks.record_attempt(&spent, &record(AttemptNext::Failed, Some(500))).await.expect("recorded"));
    let listed = s.webhooks.list_webhooks(&owner.id).await.expect("listed");
    let (disabled, enabled) = (&listed[0], &listed[1]);
    assert_eq!((disabled.id, enabled.id), (hook.id, spare.id));
    assert!(disabled.disabled_at.is_some() && enabled.disabled_at.is_none());
    let states: Vec<_> = deliveries(s, &owner.id, &hook).await.iter().map(|d| d.state).collect();
    assert_eq!(states, [DeliveryState::Failed, DeliveryState::Failed], "its other pending delivery fails with it");
    let spare_states: Vec<_> = deliveries(s, &owner.id, &spare).await.iter().map(|d| d.state).collect();
    assert_eq!(spare_states.iter().filter(|s| **s == DeliveryState::Failed).count(), 1);
    assert_eq!(spare_states.iter().filter(|s| **s == DeliveryState::Pending).count(), 1);

    stored_open(s, &book, "G3").await;
    assert_eq!(deliveries(s, &owner.id, &hook).await.len(), 2, "a disabled subscription records nothing new");
    assert_eq!(deliveries(s, &owner.id, &spare).await.len(), 3);
}

/// Deliveries page newest first with a cursor; removing a subscription removes its deliveries; a purge removes
/// finished deliveries older than its bound and keeps pending ones; deleting the account removes everything.
async fn deliveries_page_and_leave_with_their_subscription(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let hook = subscription(&owner.id, None, &[]);
    s.webhooks.insert_webhook(&hook).await.expect("subscribed");
    for i in 0..5 {
        stored_open(s, &book, &format!("P{i}")).await;
    }
    let all = deliveries(s, &owner.id, &hook).await;
    assert_eq!(all.len(), 5);
    let first = s.webhooks.webhook_deliveries(&owner.id, hook.id, None, 2).await.expect("read").expect("owned");
    let cursor = DeliveryCursor { created_at: first[1].created_at, event_id: first[1].event_id };
    let rest = s.webhooks.webhook_deliveries(&owner.id, hook.id, Some(cursor), 10).await.expect("read").expect("owned");
    let paged: Vec<_> = first.iter().chain(&rest).map(|d| d.event_id).collect();
    assert_eq!(paged, all.iter().map(|d| d.event_id).collect::<Vec<_>>());

    let claimed = claim_all(s, later(now(), 1)).await;
    for c in claimed.iter().take(2) {
        s.webhooks.record_attempt(c, &record(AttemptNext::Delivered, Some(200))).await.expect("recorded");
    }
    s.webhooks.release_claims(&[claimed[0].claim]).await.expect("released");
    assert_eq!(s.webhooks.purge_deliveries(now()).await.expect("purged"), 2, "the two delivered");
    assert_eq!(deliveries(s, &owner.id, &hook).await.len(), 3, "pending ones stay");
    assert_eq!(claim_all(s, later(now(), 1)).await.len(), 3, "and are still delivered");

    assert!(s.webhooks.delete_webhook(&owner.id, hook.id).await.expect("deleted"));
    assert!(claim_all(s, later(now(), 100)).await.is_empty(), "its pending deliveries went with it");

    let again = subscription(&owner.id, None, &[]);
    s.webhooks.insert_webhook(&again).await.expect("subscribed");
    stored_open(s, &book, "P9").await;
    s.users.delete_account(&owner.id).await.expect("deleted").expect("existed");
    assert!(s.webhooks.list_webhooks(&owner.id).await.expect("listed").is_empty());
    assert!(claim_all(s, later(now(), 100)).await.is_empty(), "nothing is delivered for a deleted account");
}

/// A claim takes at most its total, at most its share of one subscription, and nothing of a busy one.
async fn claims_keep_to_their_limits(s: &StoreUnderTest) {
    let (owner, book) = owner_with_strategy(s).await;
    let (a, b) = (subscription(&owner.id, None, &[]), subscription(&owner.id, None, &[]));
    s.webhooks.insert_webhook(&a).await.expect("subscribed");
    s.webhooks.insert_webhook(&b).await.expect("subscribed");
    for i in 0..3 {
        stored_open(s, &book, &format!("K{i}")).await;
    }
    let at = later(now(), 1);
    let count =
        |claimed: &[ClaimedDelivery], hook: &Webhook| claimed.iter().filter(|c| c.webhook_id == hook.id).count();
    let shared = ClaimLimits { total: 10, per_endpoint: 2, busy: vec![] };
    let first = s.webhooks.claim_deliveries(at, later(at, 20), &shared).await.expect("claimed");
    assert_eq!((count(&first, &a), count(&first, &b)), (2, 2), "two of each");
    let b_busy = ClaimLimits { total: 10, per_endpoint: 2, busy: vec![b.id] };
    let second = s.webhooks.claim_deliveries(at, later(at, 20), &b_busy).await.expect("claimed");
    assert_eq!((count(&second, &a), count(&second, &b)), (1, 0), "a's last, none of busy b");
    let third = s.webhooks.claim_deliveries(at, later(at, 20), &ClaimLimits::total(1)).await.expect("claimed");
    assert_eq!((count(&third, &a), count(&third, &b)), (0, 1), "b's last, within a total of one");
}

/// The pending count is the whole outbox's, across users and subscriptions: each change a subscription wants adds
/// one; a claim leaves it pending, a delivery or a give-up takes it out, a retry keeps it.
async fn pending_deliveries_are_counted_across_the_outbox(s: &StoreUnderTest) {
    let pending = || async { s.webhooks.pending_deliveries().await.expect("counted") };
    assert_eq!(pending().await, 0, "an empty outbox");
    let (owner, book) = owner_with_strategy(s).await;
    let (other, other_book) = owner_with_strategy(s).await;
    s.webhooks.insert_webhook(&subscription(&owner.id, None, &[])).await.expect("subscribed");
    s.webhooks.insert_webhook(&subscription(&other.id, None, &[])).await.expect("subscribed");
    for (book, reference) in [(&book, "P1"), (&book, "P2"), (&other_book, "P3")] {
        stored_open(s, book, reference).await;
    }
    assert_eq!(pending().await, 3);
    let claimed = claim_all(s, later(now(), 1)).await;
    assert_eq!((claimed.len(), pending().await), (3, 3), "claimed is still pending");
    let outcomes = [
        record(AttemptNext::Delivered, Some(200)),
        record(AttemptNext::Failed, Some(500)),
        record(AttemptNext::RetryAt(later(now(), 60)), Some(503)),
    ];
    for (delivery, outcome) in claimed.iter().zip(&outcomes) {
        assert!(s.webhooks.record_attempt(delivery, outcome).await.expect("recorded"));
    }
    assert_eq!(pending().await, 1, "the one to retry");
}

crate::cases!(StoreUnderTest:
    pending_deliveries_are_counted_across_the_outbox,
    claims_keep_to_their_limits,
    subscriptions_are_scoped_limited_and_removed,
    changes_are_recorded_for_the_subscriptions_that_want_them,
    claims_go_to_one_claimer_and_end,
    racing_claims_within_a_subscription_limit_share_nothing,
    a_gone_endpoint_disables_its_subscription,
    deliveries_page_and_leave_with_their_subscription,
);
