//! Re-deciding a change that lost a race: one helper for every read-decide-write loop of the service, with one
//! error when it gives up.

use std::future::Future;

use crate::{ConflictKind, JournalError};

/// How many times a change is re-read and re-decided when another writer changed the record first.
pub(super) const MAX_ATTEMPTS: usize = 4;

/// What one attempt at a change decided.
pub(super) enum Attempt<T> {
    /// It is done, with this answer.
    Done(T),
    /// Another writer won the race: read again and decide again.
    Retry,
}

/// Runs `attempt` until it is done, at most [`MAX_ATTEMPTS`] times; then [`gave_up`].
pub(super) async fn retry<T, F, Fut>(mut attempt: F) -> Result<T, JournalError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Attempt<T>, JournalError>>,
{
    for _ in 0..MAX_ATTEMPTS {
        if let Attempt::Done(answer) = attempt().await? {
            return Ok(answer);
        }
    }
    Err(gave_up())
}

/// The answer when the record kept changing under a request: a 409 the client may safely retry.
pub(super) fn gave_up() -> JournalError {
    JournalError::conflict(
        ConflictKind::ConcurrentUpdate,
        "the record kept changing while this request was handled; retry it",
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn retries_until_done_and_gives_up_after_the_last_attempt() {
        let calls = AtomicUsize::new(0);
        let calls = &calls;
        let done = retry(move || async move {
            Ok(if calls.fetch_add(1, Ordering::SeqCst) < 2 { Attempt::Retry } else { Attempt::Done(7) })
        })
        .await;
        assert_eq!(done.ok(), Some(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let never = retry(move || async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(Attempt::<()>::Retry)
        })
        .await;
        assert!(matches!(never, Err(JournalError::Conflict { kind: ConflictKind::ConcurrentUpdate, .. })));
        assert_eq!(calls.load(Ordering::SeqCst), MAX_ATTEMPTS);
    }
}
