//! Where `serve` and `migrate` keep the journal: a SQLite file by default (`./quantarya.db`, or in `--data-dir`),
//! the file a `sqlite://` `DATABASE_URL` names, PostgreSQL for a `postgres://` one, or memory when asked for
//! (`--in-memory`, or `DATABASE_URL=memory:`), which keeps nothing.

use std::path::{Path, PathBuf};

use crate::secret::Secret;

/// The name of the journal's file in the data directory.
pub const DEFAULT_FILE: &str = "quantarya.db";

/// Which store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// PostgreSQL at this URL.
    Postgres(Secret),
    /// Memory: lost at exit.
    Memory,
}

impl Storage {
    /// The store `database_url` names (an empty one is none), else memory when `in_memory`, else the default file
    /// in `data_dir`.
    ///
    /// # Errors
    ///
    /// A URL of another scheme, or both a URL and `--in-memory` that disagree; the message never shows the URL
    /// (it may hold a password).
    pub fn choose(database_url: Option<&Secret>, in_memory: bool, data_dir: &Path) -> Result<Self, String> {
        let url = database_url.map(|url| url.expose().trim()).filter(|url| !url.is_empty());
        let named = match url {
            None => None,
            Some("memory:") => Some(Self::Memory),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Some(Self::Postgres(Secret::from(url.to_owned())))
            }
            Some(url) => match url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
                Some("") => return Err("DATABASE_URL=sqlite:// names no file: sqlite:///path/to/quantarya.db".into()),
                Some(path) => Some(Self::Sqlite(PathBuf::from(path))),
                None => {
                    return Err(
                        "DATABASE_URL must start with postgres://, postgresql://, sqlite:// or be memory:".to_owned()
                    );
                }
            },
        };
        match (named, in_memory) {
            (Some(Self::Memory) | None, true) => Ok(Self::Memory),
            (Some(_), true) => Err("--in-memory and a DATABASE_URL that names a database disagree: drop one".into()),
            (Some(storage), false) => Ok(storage),
            (None, false) => Ok(Self::Sqlite(data_dir.join(DEFAULT_FILE))),
        }
    }

    /// What the service says at start of where its data is.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!(
                "Storage: SQLite file {} (set DATABASE_URL=postgres://… for PostgreSQL, or --in-memory for a \
                 throwaway store).",
                path.display()
            ),
            Self::Postgres(_) => "Storage: PostgreSQL (DATABASE_URL).".to_owned(),
            Self::Memory => "Storage: IN MEMORY. Nothing will survive a restart. Drop --in-memory (or \
                             DATABASE_URL=memory:) to keep data in a file."
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(url: Option<&str>, in_memory: bool) -> Result<Storage, String> {
        Storage::choose(url.map(|u| Secret::from(u.to_owned())).as_ref(), in_memory, Path::new("/data"))
    }

    #[test]
    fn the_default_is_a_file_in_the_data_directory_and_urls_pick_the_others() {
        assert_eq!(choose(None, false), Ok(Storage::Sqlite(PathBuf::from("/data/quantarya.db"))));
        assert_eq!(choose(Some("  "), false), Ok(Storage::Sqlite(PathBuf::from("/data/quantarya.db"))));
        assert_eq!(choose(Some("sqlite:///srv/j.db"), false), Ok(Storage::Sqlite(PathBuf::from("/srv/j.db"))));
        assert_eq!(choose(Some("sqlite:j.db"), false), Ok(Storage::Sqlite(PathBuf::from("j.db"))));
        let pg = "postgres://u:p@h/db";
        assert_eq!(choose(Some(pg), false), Ok(Storage::Postgres(Secret::from(pg.to_owned()))));
        assert_eq!(choose(Some("memory:"), false), Ok(Storage::Memory));
        assert_eq!(choose(None, true), Ok(Storage::Memory));
        assert_eq!(choose(Some("memory:"), true), Ok(Storage::Memory));
    }

    #[test]
    fn a_url_it_cannot_use_is_refused_without_being_shown() {
        for url in ["mysql://u:secret@h/db", "sqlite://", "secret-nonsense"] {
            let refused = choose(Some(url), false).expect_err(url);
            assert!(!refused.contains("secret"), "{refused}");
        }
        assert!(choose(Some("postgres://u:secret@h/db"), true).is_err_and(|e| !e.contains("secret")));
    }
}
