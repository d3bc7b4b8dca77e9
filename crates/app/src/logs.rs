//! How the binary logs: lines to stderr from a thread of their own, filtered by `RUST_LOG` (default `info`), and a
//! client's mistakes never at ERROR. actix-http reports a connection a client broke (bytes that are not HTTP, a body
//! cut short, a client too slow to send its head) as `stream error: …` at ERROR, as if the server had failed; here
//! that line is written at WARN instead, so ERROR stays for what an operator must look at.

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, filter};

/// Where actix-http's HTTP/1 connection handling logs.
const DISPATCHER: &str = "actix_http::h1::dispatcher";

/// How actix-http's line for a broken connection starts.
const STREAM_ERROR: &str = "stream error";

/// Whether `meta` could be actix-http's line for a broken connection.
fn may_be_stream_error(meta: &Metadata<'_>) -> bool {
    meta.target() == DISPATCHER && *meta.level() == Level::ERROR
}

/// The `message` of an event.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// actix-http's line for a broken connection, if `event` is one: its message.
fn stream_error(event: &Event<'_>) -> Option<String> {
    if !may_be_stream_error(event.metadata()) {
        return None;
    }
    let mut message = Message::default();
    event.record(&mut message);
    message.0.starts_with(STREAM_ERROR).then_some(message.0)
}

/// Keeps actix-http's line for a broken connection from the log as it came (at ERROR).
struct NotAtError;

impl<S> Filter<S> for NotAtError {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    /// It lets every level through (`RUST_LOG`'s filter beside it decides): saying so keeps that filter's hint, so
    /// that events below it (actix-http's and tokio's `trace!`s, many a request) stay disabled where they are
    /// written, not filtered one by one as they happen.
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        stream_error(event).is_none()
    }
}

/// Writes actix-http's line for a broken connection again, at WARN.
struct AtWarn;

impl<S: Subscriber> Layer<S> for AtWarn {
    fn on_event(&self, event: &Event<'_>, _cx: Context<'_, S>) {
        if let Some(message) = stream_error(event) {
            tracing::warn!(target: "quantarya::connection", "a client broke its connection: {message}");
        }
    }
}

/// Which events become lines: what `env` (`RUST_LOG`) lets through, but actix-http's line for a broken connection.
fn written<S: Subscriber>(env: EnvFilter) -> impl Filter<S> {
    filter::FilterExt::and(env, NotAtError)
}

/// Which events [`AtWarn`] writes again: actix-http's errors, where its line for a broken connection is.
fn rewritten<S>() -> impl Filter<S> {
    filter::filter_fn(may_be_stream_error).with_max_level_hint(LevelFilter::ERROR)
}

/// Keeps spans out of the log lines: a request's lines name it by its `request_id` field, and a span made for every
/// request would cost the signal path when nothing exports it (the traces' layer asks for spans when it is on).
/// Decided per call site, once, so that with no exporter `tracing` makes no span at all.
#[derive(Debug, Clone, Copy)]
struct NoSpans;

impl<S> Filter<S> for NoSpans {
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        !meta.is_span()
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if meta.is_span() { Interest::never() } else { Interest::always() }
    }

    /// Every level passes (see [`NotAtError::max_level_hint`]).
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }
}

/// What must live as long as the process logs: the log thread's guard (it writes what is left at exit) and the
/// trace exporter, when there is one (it sends the spans still batched at exit).
#[derive(Debug)]
pub struct Logging {
    _lines: tracing_appender::non_blocking::WorkerGuard,
    _traces: Option<crate::traces::Exporting>,
}

/// Starts the logs: stderr, through a thread of its own, so a slow or stalled stderr (a pipe nobody reads, a file
/// under writeback) never holds a request up. Were the handover's buffer ever full, lines would be dropped rather
/// than requests made to wait. The thread writes the lines waiting for it in one go (a buffer it flushes whenever
/// none is left waiting, so no line is held back), not one write per line. The guard flushes what is left at exit.
/// With `traces` naming a collector, spans are exported there too ([`crate::traces`]).
///
/// # Errors
///
/// When the trace exporter cannot be built.
pub fn init(traces: &crate::config::TraceArgs) -> Result<Logging, String> {
    let env = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = tracing_appender::non_blocking(std::io::BufWriter::new(std::io::stderr()));
    let (subscriber, exporting) = subscriber(env, writer, colour, traces)?;
    // The re-written line is an event of its own, emitted while the first is dispatched: that works with the global
    // subscriber set here (tracing dispatches to it without a re-entrancy guard while no scoped one exists).
    subscriber.init();
    Ok(Logging { _lines: guard, _traces: exporting })
}

/// The subscriber [`init`] installs: lines through `writer` as `env` filters them (in colour or not), actix-http's
/// line for a broken connection at WARN, and the traces' layer `traces` asks for, with its exporter when there is
/// one.
///
/// # Errors
///
/// When the trace exporter cannot be built.
pub fn subscriber<W>(
    env: EnvFilter,
    writer: W,
    colour: bool,
    traces: &crate::config::TraceArgs,
) -> Result<(impl Subscriber + Send + Sync + 'static, Option<crate::traces::Exporting>), String>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let lines = tracing_subscriber::fmt::layer().with_target(false).with_ansi(colour).with_writer(writer);
    let (exported, exporting) = crate::traces::layer(traces)?;
    let subscriber = tracing_subscriber::registry()
        .with(lines.with_filter(filter::FilterExt::and(written(env), NoSpans)))
        .with(AtWarn.with_filter(rewritten()))
        .with(exported);
    Ok((subscriber, exporting))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Every line the layers under test write, with its level.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<(Level, String)>>>);

    impl<S: Subscriber> Layer<S> for Lines {
        fn on_event(&self, event: &Event<'_>, _cx: Context<'_, S>) {
            let mut message = Message::default();
            event.record(&mut message);
            let mut lines = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            lines.push((*event.metadata().level(), message.0));
        }
    }

    #[test]
    fn the_filters_keep_the_levels_below_rust_log_disabled_where_they_are_written() {
        type Registry = tracing_subscriber::Registry;
        assert_eq!(written::<Registry>(EnvFilter::new("info")).max_level_hint(), Some(LevelFilter::INFO));
        assert_eq!(rewritten::<Registry>().max_level_hint(), Some(LevelFilter::ERROR));
    }

    #[test]
    fn a_broken_connection_is_logged_at_warn_and_a_server_error_stays_at_error() {
        let lines = Lines::default();
        let subscriber = tracing_subscriber::registry()
            .with(lines.clone().with_filter(NotAtError))
            .with(AtWarn.with_filter(filter::filter_fn(may_be_stream_error)));
        // The re-written line goes to the default subscriber, so the test makes this one the global default (a
        // scoped one would see no nested event); this test binary sets no other.
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber of this binary");
        tracing::error!(target: "actix_http::h1::dispatcher", "stream error: {}", "Parse(Method)");
        tracing::error!(target: "actix_http::h1::dispatcher", "Response payload stream error: {}", "broken");
        tracing::error!("storage unavailable");
        // Only these three: any other test of this binary may log meanwhile.
        let mine = |line: &&(Level, String)| line.1.contains("stream error") || line.1 == "storage unavailable";
        let lines: Vec<_> =
            lines.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().filter(mine).cloned().collect();
        assert_eq!(
            lines,
            [
                (Level::WARN, "a client broke its connection: stream error: Parse(Method)".to_owned()),
                (Level::ERROR, "Response payload stream error: broken".to_owned()),
                (Level::ERROR, "storage unavailable".to_owned()),
            ]
        );
    }
}
