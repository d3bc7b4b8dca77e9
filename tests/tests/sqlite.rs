//! The cases the SQLite store's parts so far can answer (profiles, strategies, API keys: `runner::ACCOUNT_CASES`;
//! and the signal log's suite), each on a fresh file in a directory removed when the run ends. The store's other
//! ports are not written yet (issue 17): their places are filled by the memory store, which these cases never
//! write to.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use quantarya_adapter_memory::MemoryStore;
use quantarya_adapter_sqlite::SqliteStore;
use quantarya_tests::runner::{self, MakeStore};
use quantarya_tests::support::StoreUnderTest;

fn main() -> ExitCode {
    let Some(runtime) = runner::runtime() else {
        return ExitCode::FAILURE;
    };
    let directory = match tempfile::tempdir() {
        Ok(directory) => directory,
        Err(error) => {
            eprintln!("cannot make a directory for the SQLite files: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (root, files) = (directory.path().to_path_buf(), Arc::new(AtomicUsize::new(0)));
    let make: MakeStore = Arc::new(move || {
        let file = root.join(format!("case-{}.db", files.fetch_add(1, Ordering::Relaxed)));
        let sqlite = Arc::new(SqliteStore::open(&file).expect("a fresh SQLite file opens"));
        let memory = Arc::new(MemoryStore::new());
        StoreUnderTest {
            users: sqlite.clone(),
            strategies: sqlite.clone(),
            api_keys: sqlite.clone(),
            health: sqlite.clone(),
            signals: sqlite,
            trades: memory.clone(),
            imports: memory.clone(),
            webhooks: memory,
        }
    });
    let trials = runner::account_and_signal_log_trials(&make, runtime.handle());
    let conclusion = runner::run(trials);
    drop(directory);
    conclusion.exit_code()
}
