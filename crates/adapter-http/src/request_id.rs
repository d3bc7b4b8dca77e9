//! The id of the request being answered: its log line and its `x-request-id` give it, and a line written on the way
//! (a 500's cause, a storage outage) names its request with it. A task-local, not a tracing span: entering and
//! leaving a span at every poll cost the signal path about a seventh of its CPU (`docs/decisions.md`).

use std::future::Future;

use uuid::Uuid;

tokio::task_local! {
    /// The id of the request being answered, while it is.
    static ANSWERING: Uuid;
}

/// `answer`, run as the answer to request `id`.
pub async fn answering<F: Future>(id: Uuid, answer: F) -> F::Output {
    ANSWERING.scope(id, answer).await
}

/// The id of the request the running task is answering, if any.
pub fn current() -> Option<Uuid> {
    ANSWERING.try_with(|id| *id).ok()
}

/// The id of the request the running task is answering, if any, as its log line writes it.
pub fn request_id() -> Option<uuid::fmt::Simple> {
    current().map(Uuid::simple)
}

/// [`request_id`] as a line's `request_id` field: `tracing::error!(request_id = request_id::field(), …)` (left out
/// of a line written outside a request).
pub fn field() -> Option<tracing::field::DisplayValue<uuid::fmt::Simple>> {
    request_id().map(tracing::field::display)
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::*;
    use crate::error::ApiError;
    use crate::logging::{REQUEST_ID, log_requests};

    /// The lines a test's subscriber writes.
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Answers with the id of the request it answers, as lines written on the way would name it.
    async fn own_id() -> HttpResponse {
        HttpResponse::Ok().body(request_id().map(|id| id.to_string()).unwrap_or_default())
    }

    #[actix_web::test]
    async fn lines_written_while_answering_name_the_request_its_header_names() {
        let app = test::init_service(App::new().route("/", web::get().to(own_id)).wrap(from_fn(log_requests))).await;
        let mut ids = Vec::new();
        for _ in 0..2 {
            let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
            let header = res.headers().get(REQUEST_ID).expect("tagged").to_str().expect("text").to_owned();
            let named = String::from_utf8(test::read_body(res).await.to_vec()).expect("text");
            assert_eq!(named, header);
            assert_eq!(header.len(), 32, "a UUID without hyphens: {header}");
            ids.push(header);
        }
        assert_ne!(ids[0], ids[1], "one id per request");
        assert!(request_id().is_none(), "no request outside one");
    }

    #[actix_web::test]
    async fn a_500s_cause_is_logged_with_the_id_of_its_request() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let failing = || async { Err::<HttpResponse, _>(ApiError::internal("the disk is on fire")) };
        let app = test::init_service(App::new().route("/", web::get().to(failing)).wrap(from_fn(log_requests))).await;
        let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        assert_eq!(res.status(), 500);
        let header = res.headers().get(REQUEST_ID).expect("tagged").to_str().expect("text").to_owned();
        let text = String::from_utf8(lines.0.lock().expect("not poisoned").clone()).expect("text");
        let cause = text.lines().find(|l| l.contains("the disk is on fire")).expect("the cause is logged");
        assert!(cause.contains(&format!("request_id={header}")), "{text}");
    }
}
