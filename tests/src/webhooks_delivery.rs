//! The deliverer over a real store, sending with the real HTTP sender to a receiver on loopback: a delivery that
//! fails is attempted again with the same `webhook-id` until delivered, a `Retry-After` is honoured, a spent
//! schedule fails it, a 410 disables the subscription, and the SSRF guard refuses an internal address at delivery
//! even when the subscription was let through. Both stores, each case on a store of its own.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use quantarya_adapter_http::dto::webhook::TradeJson;
use quantarya_adapter_webhooks::{Endpoints, HttpSender};
use quantarya_domain::{DeliveryState, RetrySchedule, Timestamp, Webhook};
use quantarya_ports::delivery::{DeliverySettings, WebhookDeliverer};
use quantarya_ports::outbound::SystemClock;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{StoreUnderTest, now, owner_with_strategy};
use crate::webhooks_conformance::{stored_open, subscription_to};

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: Timestamp,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A receiver on loopback answering from a script (status and extra header line), 204 once the script is spent.
#[derive(Clone)]
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<(u16, &'static str)>) -> Self {
        Self::start_answering_after(Duration::ZERO, script).await
    }

    /// A receiver that takes `delay` to answer each request.
    async fn start_answering_after(delay: Duration, script: Vec<(u16, &'static str)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("bound").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let log = received.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (log, script) = (log.clone(), script.clone());
                tokio::spawn(async move {
                    let mut raw = Vec::new();
                    let mut buf = [0u8; 4096];
                    let (head, body_start) = loop {
                        let Ok(n) = stream.read(&mut buf).await else { return };
                        if n == 0 {
                            return;
                        }
                        raw.extend_from_slice(&buf[..n]);
                        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                            break (String::from_utf8_lossy(&raw[..end]).into_owned(), end + 4);
                        }
                    };
                    let headers: Vec<(String, String)> = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())))
                        .collect();
                    let length = headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut body = raw[body_start..].to_vec();
                    while body.len() < length {
                        let Ok(n) = stream.read(&mut buf).await else { return };
                        if n == 0 {
                            return;
                        }
                        body.extend_from_slice(&buf[..n]);
                    }
                    log.lock().expect("log").push(Received { headers, body, at: now() });
                    tokio::time::sleep(delay).await;
                    let (status, extra) = script.lock().expect("script").pop_front().unwrap_or((204, ""));
                    let extra = if extra.is_empty() { String::new() } else { format!("{extra}\r\n") };
                    let answer =
                        format!("HTTP/1.1 {status} Status\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n");
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        Self { port, received }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("log").clone()
    }
}

/// A deliverer over `s` retrying on `schedule`, allowing or refusing internal endpoints.
fn deliverer(s: &StoreUnderTest, schedule: &[i64], allow_insecure: bool) -> WebhookDeliverer {
    let sender = HttpSender::new(Endpoints { allow_insecure }).expect("a client");
    let schedule = RetrySchedule::new(schedule.iter().map(|s| TimeDelta::seconds(*s)).collect());
    let settings = DeliverySettings { schedule, ..DeliverySettings::default() };
    WebhookDeliverer::new(s.webhooks.clone(), Arc::new(sender), Arc::new(TradeJson), Arc::new(SystemClock), settings)
}

/// Runs delivery rounds until `done` holds of `hook`'s deliveries, for at most `within`.
async fn deliver_until(
    s: &StoreUnderTest,
    deliverer: &WebhookDeliverer,
    hook: &Webhook,
    within: Duration,
    done: impl Fn(&[quantarya_domain::Delivery]) -> bool,
) -> Vec<quantarya_domain::Delivery> {
    let deadline = std::time::Instant::now() + within;
    loop {
        deliverer.deliver_due().await.expect("a round");
        let listed = s.webhooks.webhook_deliveries(&hook.user_id, hook.id, None, 100).await.expect("read");
        let listed = listed.expect("the owner's");
        if done(&listed) || std::time::Instant::now() > deadline {
            return listed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Two refusals, then a 2xx: three attempts of the one event, the same `webhook-id` and body each time, signed
/// Standard Webhooks headers, and the delivery listed as delivered after 3 attempts.
async fn failed_attempts_are_retried_with_the_same_id_until_delivered(s: &StoreUnderTest) {
    let receiver = Receiver::start(vec![(500, ""), (503, "")]).await;
    let (owner, book) = owner_with_strategy(s).await;
    let hook = subscription_to(&receiver.url(), &owner.id, None, &[]);
    s.webhooks.insert_webhook(&hook).await.expect("subscribed");
    let (trade, event) = stored_open(s, &book, "D1").await;
    let deliverer = deliverer(s, &[1, 1, 1], true);
    let listed = deliver_until(s, &deliverer, &hook, Duration::from_secs(20), |d| {
        d.iter().all(|d| d.state != DeliveryState::Pending)
    })
    .await;
    assert_eq!(listed.len(), 1);
    let delivery = &listed[0];
    assert_eq!((delivery.state, delivery.attempts, delivery.last_status), (DeliveryState::Delivered, 3, Some(204)));
    let got = receiver.received();
    assert_eq!(got.len(), 3, "{got:?}");
    let id = event.id.to_string();
    assert!(got.iter().all(|r| r.header("webhook-id") == Some(id.as_str())), "the same id on every attempt");
    assert!(got.iter().all(|r| r.body == got[0].body), "the same body on every attempt");
    assert!(got[1].at.as_datetime() - got[0].at.as_datetime() >= TimeDelta::milliseconds(900), "after the schedule");
    for r in &got {
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert!(r.header("webhook-signature").is_some_and(|s| s.starts_with("v1,")), "{r:?}");
        let sent_at: i64 = r.header("webhook-timestamp").and_then(|t| t.parse().ok()).expect("seconds");
        assert!((sent_at - r.at.as_datetime().timestamp()).abs() <= 5, "the time of the attempt");
    }
    let body: Value = serde_json::from_slice(&got[0].body).expect("JSON");
    assert_eq!(body["type"], "trade.opened");
    assert_eq!(body["timestamp"], event.at.to_rfc3339());
    assert_eq!(body["data"]["trade_id"], trade.id.to_string());
    assert_eq!(body["data"]["status"], "OPEN");
}

/// A `Retry-After` longer than the schedule's delay is waited for; a spent schedule fails the delivery; a 410
/// fails it and disables the subscription.
async fn retry_after_is_honoured_schedules_end_and_gone_disables(s: &StoreUnderTest) {
    let receiver = Receiver::start(vec![(429, "Retry-After: 3"), (500, ""), (500, "")]).await;
    let (owner, book) = owner_with_strategy(s).await;
    let hook = subscription_to(&receiver.url(), &owner.id, None, &[]);
    s.webhooks.insert_webhook(&hook).await.expect("subscribed");
    stored_open(s, &book, "R1").await;
    let deliverer = deliverer(s, &[1, 1], true);
    let listed = deliver_until(s, &deliverer, &hook, Duration::from_secs(20), |d| {
        d.iter().all(|d| d.state != DeliveryState::Pending)
    })
    .await;
    assert_eq!((listed[0].state, listed[0].attempts, listed[0].last_status), (DeliveryState::Failed, 3, Some(500)));
    assert_eq!(listed[0].last_error.as_deref(), Some("answered 500"));
    let got = receiver.received();
    assert_eq!(got.len(), 3, "the first attempt and the two retries of the schedule");
    let waited = got[1].at.as_datetime() - got[0].at.as_datetime();
    assert!(waited >= TimeDelta::milliseconds(2900), "Retry-After: 3 was honoured (waited {waited})");

    let gone = Receiver::start(vec![(410, "")]).await;
    let doomed = subscription_to(&gone.url(), &owner.id, None, &[]);
    s.webhooks.insert_webhook(&doomed).await.expect("subscribed");
    stored_open(s, &book, "R2").await;
    let listed = deliver_until(s, &deliverer, &doomed, Duration::from_secs(10), |d| {
        d.iter().all(|d| d.state != DeliveryState::Pending)
    })
    .await;
    assert_eq!((listed[0].state, listed[0].last_status), (DeliveryState::Failed, Some(410)));
    let hooks = s.webhooks.list_webhooks(&owner.id).await.expect("listed");
    let disabled = hooks.iter().find(|h| h.id == doomed.id).expect("still listed");
    assert!(disabled.disabled_at.is_some(), "a 410 disables the endpoint");
    stored_open(s, &book, "R3").await;
    let after = s.webhooks.webhook_deliveries(&owner.id, doomed.id, None, 10).await.expect("read").expect("owned");
    assert_eq!(after.len(), 1, "a disabled endpoint gets no new event");
}

/// A subscription that reached the store with an internal address (as one made while its name resolved
/// elsewhere would) is refused at delivery: nothing reaches the address, and the delivery says why.
async fn the_ssrf_guard_refuses_internal_addresses_at_delivery(s: &StoreUnderTest) {
    let receiver = Receiver::start(vec![]).await;
    let (owner, book) = owner_with_strategy(s).await;
    let by_name = subscription_to(&format!("https://localhost:{}/hook", receiver.port), &owner.id, None, &[]);
    let by_address = subscription_to(&format!("https://127.0.0.1:{}/hook", receiver.port), &owner.id, None, &[]);
    let plain = subscription_to(&receiver.url(), &owner.id, None, &[]);
    for hook in [&by_name, &by_address, &plain] {
        s.webhooks.insert_webhook(hook).await.expect("subscribed");
    }
    stored_open(s, &book, "S1").await;
    let deliverer = deliverer(s, &[60], false);
    for hook in [&by_name, &by_address, &plain] {
        let listed =
            deliver_until(s, &deliverer, hook, Duration::from_secs(10), |d| d.iter().all(|d| d.attempts > 0)).await;
        let error = listed[0].last_error.clone().unwrap_or_default();
        assert_eq!((listed[0].state, listed[0].last_status), (DeliveryState::Pending, None), "{error}");
        assert!(error.contains("loopback") || error.contains("https"), "it says why: {error}");
    }
    assert!(receiver.received().is_empty(), "nothing reached the internal address");
}

/// An endpoint that takes 3 s to answer holds at most `per_endpoint` of the serving loop's attempts: a delivery to
/// another endpoint, due after forty to the slow one, goes out at once; and a stop finishes the attempts in flight,
/// each recorded as what it was.
async fn a_slow_endpoint_does_not_hold_the_others_back(s: &StoreUnderTest) {
    let slow = Receiver::start_answering_after(Duration::from_secs(3), vec![]).await;
    let fast = Receiver::start(vec![]).await;
    let (owner, book) = owner_with_strategy(s).await;
    let sluggish = subscription_to(&slow.url(), &owner.id, None, &[]);
    let quick = subscription_to(&fast.url(), &owner.id, Some(&[quantarya_domain::WebhookEvent::Cancelled]), &[]);
    s.webhooks.insert_webhook(&sluggish).await.expect("subscribed");
    s.webhooks.insert_webhook(&quick).await.expect("subscribed");
    let mut last = None;
    for i in 0..40 {
        last = Some(stored_open(s, &book, &format!("L{i}")).await.0);
    }
    let trade = last.expect("forty trades");
    let cancel = quantarya_domain::SignalExit {
        status: Some(quantarya_domain::Status::Cancelled),
        ..quantarya_domain::SignalExit::default()
    };
    let stamp = crate::support::stamp(quantarya_domain::CredentialKind::ApiKey);
    let quantarya_domain::Outcome::Changed(cancelled) =
        trade.apply(quantarya_domain::TradeCommand::Exit(cancel), stamp).expect("cancels")
    else {
        panic!("a cancelling exit changes an open trade");
    };
    s.trades.update_trade(&cancelled.trade, &cancelled.event, None).await.expect("cancelled");

    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let started = std::time::Instant::now();
            let (stop, stopped) = quantarya_app::webhooks::spawn(deliverer(s, &[60], true));
            while fast.received().is_empty() {
                assert!(started.elapsed() < Duration::from_secs(2), "the fast endpoint waited behind the slow one");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let in_flight = slow.received().len();
            assert!((1..=4).contains(&in_flight), "at most 4 attempts to one endpoint at once, {in_flight} made");
            stop.stop();
            stopped.await.expect("the loop ends");
        })
        .await;
    let got = slow.received().len();
    let listed = s.webhooks.webhook_deliveries(&owner.id, sluggish.id, None, 100).await.expect("read").expect("owned");
    let delivered = listed.iter().filter(|d| d.state == DeliveryState::Delivered).count();
    assert_eq!(delivered, got, "every attempt in flight at the stop finished and was recorded");
    assert!(listed.iter().all(|d| d.state != DeliveryState::Delivered || d.attempts == 1));
}

crate::cases!(StoreUnderTest:
    a_slow_endpoint_does_not_hold_the_others_back,
    failed_attempts_are_retried_with_the_same_id_until_delivered,
    retry_after_is_honoured_schedules_end_and_gone_disables,
    the_ssrf_guard_refuses_internal_addresses_at_delivery,
);
