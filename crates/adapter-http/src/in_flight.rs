//! Requests being handled right now, so that a shutdown can wait for them to finish.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A count of requests whose handling has started and not yet ended, shared by every worker.
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

/// One request in flight; dropping it (the response is sent, or the request is abandoned) ends it.
#[derive(Debug)]
pub struct InFlightRequest(Arc<AtomicUsize>);

impl InFlight {
    /// Requests in flight now.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Starts counting a request.
    pub fn enter(&self) -> InFlightRequest {
        self.0.fetch_add(1, Ordering::SeqCst);
        InFlightRequest(self.0.clone())
    }

    /// Waits until no request is in flight, at most `limit`; whether that happened.
    pub async fn drained(&self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        while self.count() > 0 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

impl Drop for InFlightRequest {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn requests_are_counted_until_they_end() {
        let in_flight = InFlight::default();
        let first = in_flight.enter();
        let second = in_flight.enter();
        assert_eq!(in_flight.count(), 2);
        drop(first);
        assert!(!in_flight.drained(Duration::from_millis(50)).await, "one is still in flight");
        drop(second);
        assert!(in_flight.drained(Duration::from_millis(50)).await);
    }
}
