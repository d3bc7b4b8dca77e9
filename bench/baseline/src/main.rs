//! The benchmark's baseline: `POST /strategies/{strategy_id}/trades` parses the body as `quantarya serve` would
//! (JSON, sent as `application/json` or `text/plain`), takes the fields of an entry, and answers `201` with the
//! `{"message", "data"}` envelope; nothing is checked or stored. `bench/run` measures `quantarya serve` against it.
//!
//! Usage: `quantarya-bench-baseline 127.0.0.1:9000`.

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

static TRADES: AtomicU64 = AtomicU64::new(0);

async fn create(strategy: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let Ok(Value::Object(mut signal)) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest()
            .json(json!({ "message": "invalid JSON", "error": { "code": "invalid_json" } }));
    };
    signal.remove("api_key");
    let n = TRADES.fetch_add(1, Ordering::Relaxed);
    let field = |name: &str| signal.get(name).cloned().unwrap_or(Value::Null);
    let data = json!({
        "trade_id": format!("trd_{n:032x}"),
        "strategy_id": strategy.into_inner(),
        "symbol": field("symbol"),
        "side": field("side"),
        "status": "OPEN",
        "event": "entry",
        "entry": field("entry"),
        "stop_loss": field("stop_loss"),
        "external_reference": field("external_reference"),
    });
    HttpResponse::Created().json(json!({ "message": "Trade created", "data": data }))
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": "ok" }))
}

/// The same allocator as `quantarya serve`, so the ratio compares the servers' work, not their allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9000".to_owned());
    HttpServer::new(|| {
        App::new()
            .route("/healthz", web::get().to(health))
            .route("/strategies/{strategy_id}/trades", web::post().to(create))
    })
    .bind(bind)?
    .run()
    .await
}
