//! The webhook delivery loop that `serve` runs beside the HTTP server. It keeps up to `in_flight` attempts going
//! (at most `per_endpoint` to one subscription, so an endpoint that is slow or never answers cannot hold every
//! attempt), claims more as soon as some end or each second, purges finished deliveries each hour, and on a stop
//! finishes the attempts in flight.

use std::collections::HashMap;
use std::time::Duration;

use quantarya_domain::chrono::{TimeDelta, Utc};
use quantarya_domain::{Timestamp, WebhookId};
use quantarya_ports::delivery::WebhookDeliverer;
use quantarya_ports::outbound::ClaimedDelivery;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long the loop waits for due deliveries when it has room for more.
pub const POLL: Duration = Duration::from_secs(1);
/// How long finished deliveries stay listed.
pub const KEPT: TimeDelta = TimeDelta::days(7);
/// How often finished deliveries are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Tells the delivery loop to stop once its attempts in flight end.
#[derive(Debug)]
pub struct StopDeliveries(watch::Sender<bool>);

impl StopDeliveries {
    /// Asks the loop to stop.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// Starts the loop on the current runtime; the handle stops it, the join handle says when it has.
pub fn spawn(deliverer: WebhookDeliverer) -> (StopDeliveries, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    (StopDeliveries(stop), tokio::task::spawn_local(run(deliverer, stopped)))
}

/// The attempts in flight, the subscription of each, and how many each subscription has.
struct InFlight {
    tasks: JoinSet<()>,
    hooks: HashMap<tokio::task::Id, WebhookId>,
    per_endpoint: HashMap<WebhookId, usize>,
}

impl InFlight {
    fn start(&mut self, deliverer: &WebhookDeliverer, delivery: ClaimedDelivery) {
        let hook = delivery.webhook_id;
        let deliverer = deliverer.clone();
        let task = self.tasks.spawn_local(async move { deliverer.attempt(&delivery).await });
        self.hooks.insert(task.id(), hook);
        *self.per_endpoint.entry(hook).or_default() += 1;
    }

    /// Counts off the task `id` (ended, or panicked: either way it holds its subscription's room no more).
    fn ended(&mut self, id: tokio::task::Id) {
        let Some(hook) = self.hooks.remove(&id) else { return };
        if let Some(count) = self.per_endpoint.get_mut(&hook) {
            *count -= 1;
            if *count == 0 {
                self.per_endpoint.remove(&hook);
            }
        }
    }

    /// Subscriptions with as many attempts in flight as one may have.
    fn busy(&self, cap: usize) -> Vec<WebhookId> {
        self.per_endpoint.iter().filter(|(_, n)| **n >= cap).map(|(hook, _)| *hook).collect()
    }
}

async fn run(deliverer: WebhookDeliverer, mut stopped: watch::Receiver<bool>) {
    let settings = deliverer.settings().clone();
    let mut flight = InFlight { tasks: JoinSet::new(), hooks: HashMap::new(), per_endpoint: HashMap::new() };
    let mut purged_at: Option<tokio::time::Instant> = None;
    while !*stopped.borrow() {
        let room = settings.in_flight.saturating_sub(flight.tasks.len());
        let mut claimed = 0;
        if room > 0 {
            match deliverer.claim_due(room, flight.busy(settings.per_endpoint)).await {
                Ok(due) => {
                    claimed = due.len();
                    for delivery in due {
                        flight.start(&deliverer, delivery);
                    }
                }
                Err(error) => tracing::warn!(%error, "could not claim webhook deliveries"),
            }
        }
        if purged_at.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            purged_at = Some(tokio::time::Instant::now());
            match deliverer.purge(Timestamp::from_datetime(Utc::now() - KEPT)).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "purged finished webhook deliveries"),
                Err(error) => tracing::warn!(%error, "could not purge webhook deliveries"),
            }
        }
        // A full claim may leave more due: claim again at once. Otherwise wait for an attempt to end (room for
        // one more), the next poll, or a stop.
        if claimed == room && room > 0 {
            continue;
        }
        tokio::select! {
            Some(ended) = flight.tasks.join_next_with_id(), if !flight.tasks.is_empty() => {
                match ended {
                    Ok((id, ())) => flight.ended(id),
                    Err(error) => {
                        tracing::error!(%error, "a webhook attempt failed; its claim ends on its own");
                        flight.ended(error.id());
                    }
                }
            }
            () = tokio::time::sleep(POLL) => {}
            _ = stopped.changed() => {}
        }
    }
    // A stop: the attempts in flight finish and are recorded, not abandoned.
    while flight.tasks.join_next().await.is_some() {}
    tracing::info!("webhook deliveries stopped");
}
