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

/// A database made for this test run. Dropped by [`TestDatabase::drop_database`], or when the value is dropped
/// (a failing test that panics still cleans up after itself).
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
    cluster: Option<Cluster>,
    dropped: bool,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .field("url", &redact(&self.url))
            .field("throwaway_cluster", &self.cluster.is_some())
            .finish()
    }
}

/// A throwaway PostgreSQL cluster in a temporary directory.
#[derive(Debug)]
struct Cluster {
    dir: PathBuf,
    pg_ctl: PathBuf,
    run_as: Option<String>,
}

/// `url` with its passwords hidden, for messages: the user-info password and any `password=` parameter, in URL
/// or key-value form.
pub fn redact(url: &str) -> String {
    let mut text = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    };
    while let Some(start) = text.find("password=").map(|i| i + "password=".len()) {
        if text[start..].starts_with("***") {
            break;
        }
        let end = text[start..].find(['&', ' ']).map_or(text.len(), |i| start + i);
        text.replace_range(start..end, "***");
    }
    text
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

/// Runs `statements` (one or several, `;`-separated, in one implicit transaction unless they say otherwise) on a
/// connection of its own to `url`: for tests that must reach under the store, such as a change no trigger sees.
pub async fn run_sql(url: &str, statements: &str) -> Result<(), String> {
    use diesel_async::SimpleAsyncConnection;
    let mut conn = AsyncPgConnection::establish(url).await.map_err(|e| e.to_string())?;
    conn.batch_execute(statements).await.map_err(|e| e.to_string())
}

/// A connection of its own to a database, kept open between statements: for tests that hold a transaction (and its
/// locks) open while the store works. Dropping it ends the transaction.
pub struct Session(AsyncPgConnection);

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session")
    }
}

impl Session {
    /// A new connection to `url`.
    pub async fn open(url: &str) -> Result<Self, String> {
        AsyncPgConnection::establish(url).await.map(Self).map_err(|e| e.to_string())
    }

    /// Runs `statements` on this connection, within whatever transaction it has open.
    pub async fn run(&mut self, statements: &str) -> Result<(), String> {
        use diesel_async::SimpleAsyncConnection;
        self.0.batch_execute(statements).await.map_err(|e| e.to_string())
    }
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
            // A server that answers but refuses us (a wrong password, a missing role) is a configuration to fix,
            // not a reason to test against another server.
            Err(error) if !no_server_answers(&configured) => {
                return Err(format!("cannot connect to {}: {error}", redact(&configured)));
            }
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
        // UTF-8 whatever the server's default, so that length checks count characters.
        let create = format!("CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
        execute(&admin_url, &create)
            .await
            .map_err(|e| format!("cannot create database {name} on {}: {e}", redact(&admin_url)))?;
        let url = with_database(&admin_url, &name);
        Ok(Self { admin_url, name, url, cluster, dropped: false })
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
    pub async fn drop_database(mut self) -> Result<(), String> {
        self.dropped = true;
        let dropped = execute(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
        if let Some(cluster) = &self.cluster {
            cluster.stop();
        }
        dropped.map_err(|e| format!("cannot drop {}: {e}", self.name))
    }
}

impl Drop for TestDatabase {
    /// Drops the database of a run that ended without [`TestDatabase::drop_database`] (an early return or a
    /// panic), on a thread of its own so that it works inside and outside a runtime.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let cleaned = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(execute(&admin_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).ok()
        })
        .join();
        if !matches!(cleaned, Ok(Some(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
        if let Some(cluster) = &self.cluster {
            cluster.stop();
        }
    }
}

/// Whether nothing listens where `url` points (rather than a live server that refused us).
fn no_server_answers(url: &str) -> bool {
    let Ok(config) = url.parse::<tokio_postgres::Config>() else {
        return false;
    };
    let ports = config.get_ports();
    config.get_hosts().iter().enumerate().all(|(i, host)| {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        match host {
            tokio_postgres::config::Host::Tcp(name) => {
                let addresses = std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), port));
                !addresses.is_ok_and(|mut found| {
                    found.any(|a| std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_secs(2)).is_ok())
                })
            }
            tokio_postgres::config::Host::Unix(dir) => !dir.join(format!(".s.PGSQL.{port}")).exists(),
        }
    })
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
        // A new directory of our own (creation fails if the name exists), readable by its owner only.
        let suffix: String = rand::rng().sample_iter(Alphanumeric).take(12).map(char::from).collect();
        let dir = std::env::temp_dir().join(format!("quantarya-pg-{suffix}"));
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| format!("cannot restrict {}: {e}", dir.display()))?;
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
        // Only a Unix socket in the private directory: trust authentication reaches no other user.
        let options = format!("-p {port} -k {} -c listen_addresses='' -c fsync=off", cluster.dir.display());
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
        let socket_dir = self.dir.display().to_string().replace('/', "%2F");
        format!("postgres://postgres@{socket_dir}:{}/postgres", port.trim())
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
        assert_eq!(redact("postgres://u@h/db?password=secret&x=1"), "postgres://u@h/db?password=***&x=1");
        assert_eq!(redact("host=h password=secret dbname=d"), "host=h password=*** dbname=d");
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/postgres?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
