//! The benchmark's open-loop load generator. It sends a new referenced entry (as `bench/entry.lua` does) every
//! `1 / rate` seconds whether or not earlier ones were answered, and measures each latency from the moment the
//! request was due, so a stalled server shows in the percentiles instead of slowing the generator (wrk, a closed
//! loop, cannot do this, and the open-loop tools of the field send one fixed body, which receipts answer as a
//! retry).
//!
//! It sends over [`CONNECTIONS`] connections, as a server's clients do, each its share of the schedule (request
//! `n` goes on connection `n mod CONNECTIONS`, as wrk2 spreads its rate): a request due while its connection still
//! waits for an answer waits too, and that wait counts in its latency. It speaks HTTP/1.1 through `hyper`'s
//! connection API, with no pool and no other layer, because it shares the machine's two cores with the server it
//! measures: a heavier client (reqwest's pool) took cores the server needed, and made the server's tail look
//! longer than it is. It first sends at the same rate for a second that it does not measure: opening its
//! connections is not the server's latency. (Each connection sends every `CONNECTIONS / rate` seconds, so below
//! about 30 requests a second a connection would idle past the server's keep-alive and be closed: the run then
//! stops with an error rather than measure reconnections.)
//!
//! Usage: `quantarya-bench-openloop URL API_KEY RATE SECONDS`; prints `sent ok p50_ms p99_ms max_ms` of the
//! measured seconds. With `QUANTARYA_OPENLOOP_TIMELINE` set, it also writes to stderr, for each tenth of a second
//! of the run, the slowest latency of the requests due in it: where the slow ones were, not only how many.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The connections the requests are spread over.
const CONNECTIONS: u64 = 128;

fn arg(n: usize, name: &str) -> Result<String, String> {
    std::env::args().nth(n).ok_or_else(|| format!("missing {name}; usage: URL API_KEY RATE SECONDS"))
}

/// What one connection measured.
struct Measured {
    /// Microseconds, up to a minute, three significant digits.
    latencies: Histogram<u64>,
    /// Answers with 201.
    created: u64,
    /// The slowest latency (µs) of the requests due in each tenth of a second.
    timeline: Vec<u64>,
}

/// The run's plan, shared by every connection.
#[derive(Clone)]
struct Plan {
    uri: Uri,
    key: String,
    run: u32,
    interval: Duration,
    start: Instant,
    /// Requests sent before measuring.
    warm_up: u64,
    /// Requests in all, the warm-up's included.
    total: u64,
    tenths: usize,
    rate: f64,
}

/// Sends connection `lane`'s share of the plan, one request at a time.
async fn lane(plan: Plan, lane: u64) -> Result<Measured, String> {
    let authority = plan.uri.authority().ok_or("the URL has no host")?.clone();
    // The request names its path (origin form); the host goes in its header.
    let path = plan.uri.path_and_query().map_or("/", |path| path.as_str()).to_owned();
    let stream = TcpStream::connect(authority.as_str()).await.map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let mut measured = Measured {
        latencies: Histogram::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?,
        created: 0,
        timeline: vec![0; plan.tenths.max(1)],
    };
    for n in (lane..plan.total).step_by(CONNECTIONS as usize) {
        let due = plan.start + plan.interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let body = format!(
            r#"{{"api_key":"{}","symbol":"BINANCE:BTCUSDT.P","side":"buy","entry":64000.5,"stop_loss":63000,"external_reference":"open-{}-{n}","source":"tradingview"}}"#,
            plan.key, plan.run
        );
        let request = Request::post(path.as_str())
            .header(hyper::header::HOST, authority.as_str())
            .header(hyper::header::CONTENT_TYPE, "text/plain")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        sender.ready().await.map_err(|e| format!("the connection closed: {e}"))?;
        let answer = sender.send_request(request).await;
        let created = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                response.into_body().collect().await.is_ok() && status == 201
            }
            Err(_) => false,
        };
        let micros = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
        let Some(m) = n.checked_sub(plan.warm_up) else { continue };
        measured.created += u64::from(created);
        if let Some(slowest) = measured.timeline.get_mut(((m as f64 / plan.rate) * 10.0) as usize) {
            *slowest = (*slowest).max(micros);
        }
        let _ = measured.latencies.record(micros.min(60_000_000));
    }
    Ok(measured)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let (url, key) = (arg(1, "URL")?, arg(2, "API_KEY")?);
    let rate: f64 = arg(3, "RATE")?.parse().map_err(|_| "RATE is a number of requests per second")?;
    let seconds: f64 = arg(4, "SECONDS")?.parse().map_err(|_| "SECONDS is a number")?;
    if !(rate > 0.0 && seconds > 0.0) {
        return Err("RATE and SECONDS must be positive".to_owned());
    }
    let uri: Uri = url.parse().map_err(|_| format!("{url} is not a URL"))?;
    let warm_up = rate as u64;
    let measured_count = (rate * seconds) as u64;
    let plan = Plan {
        uri,
        key,
        run: std::process::id(),
        interval: Duration::from_secs_f64(1.0 / rate),
        start: Instant::now() + Duration::from_millis(100),
        warm_up,
        total: warm_up + measured_count,
        tenths: (seconds * 10.0).ceil() as usize,
        rate,
    };
    let lanes: Vec<_> = (0..CONNECTIONS).map(|n| tokio::spawn(lane(plan.clone(), n))).collect();
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
    let (mut created, mut timeline) = (0, vec![0_u64; plan.tenths.max(1)]);
    for lane in lanes {
        let measured = lane.await.map_err(|e| e.to_string())??;
        latencies.add(&measured.latencies).map_err(|e| e.to_string())?;
        created += measured.created;
        timeline.iter_mut().zip(&measured.timeline).for_each(|(all, one)| *all = (*all).max(*one));
    }
    if std::env::var_os("QUANTARYA_OPENLOOP_TIMELINE").is_some() {
        for (tenth, slowest) in timeline.iter().enumerate() {
            eprintln!("{:>6.1} s  slowest {:.2} ms", tenth as f64 / 10.0, *slowest as f64 / 1000.0);
        }
    }
    let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    println!("{measured_count} {created} {:.2} {:.2} {:.2}", ms(0.5), ms(0.99), latencies.max() as f64 / 1000.0);
    Ok(())
}
