//! Every suite on the SQLite store, each case on a fresh file in a directory removed when the run ends.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use libtest_mimic::Trial;
use quantarya_adapter_sqlite::SqliteStore;
use quantarya_tests::copy_suite::{self, CopyEnd};
use quantarya_tests::runner::{self, MakeIsolated, MakeStore};
use quantarya_tests::support::StoreUnderTest;

/// Fresh files in one directory, numbered.
struct Files {
    root: PathBuf,
    made: AtomicUsize,
}

impl Files {
    fn store(&self) -> StoreUnderTest {
        let file = self.root.join(format!("case-{}.db", self.made.fetch_add(1, Ordering::Relaxed)));
        StoreUnderTest::of(Arc::new(SqliteStore::open(&file).expect("a fresh SQLite file opens")))
    }
}

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
    let files = Arc::new(Files { root: directory.path().to_path_buf(), made: AtomicUsize::new(0) });
    let make: MakeStore = {
        let files = files.clone();
        Arc::new(move || files.store())
    };
    let isolated: MakeIsolated = Arc::new(move || {
        let store = files.store();
        Box::pin(async move { (store, Box::new(()) as Box<dyn std::any::Any>) })
    });
    let mut trials = runner::trials(&make, runtime.handle());
    trials.extend(runner::isolated_trials(&isolated, runtime.handle()));
    let (handle, root) = (runtime.handle().clone(), directory.path().to_path_buf());
    trials.push(Trial::test("sqlite::a_journal_is_copied_from_file_to_file_row_for_row", move || {
        // Opened inside the runtime: a connection opened outside one would make a runtime of its own.
        let end = |name: &str| CopyEnd::of(Arc::new(SqliteStore::open(root.join(name)).expect("a fresh file opens")));
        handle.block_on(async {
            copy_suite::a_journal_is_copied_row_for_row(end("from.db"), end("to.db"), end("then.db")).await
        });
        Ok(())
    }));
    let conclusion = runner::run(trials);
    drop(directory);
    conclusion.exit_code()
}
