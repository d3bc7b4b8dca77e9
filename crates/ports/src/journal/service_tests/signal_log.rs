//! The signal log's use cases: a report is stamped with a fresh id and the key that sent it, and the log is read a
//! week back, with a user JWT only.

use quantarya_domain::SignalId;
use uuid::Uuid;

use super::*;

#[tokio::test]
async fn a_report_is_logged_with_its_key_and_a_fresh_id() {
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    let key = key_principal();
    let Credential::ApiKey { key_id, .. } = key.credential.clone() else { panic!("a key principal") };
    let logged = Arc::new(Mutex::new(Vec::new()));
    let mut mocks = Mocks::default();
    let sink = logged.clone();
    mocks.signals.expect_record_signal().times(2).returning(move |owner, entry| {
        sink.lock().expect("not poisoned").push((owner.clone(), entry));
        Ok(())
    });
    let service = mocks.service();
    let report = SignalReport { event: Some("entry".into()), repeat: true, ..SignalReport::default() };
    service.record_signal(&key, strategy, report.clone()).expect("recorded");
    service.record_signal(&jwt_principal(), strategy, report).expect("recorded");
    let logged = logged.lock().expect("not poisoned");
    let (owner, by_key) = &logged[0];
    assert_eq!((owner, by_key.strategy_id, by_key.api_key_id), (&user_id(), strategy, Some(key_id)));
    assert_eq!((by_key.event.as_deref(), by_key.repeat), (Some("entry"), true));
    assert_eq!(logged[1].1.api_key_id, None, "a user JWT has no key");
    assert_ne!(logged[0].1.id, logged[1].1.id);
}

#[tokio::test]
async fn a_report_that_names_its_id_keeps_it() {
    let named = SignalId::from_uuid(Uuid::now_v7());
    let mut mocks = Mocks::default();
    mocks.signals.expect_record_signal().times(1).returning(move |_, entry| {
        assert_eq!(entry.id, named);
        Ok(())
    });
    let report = SignalReport { id: Some(named), ..SignalReport::default() };
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    mocks.service().record_signal(&key_principal(), strategy, report).expect("recorded");
}

#[tokio::test]
async fn the_signal_log_is_read_with_a_user_jwt_only_and_a_week_back() {
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    let mut mocks = Mocks::default();
    mocks.signals.expect_signal_log().times(1).returning(|_, _, filter, _, limit| {
        let week = quantarya_domain::SignalLogEntry::RETENTION;
        let age = SystemClock.now().as_datetime() - filter.since.as_datetime();
        assert!(age >= week && age < week + chrono::TimeDelta::minutes(1), "{age:?}");
        assert_eq!(limit, 101, "one more than the page, to know whether another follows");
        Ok(Some(vec![]))
    });
    let service = mocks.service();
    let refused = service.signal_log(&key_principal(), strategy, SignalLogQuery::default()).await;
    assert!(matches!(refused, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))), "{refused:?}");
    let page = service.signal_log(&jwt_principal(), strategy, SignalLogQuery::default()).await.expect("read");
    assert_eq!((page.entries.len(), page.next_cursor), (0, None));
}
