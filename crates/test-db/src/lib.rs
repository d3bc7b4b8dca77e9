//! A fresh PostgreSQL database for one test run: `quantarya_test_<random>` on the server named by `DATABASE_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), migrated, and dropped when the run ends. Where no server
//! answers, a throwaway cluster is started with `initdb`/`pg_ctl` if they are installed; otherwise creating the
//! database fails with a message that says how to provide one. Nothing is ever skipped silently.

#![warn(missing_docs)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::Rng;
use rand::distr::Alphanumeric;

/// The server tests use when `DATABASE_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database made for this test run.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
    cluster: Option<Cluster>,
}

/// A throwaway PostgreSQL cluster in a temporary directory.
#[derive(Debug)]
struct Cluster {
    dir: PathBuf,
    pg_ctl: PathBuf,
    run_as: Option<String>,
}

/// `url` with its password hidden, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

async fn execute(url: &str, statement: &str) -> Result<(), String> {
    let mut conn = AsyncPgConnection::establish(url).await.map_err(|e| e.to_string())?;
    diesel::sql_query(statement).execute(&mut conn).await.map(drop).map_err(|e| e.to_string())
}

impl TestDatabase {
    /// Creates and migrates a fresh database.
    pub async fn create() -> Result<Self, String> {
        let database = Self::create_empty().await?;
        quantarya_adapter_postgres::migrate(&database.url)
            .await
            .map_err(|e| format!("cannot migrate {}: {e}", database.name))?;
        Ok(database)
    }

    /// Creates a fresh database without its schema, for tests of migrating itself.
    pub async fn create_empty() -> Result<Self, String> {
        let configured = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let (admin_url, cluster) = match AsyncPgConnection::establish(&configured).await {
            Ok(_) => (configured, None),
            Err(error) => {
                let cluster = Cluster::start().await.map_err(|why| {
                    format!(
                        "no PostgreSQL server answers at {} ({error}), and {why}. Start one (for example \
                         `pg_ctlcluster 15 main start`), point DATABASE_URL at a server where this user may create \
                         databases, or install PostgreSQL (`apt-get install postgresql`) so that the tests can start \
                         a throwaway cluster",
                        redact(&configured)
                    )
                })?;
                (cluster.url(), Some(cluster))
            }
        };
        let suffix: String =
            rand::rng().sample_iter(Alphanumeric).take(12).map(char::from).collect::<String>().to_lowercase();
        let name = format!("quantarya_test_{suffix}");
        execute(&admin_url, &format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| format!("cannot create database {name} on {}: {e}", redact(&admin_url)))?;
        let url = with_database(&admin_url, &name);
        Ok(Self { admin_url, name, url, cluster })
    }

    /// The URL of the test database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of the server's maintenance database, for tests that create databases of their own.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// Drops the database (closing any connection still open to it) and stops the throwaway cluster, if any.
    pub async fn drop_database(self) -> Result<(), String> {
        let dropped = execute(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
        if let Some(cluster) = &self.cluster {
            cluster.stop();
        }
        dropped.map_err(|e| format!("cannot drop {}: {e}", self.name))
    }
}

/// Finds a PostgreSQL program on the PATH or in Debian's versioned directories.
fn find_program(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).collect::<Vec<_>>())
        .unwrap_or_default();
    let debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.filter_map(Result::ok).map(|d| d.path().join("bin").join(name)).collect())
        .unwrap_or_default();
    on_path.into_iter().chain(debian).find(|path| path.is_file())
}

impl Cluster {
    async fn start() -> Result<Self, String> {
        let initdb = find_program("initdb").ok_or("initdb is not installed")?;
        let pg_ctl = find_program("pg_ctl").ok_or("pg_ctl is not installed")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let dir = std::env::temp_dir().join(format!("quantarya-pg-{port}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // PostgreSQL refuses to run as root; run it as the `postgres` user when there is one.
        let run_as = is_root().then(|| "postgres".to_owned());
        if let Some(user) = &run_as {
            let owned = Command::new("chown").args([&format!("{user}:"), &dir.display().to_string()]).status();
            if !owned.is_ok_and(|s| s.success()) {
                return Err(format!("cannot hand {} to the {user} user", dir.display()));
            }
        }
        let cluster = Self { dir, pg_ctl, run_as };
        let data = cluster.dir.join("data");
        cluster.run(&initdb, &["-D", &data.display().to_string(), "-U", "postgres", "--auth=trust", "-E", "UTF8"])?;
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", cluster.dir.display());
        let log = cluster.dir.join("postgres.log");
        cluster.run(
            &cluster.pg_ctl,
            &["-D", &data.display().to_string(), "-o", &options, "-l", &log.display().to_string(), "-w", "start"],
        )?;
        // Remember the port for `url`.
        std::fs::write(cluster.dir.join("port"), port.to_string()).map_err(|e| e.to_string())?;
        Ok(cluster)
    }

    fn run(&self, program: &Path, args: &[&str]) -> Result<(), String> {
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        let output = command.args(args).output().map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!("{} failed: {}", program.display(), String::from_utf8_lossy(&output.stderr).trim()))
        }
    }

    fn url(&self) -> String {
        let port = std::fs::read_to_string(self.dir.join("port")).unwrap_or_default();
        format!("postgres://postgres@127.0.0.1:{}/postgres", port.trim())
    }

    fn stop(&self) {
        let data = self.dir.join("data").display().to_string();
        let _ = self.run(&self.pg_ctl, &["-D", &data, "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_and_retargeted() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/postgres?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
