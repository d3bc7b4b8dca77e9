//! The benchmark's open-loop load generator. It sends a new referenced entry (as `bench/entry.lua` does) every
//! `1 / rate` seconds whether or not earlier ones were answered, and measures each latency from the moment the
//! request was due, so a stalled server shows in the percentiles instead of slowing the generator (wrk, a closed
//! loop, cannot do this, and the open-loop tools of the field send one fixed body, which receipts answer as a
//! retry).
//!
//! Usage: `quantarya-bench-openloop URL API_KEY RATE SECONDS`; prints `sent ok p50_ms p99_ms max_ms`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Mutex;

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
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().map_err(|e| e.to_string())?;
    // Microseconds, up to a minute, three significant digits.
    let histogram =
        Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?));
    let ok = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let total = (rate * seconds) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let run = format!("{}", std::process::id());
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..total {
        let due = start + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let body = format!(
            r#"{{"api_key":"{key}","symbol":"BINANCE:BTCUSDT.P","side":"buy","entry":64000.5,"stop_loss":63000,"external_reference":"open-{run}-{n}","source":"tradingview"}}"#
        );
        let (client, url, histogram, ok) = (client.clone(), url.clone(), histogram.clone(), ok.clone());
        tasks.spawn(async move {
            let answer = client.post(&url).header("Content-Type", "text/plain").body(body).send().await;
            let micros = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
            if answer.is_ok_and(|a| a.status().as_u16() == 201) {
                ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let _ = histogram.lock().await.record(micros.min(60_000_000));
        });
    }
    while tasks.join_next().await.is_some() {}
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
