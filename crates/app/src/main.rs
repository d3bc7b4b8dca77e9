//! `quantarya`: serve the API, mint a token, migrate or copy a store, or print the OpenAPI document.

use std::net::TcpListener;
use std::process::ExitCode;

use actix_web::dev::Server;
use clap::Parser;
use quantarya_adapter_http::mint_hs256_for;
use quantarya_adapter_webhooks::Endpoints;
use quantarya_app::WebhookSettings;
use quantarya_app::config::{Cli, Command, MigrateArgs, ServeArgs, TokenArgs};
use quantarya_app::storage::Storage;
use quantarya_ports::delivery::DeliverySettings;
use rand::Rng;
use rand::distr::Alphanumeric;

/// mimalloc instead of the system allocator: a signal allocates a few dozen small blocks, and glibc's malloc was
/// about 15 % of the server's CPU on the signal path (bench/run, in memory).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Writes `text` and a newline to stdout; a closed pipe (`quantarya openapi | head`) is not an error.
fn print(text: &str) -> Result<(), String> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.to_string()),
        _ => Ok(()),
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

async fn migrate(args: MigrateArgs) -> Result<(), String> {
    match Storage::choose(args.database_url.as_ref(), false, &args.data_dir)? {
        Storage::Postgres(url) => {
            let applied = quantarya_adapter_postgres::migrate(url.expose()).await.map_err(|e| e.to_string())?;
            if applied.is_empty() {
                print("The database is up to date.")
            } else {
                print(&format!("Applied {} migration(s): {}", applied.len(), applied.join(", ")))
            }
        }
        Storage::Sqlite(path) => {
            let shown = path.display().to_string();
            tokio::task::spawn_blocking(move || quantarya_adapter_sqlite::SqliteStore::open(&path))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("cannot migrate {shown}: {e}"))?;
            print(&format!("The SQLite file {shown} is up to date."))
        }
        Storage::Memory => Err("a store in memory has nothing to migrate".to_owned()),
    }
}

fn token(args: TokenArgs) -> Result<(), String> {
    let secret = args.jwt_secret.ok_or("set QUANTARYA_JWT_SECRET (or --jwt-secret) to the secret the service uses")?;
    let (issuer, audience) = (args.issuer.as_deref(), args.audience.as_deref());
    let token =
        mint_hs256_for(secret.expose().as_bytes(), &args.sub, &args.email, now_unix(), args.ttl, issuer, audience)
            .map_err(|e| e.to_string())?;
    print(&token)
}

async fn serve(mut args: ServeArgs) -> Result<(), String> {
    let storage = Storage::choose(args.database_url.as_ref(), args.in_memory, &args.data_dir)?;
    // A server database serves many users on several instances: their tokens must outlive a restart. A file or
    // memory serves one trader trying it out, who gets a demo token per start (their API keys are stored).
    if matches!(storage, Storage::Postgres(_)) && !args.jwt.is_configured() {
        return Err("DATABASE_URL is set but no JWT verification is configured: set QUANTARYA_JWT_SECRET (HS256) \
                    or QUANTARYA_JWT_PUBLIC_KEY (RS256/ES256), so that tokens survive a restart"
            .to_owned());
    }
    let mut demo_secret = None;
    if !args.jwt.is_configured() {
        let secret: String = rand::rng().sample_iter(Alphanumeric).take(48).map(char::from).collect();
        args.jwt.jwt_secret = Some(secret.clone().into());
        demo_secret = Some(secret);
    }
    let signals = quantarya_app::ShutdownSignals::install().map_err(|e| format!("cannot handle signals: {e}"))?;
    let jwt = args.jwt.to_config()?;
    let webhooks = WebhookSettings {
        endpoints: Endpoints { allow_insecure: args.webhooks.webhooks_allow_insecure },
        delivery: DeliverySettings { schedule: args.webhooks.schedule(), ..DeliverySettings::default() },
    };
    if webhooks.endpoints.allow_insecure {
        tracing::warn!("QUANTARYA_WEBHOOKS_ALLOW_INSECURE: webhooks may reach http:// and internal addresses");
    }
    // Installed before the stores are made, so that what they record from the start is kept.
    let metrics =
        args.metrics_bind.as_ref().map(|bind| quantarya_app::metrics::install().map(|h| (h, bind))).transpose()?;
    let service = match &storage {
        Storage::Postgres(url) => {
            quantarya_app::postgres_service(url.expose(), &jwt, args.db_pool_size.map(usize::from), &webhooks).await?
        }
        Storage::Sqlite(path) => quantarya_app::sqlite_service(path, &jwt, &webhooks).await?,
        Storage::Memory => quantarya_app::memory_service(&jwt, &webhooks)?,
    };
    let journal = service.journal;
    let listener = TcpListener::bind(&args.bind).map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let metrics_server = match metrics {
        Some((handle, bind)) => {
            let metrics_listener = quantarya_app::metrics::bind(bind, address)?;
            let metrics_address = metrics_listener.local_addr().map_err(|e| e.to_string())?;
            let levels =
                quantarya_app::metrics::Levels { health: service.health, deliverer: service.deliverer.clone() };
            let server = quantarya_app::metrics::server(metrics_listener, handle, levels).map_err(|e| e.to_string())?;
            print(&format!("Metrics are served on http://{metrics_address}/metrics"))?;
            Some(server)
        }
        None => None,
    };

    print(&format!("Quantarya is listening on http://{address}"))?;
    if storage == Storage::Memory {
        tracing::warn!("storage is IN MEMORY: nothing will survive a restart; drop --in-memory to keep data");
    }
    print(&storage.describe())?;
    if let Some(secret) = demo_secret {
        let (issuer, audience) = (jwt.issuer.as_deref(), jwt.audience.as_deref());
        let token = mint_hs256_for(
            secret.as_bytes(),
            "demo-user",
            "demo@example.com",
            now_unix(),
            24 * 3_600,
            issuer,
            audience,
        )
        .map_err(|e| e.to_string())?;
        print("No JWT secret configured: generated one for this session only.")?;
        print("Demo user token (valid 24 h):")?;
        print(&token)?;
    }
    let (server, in_flight) =
        quantarya_app::server(listener, journal.clone(), args.workers.map(usize::from), &args.limits.to_settings())
            .map_err(|e| e.to_string())?;
    actix_web::rt::spawn(signals.stop_gracefully(server.handle(), in_flight));
    let (deliveries, delivering) = quantarya_app::webhooks::spawn(service.deliverer);
    let metrics_stop = metrics_server.as_ref().map(Server::handle);
    if let Some(metrics_server) = metrics_server {
        actix_web::rt::spawn(metrics_server);
    }
    server.await.map_err(|e| e.to_string())?;
    // No request is in flight: let the webhook round in flight finish (its attempts take at most 10 s each), so
    // that what it sent is recorded as sent.
    deliveries.stop();
    let grace = std::time::Duration::from_secs(quantarya_app::SHUTDOWN_GRACE_SECONDS);
    if actix_web::rt::time::timeout(grace, delivering).await.is_err() {
        tracing::warn!("gave up waiting for webhook deliveries in flight; their claims end on their own");
    }
    // Every request has been answered: write what they queued (the signal log) before the process ends, for as
    // long as a graceful stop may take.
    match actix_web::rt::time::timeout(grace, journal.flush()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(error = %error, "could not write the last signal log entries"),
        Err(_) => tracing::warn!("gave up writing the last signal log entries: storage took too long"),
    }
    // Scraped until the end: the last deliveries and the last writes show.
    if let Some(metrics_stop) = metrics_stop {
        metrics_stop.stop(true).await;
    }
    tracing::info!("stopped");
    Ok(())
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => {
            let small_pages = quantarya_app::memory::without_huge_pages();
            match quantarya_app::logs::init(&args.traces) {
                Ok(_logs) => {
                    if !small_pages {
                        tracing::warn!(
                            "transparent huge pages could not be turned off: a growing store may stall requests"
                        );
                    }
                    serve(*args).await
                }
                Err(error) => Err(error),
            }
        }
        Command::Token(args) => token(args),
        Command::Migrate(args) => migrate(args).await,
        Command::Copy(args) => quantarya_app::copy::run(args).await.and_then(|done| print(&done)),
        Command::Openapi => print(&quantarya_adapter_http::openapi_json()),
        Command::Healthcheck(args) => quantarya_app::healthcheck::check(&args.bind),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("quantarya: {message}");
            ExitCode::FAILURE
        }
    }
}
