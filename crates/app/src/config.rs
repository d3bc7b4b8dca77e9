//! The command line and the environment, as the README lists them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use quantarya_adapter_http::JwtConfig;
use quantarya_adapter_http::rate_limit::RateLimitSettings;

use quantarya_domain::RetrySchedule;
use quantarya_domain::chrono::TimeDelta;

use crate::secret::Secret;

/// Quantarya: a trade journal and signal tracker.
#[derive(Debug, Parser)]
#[command(name = "quantarya", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, keeping the journal in ./quantarya.db (or --data-dir), or where DATABASE_URL says.
    #[command(after_help = crate::settings::SERVE_AFTER_HELP)]
    Serve(Box<ServeArgs>),
    /// Mint a user JWT with the configured HS256 secret, for local use and tests.
    Token(TokenArgs),
    /// Apply pending migrations to the store serve would use, and exit.
    Migrate(MigrateArgs),
    /// Copy a whole journal from one store into another (a SQLite file into PostgreSQL, say); run it again to
    /// finish one that stopped: what the target holds already is left as it is.
    Copy(CopyArgs),
    /// Print the OpenAPI document of the public routes.
    Openapi,
    /// Exit 0 when the service this host runs answers GET /healthz with 200 (for a container's HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
}

/// `quantarya migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database to migrate: postgres://…, or sqlite:///path/file.db; without it, the data directory's file.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// The directory of the journal's file when DATABASE_URL names none.
    #[arg(long, env = "QUANTARYA_DATA_DIR", default_value = ".")]
    pub data_dir: PathBuf,
}

/// `quantarya healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The address the service binds (a wildcard address is asked on loopback).
    #[arg(long, env = "QUANTARYA_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
}

/// `quantarya copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The store to copy from: sqlite:///path/file.db or postgres://…; stop the service that writes to it first.
    /// A URL with a password is better given by the environment than on the command line.
    #[arg(long, value_name = "URL", env = "QUANTARYA_COPY_FROM", hide_env_values = true)]
    pub from: Secret,
    /// The store to copy into (migrated first): sqlite:///path/file.db or postgres://…
    #[arg(long, value_name = "URL", env = "QUANTARYA_COPY_TO", hide_env_values = true)]
    pub to: Secret,
}

/// How user JWTs are verified.
#[derive(Debug, Clone, Args)]
pub struct JwtArgs {
    /// HS256 shared secret (at least 32 bytes).
    #[arg(long, env = "QUANTARYA_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// RS256 or ES256 public key: PEM text, or the path of a PEM file.
    #[arg(long, env = "QUANTARYA_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<String>,
    /// A JWKS URL (not supported yet: the service refuses to start with it).
    #[arg(long, env = "QUANTARYA_JWT_JWKS_URL")]
    pub jwt_jwks_url: Option<String>,
    /// The required `iss` claim.
    #[arg(long, env = "QUANTARYA_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// The required `aud` claim.
    #[arg(long, env = "QUANTARYA_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
}

impl JwtArgs {
    /// Whether any verification key is configured.
    pub fn is_configured(&self) -> bool {
        self.jwt_secret.is_some() || self.jwt_public_key.is_some() || self.jwt_jwks_url.is_some()
    }

    /// The verifier configuration; reads the public key file when a path is given.
    pub fn to_config(&self) -> Result<JwtConfig, String> {
        if self.jwt_jwks_url.is_some() {
            return Err("QUANTARYA_JWT_JWKS_URL is not supported yet; set QUANTARYA_JWT_PUBLIC_KEY (RS256/ES256 PEM) \
                        or QUANTARYA_JWT_SECRET (HS256) instead"
                .to_owned());
        }
        let public_key_pem = match &self.jwt_public_key {
            Some(key) if key.trim_start().starts_with("-----BEGIN") => Some(key.clone()),
            Some(path) => Some(
                std::fs::read_to_string(PathBuf::from(path))
                    .map_err(|e| format!("cannot read QUANTARYA_JWT_PUBLIC_KEY file {path}: {e}"))?,
            ),
            None => None,
        };
        Ok(JwtConfig {
            hs256_secret: self.jwt_secret.as_ref().map(|s| s.expose().as_bytes().to_vec()),
            public_key_pem,
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
        })
    }
}

/// `quantarya serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "QUANTARYA_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Where the journal is kept: postgres://… (PostgreSQL), sqlite:///path/file.db (a SQLite file) or memory:
    /// (lost at exit); without it, the data directory's quantarya.db.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// The directory of the journal's file (quantarya.db) when DATABASE_URL names none.
    #[arg(long, env = "QUANTARYA_DATA_DIR", default_value = ".")]
    pub data_dir: PathBuf,
    /// Keep the journal in memory: a throwaway store, lost at exit (as DATABASE_URL=memory:).
    #[arg(long)]
    pub in_memory: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "QUANTARYA_WORKERS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
    /// Serve Prometheus metrics at GET /metrics on this address (a port other than the API's; off when unset).
    #[arg(long, env = "QUANTARYA_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// PostgreSQL connections in the pool (default: four times the core count, the best of bench/run's sweep).
    #[arg(long, env = "QUANTARYA_DB_POOL_SIZE", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub db_pool_size: Option<u16>,
    /// User JWT verification.
    #[command(flatten)]
    pub jwt: JwtArgs,
    /// Rate limits.
    #[command(flatten)]
    pub limits: RateLimitArgs,
    /// Outbound webhooks.
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    /// Traces.
    #[command(flatten)]
    pub traces: TraceArgs,
}

/// Where traces go: OpenTelemetry's standard variables, so that a collector's usual settings work as they are.
#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    /// Export traces (a span per request and per store call) over OTLP to this collector, e.g.
    /// http://127.0.0.1:4318 (off unless it or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; the SDK also reads
    /// OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER and the other OTEL_ variables).
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// How traces are encoded for the collector.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_PROTOCOL", value_enum, default_value = "http/protobuf")]
    pub otlp_protocol: crate::traces::OtlpProtocol,
}

/// Outbound webhooks: which endpoints may receive deliveries, and when failed ones are retried.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Allow `http://` endpoints and endpoints on loopback, private, link-local or multicast addresses
    /// (development and tests only: it opens the server to SSRF).
    #[arg(
        long,
        env = "QUANTARYA_WEBHOOKS_ALLOW_INSECURE",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub webhooks_allow_insecure: bool,
    /// Seconds to wait after each failed delivery attempt, comma-separated; the delivery fails after the last.
    #[arg(
        long,
        env = "QUANTARYA_WEBHOOKS_RETRY_SCHEDULE",
        value_delimiter = ',',
        default_value = "5,60,300,1800,7200,28800,86400"
    )]
    pub webhooks_retry_schedule: Vec<u32>,
}

impl WebhookArgs {
    /// The retry schedule.
    pub fn schedule(&self) -> RetrySchedule {
        RetrySchedule::new(self.webhooks_retry_schedule.iter().map(|s| TimeDelta::seconds(i64::from(*s))).collect())
    }
}

/// The rate limits' budgets (requests a minute; 0 turns one off), counted by each instance on its own.
#[derive(Debug, Clone, Args)]
pub struct RateLimitArgs {
    /// Requests a minute per API key; 0 turns it off.
    #[arg(long, env = "QUANTARYA_RATE_KEY_PER_MIN", default_value_t = RateLimitSettings::DEFAULT_PER_KEY)]
    pub rate_key_per_min: u32,
    /// Requests a minute per user, through any of their credentials; 0 turns it off.
    #[arg(long, env = "QUANTARYA_RATE_USER_PER_MIN", default_value_t = RateLimitSettings::DEFAULT_PER_USER)]
    pub rate_user_per_min: u32,
    /// Requests a minute per client address without valid credentials, failed authentications included; 0 turns it
    /// off.
    #[arg(long, env = "QUANTARYA_RATE_ANON_PER_MIN", default_value_t = RateLimitSettings::DEFAULT_PER_ADDRESS)]
    pub rate_anon_per_min: u32,
    /// Proxies in front of the service (comma-separated addresses or CIDRs) whose X-Forwarded-For is believed:
    /// behind one, the client is the right-most address of X-Forwarded-For that is not a proxy.
    #[arg(long, env = "QUANTARYA_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl RateLimitArgs {
    /// The settings the HTTP adapter takes.
    pub fn to_settings(&self) -> RateLimitSettings {
        RateLimitSettings {
            per_key: self.rate_key_per_min,
            per_user: self.rate_user_per_min,
            per_address: self.rate_anon_per_min,
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

/// A trusted proxy: an address (`10.0.0.7`, `::1`) or a network (`10.0.0.0/8`).
fn parse_proxy(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is neither an IP address nor a CIDR network"))
}

/// `quantarya token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The user id (`sub` claim).
    #[arg(long)]
    pub sub: String,
    /// The user's e-mail (`email` claim).
    #[arg(long)]
    pub email: String,
    /// How long the token is valid: 90s, 15m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = crate::ttl::parse_ttl)]
    pub ttl: u64,
    /// The HS256 secret the service verifies with.
    #[arg(long, env = "QUANTARYA_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// The `iss` claim the service requires, if any.
    #[arg(long = "iss", env = "QUANTARYA_JWT_ISSUER")]
    pub issuer: Option<String>,
    /// The `aud` claim the service requires, if any.
    #[arg(long = "aud", env = "QUANTARYA_JWT_AUDIENCE")]
    pub audience: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets() {
        let cli = Cli::parse_from([
            "quantarya",
            "serve",
            "--jwt-secret",
            "s3cret-s3cret-s3cret-s3cret-s3cret",
            "--database-url",
            "postgres://u:hunter2@db/q",
        ]);
        let shown = format!("{cli:?}");
        assert!(!shown.contains("s3cret") && !shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn zero_workers_is_refused() {
        assert!(Cli::try_parse_from(["quantarya", "serve", "--workers", "0"]).is_err());
    }
}
