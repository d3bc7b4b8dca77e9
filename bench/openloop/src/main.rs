//! The benchmark's open-loop load generator. It sends a new referenced entry (as `bench/entry.lua` does) every
//! `1 / rate` seconds whether or not earlier ones were answered, and measures each latency from the moment the
//! request was due, so a stalled server shows in the percentiles instead of slowing the generator (wrk, a closed
//! loop, cannot do this, and the open-loop tools of the field send one fixed body, which receipts answer as a
//! retry).
//!
//! It first sends at the same rate for a second that it does not measure: the time its client takes to open the
//! connections that rate needs is not the server's latency. It keeps at most [`IN_FLIGHT`] requests (connections)
//! open, as a server's clients do: a request due while they are all busy waits for one, and its wait counts in
//! its latency. (Without the bound, a slow moment made the client open connection after connection, whose
//! handshakes took the cores the server needed, until the run collapsed.)
//!
//! Usage: `quantarya-bench-openloop URL API_KEY RATE SECONDS`; prints `sent ok p50_ms p99_ms max_ms` of the
//! measured seconds. With
//! `QUANTARYA_OPENLOOP_TIMELINE` set, it also writes to stderr, for each tenth of a second of the run, the
//! requests due in it and their slowest latency: where the slow ones were, not only how many.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Mutex;

/// The most requests in flight at once.
const IN_FLIGHT: usize = 128;

fn arg(n: usize, name: &str) -> Result<String, String> {
    std::env::args().nth(n).ok_or_else(|| format!("missing {name}; usage: URL API_KEY RATE SECONDS"))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let (url, key) = (arg(1, "URL")?, arg(2, "API_KEY")?);
    let rate: f64 = arg(3, "RATE")?.parse().map_err(|_| "RATE is a number of requests per second")?;
    let seconds: f64 = arg(4, "SECONDS")?.parse().map_err(|_| "SECONDS is a number")?;
    if !(rate > 0.0 && seconds > 0.0) {
        return Err("RATE and SECONDS must be positive".to_owned());
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(IN_FLIGHT).build().map_err(|e| e.to_string())?;
    let in_flight = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    // Microseconds, up to a minute, three significant digits.
    let histogram =
        Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?));
    let ok = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let warm_up = rate as u64;
    let total = (rate * seconds) as u64;
    // The slowest latency (µs) of the requests due in each tenth of a second.
    let tenths = (seconds * 10.0).ceil() as usize;
    let timeline: Arc<Vec<std::sync::atomic::AtomicU64>> =
        Arc::new((0..tenths.max(1)).map(|_| std::sync::atomic::AtomicU64::new(0)).collect());
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let run = format!("{}", std::process::id());
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..warm_up + total {
        let due = start + interval.mul_f64(n as f64);
        let measured = n.checked_sub(warm_up);
        tokio::time::sleep_until(due.into()).await;
        let body = format!(
            r#"{{"api_key":"{key}","symbol":"BINANCE:BTCUSDT.P","side":"buy","entry":64000.5,"stop_loss":63000,"external_reference":"open-{run}-{n}","source":"tradingview"}}"#
        );
        let (client, url, histogram, ok) = (client.clone(), url.clone(), histogram.clone(), ok.clone());
        let (slot, in_flight) = (timeline.clone(), in_flight.clone());
        let tenth = measured.map(|m| ((m as f64 / rate) * 10.0) as usize);
        tasks.spawn(async move {
            let Ok(_connection) = in_flight.acquire().await else { return };
            let answer = client.post(&url).header("Content-Type", "text/plain").body(body).send().await;
            let micros = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
            let Some(tenth) = tenth else { return };
            if answer.is_ok_and(|a| a.status().as_u16() == 201) {
                ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if let Some(slowest) = slot.get(tenth) {
                slowest.fetch_max(micros, std::sync::atomic::Ordering::Relaxed);
            }
            let _ = histogram.lock().await.record(micros.min(60_000_000));
        });
    }
    while tasks.join_next().await.is_some() {}
    if std::env::var_os("QUANTARYA_OPENLOOP_TIMELINE").is_some() {
        for (tenth, slowest) in timeline.iter().enumerate() {
            let slowest = slowest.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0;
            eprintln!("{:>6.1} s  {:>4.0} due  slowest {slowest:.2} ms", tenth as f64 / 10.0, rate / 10.0);
        }
    }
    let histogram = histogram.lock().await;
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{total} {} {:.2} {:.2} {:.2}",
        ok.load(std::sync::atomic::Ordering::Relaxed),
        ms(0.5),
        ms(0.99),
        histogram.max() as f64 / 1000.0
    );
    Ok(())
}
