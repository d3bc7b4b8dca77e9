//! The webhook path's shortcut: a new entry is one store call, and a write the store refuses for its receipt is
//! judged from the receipts as any other.

use uuid::Uuid;

use super::*;

fn identity() -> SignalIdentity {
    SignalIdentity { key: None, body: quantarya_domain::BodyHash::from_bytes([3; 32]) }
}

#[tokio::test]
async fn a_new_referenced_entry_with_its_receipt_is_one_store_call() {
    let strategy = strategy();
    let mut mocks = Mocks::default();
    // No `signal_receipts` expectation: reading the receipts first would panic.
    mocks
        .trades
        .expect_insert_trade()
        .times(1)
        .withf(|trade, event, receipt| {
            receipt.is_some_and(|r| {
                r.after.is_none()
                    && r.key.is_none()
                    && r.receipt.trade_id == trade.id
                    && r.receipt.event_id == event.id
                    && r.receipt.body_hash == identity().body
            })
        })
        .returning(|_, _, _| Ok(()));
    let service = mocks.service();
    let entry = Signal::Entry(new_trade(Some("Long")));
    let outcome = service.submit_signal(&key_principal(), strategy.id, entry, Some(identity())).await;
    assert!(matches!(outcome, Ok(SignalOutcome { effect: SignalEffect::Created, .. })), "{outcome:?}");
}

#[tokio::test]
async fn an_entry_the_store_refuses_for_its_receipt_is_judged_from_its_receipts() {
    let strategy = strategy();
    let earlier = open_trade(&strategy, CredentialKind::ApiKey, Some("Long"));
    let mut mocks = Mocks::default();
    // The target has a receipt: the store refuses the shortcut's write, the receipt is read, and the request is
    // the repeat it records.
    mocks
        .trades
        .expect_insert_trade()
        .times(1)
        .returning(|_, _, _| Err(StoreError::Conflict(StoreConflict::ReceiptRaced)));
    let receipt = quantarya_domain::Receipt {
        body_hash: identity().body,
        trade_id: earlier.id,
        event_id: EventId::from_uuid(Uuid::now_v7()),
        at: SystemClock.now(),
    };
    mocks
        .trades
        .expect_signal_receipts()
        .times(1)
        .returning(move |_, _, _, _| Ok(crate::outbound::SignalReceipts { latest: Some(receipt), keyed: None }));
    let found = earlier.clone();
    mocks.trades.expect_get_trade().times(1).returning(move |_, _, _| Ok(Some(found.clone())));
    let service = mocks.service();
    let entry = Signal::Entry(new_trade(Some("Long")));
    let outcome = service.submit_signal(&key_principal(), strategy.id, entry, Some(identity())).await;
    match outcome {
        Ok(SignalOutcome { effect: SignalEffect::Replayed, trade }) => assert_eq!(trade.id, earlier.id),
        other => panic!("a repeat is replayed from its receipt: {other:?}"),
    }
}
