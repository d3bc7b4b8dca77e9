//! Every suite on the SQLite store, each case on a fresh file in a directory removed when the run ends, except the
//! suites of the ports it does not have yet (imports and webhooks, issue 17: `runner::Lacking`), whose places are
//! filled by the memory store.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use quantarya_adapter_memory::MemoryStore;
use quantarya_adapter_sqlite::SqliteStore;
use quantarya_tests::runner::{self, Lacking, MakeStore};
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
            signals: sqlite.clone(),
            trades: sqlite.clone(),
            imports: sqlite,
            webhooks: memory,
        }
    });
    let trials = runner::trials_lacking(&make, runtime.handle(), &[Lacking::Webhooks]);
    let conclusion = runner::run(trials);
    drop(directory);
    conclusion.exit_code()
}
