//! `quantarya copy --from … --to …`: a whole journal moved between stores (a SQLite file into PostgreSQL when a
//! trader outgrows the file, or back), with a progress bar on a terminal. The copy itself is the ports'
//! [`copy_journal`]; this file opens the two stores and watches it.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use quantarya_adapter_postgres::{PgStore, PoolSettings};
use quantarya_adapter_sqlite::SqliteStore;
use quantarya_ports::outbound::{JournalCopy, JournalSize};
use quantarya_ports::{CopyProgress, CopyReport, copy_journal};

use crate::config::CopyArgs;
use crate::secret::Secret;
use crate::storage::Storage;

/// Which store a copy's `--from` or `--to` names: a SQLite file or PostgreSQL (memory keeps nothing to copy, and
/// a blank value, an unset variable's, names none: it never falls back to the default file).
fn storage(url: &Secret, flag: &str) -> Result<Storage, String> {
    if url.expose().trim().is_empty() {
        return Err(format!("{flag} is empty: give sqlite:///path/file.db or postgres://…"));
    }
    match Storage::choose(Some(url), false, std::path::Path::new(".")) {
        Ok(Storage::Memory) => Err(format!("{flag} names memory, which keeps nothing between runs to copy")),
        Ok(storage) => Ok(storage),
        Err(error) => Err(format!("{flag}: {error}")),
    }
}

/// How a store is named in what the copy says (never its URL: it may hold a password).
fn named(storage: &Storage) -> String {
    match storage {
        Storage::Sqlite(path) => format!("the SQLite file {}", path.display()),
        Storage::Postgres(_) => "PostgreSQL".to_owned(),
        Storage::Memory => "memory".to_owned(),
    }
}

/// Opens `storage`, migrating it when `migrate` (a SQLite file is always brought up to date as it opens).
async fn open(storage: &Storage, migrate: bool) -> Result<Arc<dyn JournalCopy>, String> {
    match storage {
        Storage::Sqlite(path) => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(path))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("{}: {e}", named(storage)))?;
            Ok(Arc::new(store))
        }
        Storage::Postgres(url) => {
            if migrate {
                quantarya_adapter_postgres::migrate(url.expose()).await.map_err(|e| e.to_string())?;
            }
            Ok(Arc::new(PgStore::connect(url.expose(), PoolSettings::default()).map_err(|e| e.to_string())?))
        }
        Storage::Memory => Err("memory keeps nothing to copy".to_owned()),
    }
}

/// A progress bar of the trades copied, with the accounts in its message; drawn only on a terminal.
struct Bar {
    bar: ProgressBar,
    accounts: u64,
    done: u64,
}

impl CopyProgress for Bar {
    fn begun(&mut self, size: JournalSize) {
        self.bar.set_length(size.trades);
        self.accounts = size.accounts;
        self.bar.set_message(format!("0/{} accounts", size.accounts));
    }

    fn trades_copied(&mut self, trades: u64) {
        self.bar.inc(trades);
    }

    fn account_copied(&mut self) {
        self.done += 1;
        self.bar.set_message(format!("{}/{} accounts", self.done, self.accounts));
    }
}

/// What a finished copy says: what it copied, then what it left out and why.
fn summary(report: &CopyReport, from: &Storage, to: &Storage) -> String {
    let mut said = format!(
        "Copied {} account(s) and {} trade(s) from {} to {}: {} row(s) written, {} already there.",
        report.accounts,
        report.trades,
        named(from),
        named(to),
        report.rows.new,
        report.rows.present
    );
    if report.unreadable > 0 {
        said.push_str(&format!(
            "\nLeft out {} webhook delivery(ies) that do not read back at the source (the service had failed them).",
            report.unreadable
        ));
    }
    for (user, error) in &report.failed {
        let why =
            std::error::Error::source(error).map_or_else(|| error.to_string(), |cause| format!("{error}: {cause}"));
        said.push_str(&format!("\nNot copied: account {user}: {why}."));
    }
    said
}

/// Runs `quantarya copy`: what it did, in one sentence.
///
/// # Errors
///
/// A `--from` or `--to` that names no store this can copy, one store named twice, a store that cannot be opened,
/// the copy's own error (what was written before it stays; running the copy again finishes it), or accounts the
/// target refused (the summary then names each and why, after the others were copied).
pub async fn run(args: CopyArgs) -> Result<String, String> {
    let (from, to) = (storage(&args.from, "--from")?, storage(&args.to, "--to")?);
    if from == to {
        return Err(format!("--from and --to both name {}", named(&from)));
    }
    if let Storage::Sqlite(path) = &from
        && !path.exists()
    {
        return Err(format!("{} does not exist", named(&from)));
    }
    let (source, target) = (open(&from, false).await?, open(&to, true).await?);
    let style =
        ProgressStyle::with_template("{bar:40} {pos}/{len} trades, {msg} ({elapsed})").map_err(|e| e.to_string())?;
    let mut bar = Bar { bar: ProgressBar::new(0).with_style(style), accounts: 0, done: 0 };
    let copied = copy_journal(source.as_ref(), target.as_ref(), &mut bar).await;
    bar.bar.finish_and_clear();
    let report = copied.map_err(|e| format!("{e}; what was written stays, and running the copy again finishes it"))?;
    let said = summary(&report, &from, &to);
    if report.failed.is_empty() {
        Ok(said)
    } else {
        Err(format!("{said}\nThe other accounts were copied; running the copy again retries these."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Secret {
        Secret::from(text.to_owned())
    }

    #[test]
    fn a_copy_names_files_and_postgres_but_never_memory_nor_a_password() {
        assert_eq!(storage(&secret("sqlite:///tmp/a.db"), "--from"), Ok(Storage::Sqlite("/tmp/a.db".into())));
        let pg = storage(&secret("postgres://u:hunter2@db/q"), "--to").expect("PostgreSQL");
        assert_eq!(named(&pg), "PostgreSQL");
        let memory = storage(&secret("memory:"), "--to").expect_err("memory is refused");
        assert!(memory.contains("--to names memory"), "{memory}");
        let other = storage(&secret("mysql://u:hunter2@db/q"), "--from").expect_err("refused");
        assert!(other.starts_with("--from: ") && !other.contains("hunter2"), "{other}");
        let blank = storage(&secret("  "), "--to").expect_err("an unset variable names no store");
        assert!(blank.starts_with("--to is empty"), "{blank}");
    }

    #[tokio::test]
    async fn a_copy_refuses_one_store_twice_and_a_missing_source() {
        let args = CopyArgs { from: secret("sqlite:///tmp/same.db"), to: secret("sqlite:///tmp/same.db") };
        assert_eq!(run(args).await, Err("--from and --to both name the SQLite file /tmp/same.db".to_owned()));
        let directory = std::env::temp_dir().join(format!("quantarya-copy-{}", std::process::id()));
        let missing = directory.join("missing.db");
        let target = directory.join("target.db");
        let args = CopyArgs {
            from: secret(&format!("sqlite://{}", missing.display())),
            to: secret(&format!("sqlite://{}", target.display())),
        };
        let refused = run(args).await.expect_err("no source");
        assert!(refused.ends_with("missing.db does not exist"), "{refused}");
        assert!(!target.exists(), "nothing was made for a copy that could not start");
    }
}
