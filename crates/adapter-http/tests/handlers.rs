//! The handlers against a mock of the use cases: what reaches the journal, and how its answers and errors
//! become statuses, codes and bodies.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::test;
use mockall::predicate::eq;
use quantarya_adapter_http::{AppState, app};
use quantarya_domain::{ApiKeyId, BodyHash, Email, KeyGrant, NewTrade, Side, StrategyId, Symbol, UserId, uuid::Uuid};
use quantarya_ports::{Credential, JournalError, MockJournal, Principal, Signal, SignalIdentity};
use serde_json::{Value, json};

const KEY: &str = "qk_abcdefghijABCDEFGHIJ0123456789xy000000";

fn principal() -> Principal {
    Principal {
        user_id: UserId::parse("u1").expect("valid"),
        credential: Credential::User { email: Email::parse("a@b.c").expect("valid") },
    }
}

async fn call(journal: MockJournal, req: test::TestRequest) -> (StatusCode, Value, String) {
    let service = test::init_service(app(AppState::new(
        Arc::new(journal),
        quantarya_adapter_http::openapi_json(),
        &quantarya_adapter_http::rate_limit::RateLimitSettings::off(),
    )))
    .await;
    let res = test::call_service(&service, req.to_request()).await;
    let status = res.status();
    let bytes = test::read_body(res).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

#[actix_web::test]
async fn a_storage_outage_is_503_and_tells_nothing_of_its_cause() {
    let mut journal = MockJournal::new();
    journal.expect_authenticate().returning(|_| Ok(principal()));
    journal
        .expect_list_strategies()
        .returning(|_| Err(JournalError::Unavailable("connection to 10.1.2.3:5432 refused (password=hunter2)".into())));
    let req = test::TestRequest::get().uri("/strategies").insert_header(("authorization", "Bearer t"));
    let (status, body, text) = call(journal, req).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "storage_unavailable");
    assert!(!text.contains("10.1.2.3") && !text.contains("hunter2"), "{text}");
}

#[actix_web::test]
async fn readiness_follows_storage() {
    let mut journal = MockJournal::new();
    journal.expect_storage_ready().times(1).returning(|| Err(JournalError::Unavailable("down".into())));
    let (status, body, _) = call(journal, test::TestRequest::get().uri("/readyz")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::SERVICE_UNAVAILABLE, json!("storage_unavailable"))
    );
    let mut journal = MockJournal::new();
    journal.expect_storage_ready().times(1).returning(|| Ok(()));
    let (status, _, _) = call(journal, test::TestRequest::get().uri("/readyz")).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn a_key_in_the_body_authenticates_and_is_never_passed_on_or_echoed() {
    let mut journal = MockJournal::new();
    let by_key = Principal {
        user_id: UserId::parse("u1").expect("valid"),
        credential: Credential::ApiKey { key_id: ApiKeyId::from_uuid(Uuid::nil()), grant: KeyGrant::default() },
    };
    let authenticated = by_key.clone();
    let logged_by = by_key.clone();
    journal.expect_authenticate().with(eq(KEY)).times(1).returning(move |_| Ok(authenticated.clone()));
    // The signal the handler builds is the entry the body describes and nothing else: it never carries the key.
    // The journal answers with a refusal, to see the body.
    let book = StrategyId::parse("strat_0192f0c17a4b7cde8f0123456789abcd").expect("valid");
    let expected = Signal::Entry(NewTrade::open(Symbol::parse("EURUSD").expect("valid"), Side::Buy));
    journal
        .expect_submit_signal()
        .withf(move |who, strategy, signal, identity| {
            // The request's identity is its body without the key (and it sent no Idempotency-Key).
            let sent = json!({ "symbol": "EURUSD", "side": "BUY" });
            let body = BodyHash::of(sent.as_object().expect("an object"));
            who == &by_key
                && *strategy == book
                && signal == &expected
                && !format!("{signal:?}").contains(KEY)
                && identity == &Some(SignalIdentity { key: None, body })
        })
        .times(1)
        .returning(|_, _, _, _| Err(JournalError::invalid("symbol", "is not listed")));
    // The refusal goes to the strategy's signal log, with the body as sent less the key.
    journal
        .expect_record_signal()
        .withf(move |who, strategy, report| {
            who == &logged_by
                && *strategy == book
                && report.outcome.status == 422
                && report.outcome.code.as_deref() == Some("validation_failed")
                && report.outcome.details.first().is_some_and(|d| d.field == "symbol")
                && report.body.as_str() == r#"{"side":"BUY","symbol":"EURUSD"}"#
                && (report.trade_id, report.repeat, report.event.as_deref()) == (None, false, None)
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let body = json!({ "api_key": KEY, "symbol": "EURUSD", "side": "BUY" }).to_string();
    let req = test::TestRequest::post()
        .uri("/strategies/strat_0192f0c17a4b7cde8f0123456789abcd/trades")
        .insert_header(("content-type", "text/plain"))
        .set_payload(body);
    let (status, _, text) = call(journal, req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!text.contains(KEY), "{text}");
}

#[actix_web::test]
async fn credentials_are_checked_before_fields_and_bad_ids_never_reach_the_journal() {
    // No expectations: the journal must not be called for a request without credentials.
    let req = test::TestRequest::post()
        .uri("/strategies/strat_0192f0c17a4b7cde8f0123456789abcd/trades")
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"colour": "red"}"#);
    let (status, body, _) = call(MockJournal::new(), req).await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::UNAUTHORIZED, json!("unauthorized")));

    let mut journal = MockJournal::new();
    journal.expect_authenticate().returning(|_| Ok(principal()));
    let req = test::TestRequest::get().uri("/strategies/not-an-id").insert_header(("authorization", "Bearer t"));
    let (status, body, _) = call(journal, req).await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
}

#[actix_web::test]
async fn an_internal_error_is_an_opaque_500() {
    let mut journal = MockJournal::new();
    journal.expect_authenticate().returning(|_| Ok(principal()));
    journal.expect_get_profile().returning(|_| Err(JournalError::Internal("row 7 has version 0".into())));
    let req = test::TestRequest::get().uri("/me").insert_header(("authorization", "Bearer t"));
    let (status, body, text) = call(journal, req).await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::INTERNAL_SERVER_ERROR, json!("internal_error")));
    assert!(!text.contains("row 7"), "{text}");
}
