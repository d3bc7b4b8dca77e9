//! Traces: the spans the service opens (one per request, named by its route template and carrying its request id,
//! and one per store call inside it) exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the standard
//! variable, and not made at all when it is not: no layer wants a span then, so `tracing` hands out disabled ones
//! and the request path pays nothing (`docs/decisions.md`). The OpenTelemetry SDK reads its other standard
//! variables itself (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_BSP_SCHEDULE_DELAY`, …).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

use crate::config::TraceArgs;

/// The crates whose spans and warnings are exported: ours.
const OURS: &str = "quantarya";

/// The name of the service in the exported resource, unless `OTEL_SERVICE_NAME` names another.
const SERVICE_NAME: &str = "quantarya";

/// The traces' own endpoint variable, used as it is (no path appended).
const TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

/// The OTLP path of traces, appended to `OTEL_EXPORTER_OTLP_ENDPOINT` as the OTLP specification says.
const TRACES_PATH: &str = "/v1/traces";

/// The exporter while it runs: dropping it sends the spans still batched and stops it.
#[derive(Debug)]
pub struct Exporting(SdkTracerProvider);

impl Drop for Exporting {
    fn drop(&mut self) {
        if let Err(error) = self.0.shutdown() {
            eprintln!("traces: the last spans may not have been exported: {error}");
        }
    }
}

/// Which spans and events go to the exporter: our spans (requests and store calls), and our warnings and errors
/// as events of the span they happen in; nothing at all with no exporter. Decided per call site, once.
///
/// The layer is always in the subscriber, filtered by this: an absent layer (`None`) would instead tell `tracing`
/// it wants every span, and each request would make one (`docs/decisions.md`).
#[derive(Debug, Clone, Copy)]
struct Exported {
    /// Whether an exporter runs.
    on: bool,
}

impl Exported {
    fn wanted(self, meta: &Metadata<'_>) -> bool {
        let limit = if meta.is_span() { Level::INFO } else { Level::WARN };
        self.on && meta.target().starts_with(OURS) && *meta.level() <= limit
    }
}

impl<S> Filter<S> for Exported {
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        self.wanted(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if self.wanted(meta) { Interest::always() } else { Interest::never() }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(if self.on { LevelFilter::INFO } else { LevelFilter::OFF })
    }
}

/// The traces' layer `args` ask for, with what must be kept until the process ends when it exports: with no
/// endpoint set, a layer that wants nothing (and no exporter).
///
/// # Errors
///
/// When the exporter cannot be built (an endpoint that is not a URL, say).
pub fn layer<S>(args: &TraceArgs) -> Result<(impl Layer<S>, Option<Exporting>), String>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let endpoint = args.otlp_endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
    // The traces' own variable turns export on by itself too, as the specification says.
    let traces_endpoint = std::env::var(TRACES_ENDPOINT).ok().filter(|e| !e.trim().is_empty());
    if endpoint.is_none() && traces_endpoint.is_none() {
        return Ok((None.with_filter(Exported { on: false }), None));
    }
    let protocol = match args.otlp_protocol {
        OtlpProtocol::HttpProtobuf => Protocol::HttpBinary,
        OtlpProtocol::HttpJson => Protocol::HttpJson,
    };
    let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_http().with_protocol(protocol);
    // The traces' own variable, when set, is the SDK's to read, as it is; the general one gets the traces' path.
    if let (None, Some(endpoint)) = (&traces_endpoint, endpoint) {
        exporter = exporter.with_endpoint(format!("{}{TRACES_PATH}", endpoint.trim_end_matches('/')));
    }
    // The SDK's reason names the endpoint, and a URL may carry credentials: this message is printed, so it says
    // which setting to look at instead.
    let exporter = exporter.build().map_err(|_| {
        "cannot export traces: OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is not a URL the \
         OTLP exporter takes, such as http://127.0.0.1:4318"
            .to_owned()
    })?;
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(SERVICE_NAME);
    }
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build();
    let tracer = provider.tracer(SERVICE_NAME);
    let layer = Some(tracing_opentelemetry::layer().with_tracer(tracer)).with_filter(Exported { on: true });
    Ok((layer, Some(Exporting(provider))))
}

/// The OTLP encodings this build can send (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OtlpProtocol {
    /// Protocol buffers over HTTP (the OTLP default).
    #[default]
    #[value(name = "http/protobuf")]
    HttpProtobuf,
    /// JSON over HTTP.
    #[value(name = "http/json")]
    HttpJson,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusable_endpoint_is_refused_without_being_shown() {
        let args = TraceArgs {
            otlp_endpoint: Some("http://user:s3cret@exa mple:4318".to_owned()),
            otlp_protocol: OtlpProtocol::default(),
        };
        let refused = layer::<tracing_subscriber::Registry>(&args).err().expect("refused");
        assert!(refused.contains("OTEL_EXPORTER_OTLP_ENDPOINT") && !refused.contains("s3cret"), "{refused}");
    }

    #[test]
    fn no_endpoint_no_exporter() {
        let blank = TraceArgs { otlp_endpoint: Some("  ".to_owned()), otlp_protocol: OtlpProtocol::default() };
        let unset = TraceArgs { otlp_endpoint: None, ..blank.clone() };
        for args in [blank, unset] {
            let (_layer, exporting) = layer::<tracing_subscriber::Registry>(&args).expect("no error");
            assert!(exporting.is_none());
        }
    }
}
