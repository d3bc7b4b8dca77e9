//! The webhook delivery loop that `serve` runs beside the HTTP server: a round of due deliveries every second
//! (at once again while rounds come back full), a purge of finished deliveries each hour, and a clean stop that
//! finishes the round in flight.

use std::time::Duration;

use quantarya_domain::Timestamp;
use quantarya_domain::chrono::{TimeDelta, Utc};
use quantarya_ports::delivery::WebhookDeliverer;
use tokio::sync::watch;

/// How long the loop waits between rounds that found less than a batch.
pub const POLL: Duration = Duration::from_secs(1);
/// How long finished deliveries stay listed.
pub const KEPT: TimeDelta = TimeDelta::days(7);
/// How often finished deliveries are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Tells the delivery loop to stop after its round in flight.
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
    (StopDeliveries(stop), actix_web::rt::spawn(run(deliverer, stopped)))
}

async fn run(deliverer: WebhookDeliverer, mut stopped: watch::Receiver<bool>) {
    let mut purged_at: Option<tokio::time::Instant> = None;
    while !*stopped.borrow() {
        // A round finishes whole, even when a stop is asked meanwhile: its attempts are recorded, not abandoned.
        let claimed = match deliverer.deliver_due().await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "could not claim webhook deliveries");
                0
            }
        };
        if purged_at.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            purged_at = Some(tokio::time::Instant::now());
            match deliverer.purge(Timestamp::from_datetime(Utc::now() - KEPT)).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "purged finished webhook deliveries"),
                Err(error) => tracing::warn!(%error, "could not purge webhook deliveries"),
            }
        }
        if claimed < deliverer.batch() {
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                _ = stopped.changed() => {}
            }
        }
    }
    tracing::info!("webhook deliveries stopped");
}
