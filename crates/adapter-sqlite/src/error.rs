//! SQLite's failures in the ports' vocabulary: a busy or locked file, or one that cannot be opened, is
//! `Unavailable` (a 503: nothing was written); a broken uniqueness rule is a conflict; a missing parent row is
//! `Missing`; anything else is a bug reported as `Corrupt`.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use quantarya_ports::{StoreConflict, StoreError};

/// Maps a query error. SQLite names no constraint to diesel; its message names the index or the columns.
pub(crate) fn query(error: DieselError) -> StoreError {
    match error {
        DieselError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::UniqueViolation => {
                let message = info.message();
                let conflict = if message.contains("users_user_name_key") {
                    StoreConflict::UserNameTaken
                } else if message.contains("trades.external_reference") {
                    // The open-trade slot of a reference (`trades_open_reference_key`, named by its columns).
                    StoreConflict::OpenTradeExists
                } else {
                    StoreConflict::AlreadyExists
                };
                StoreError::Conflict(conflict)
            }
            DatabaseErrorKind::ForeignKeyViolation => StoreError::Missing,
            DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                StoreError::Corrupt(format!("the database refused a row the domain accepted: {}", info.message()))
            }
            // SQLITE_BUSY, SQLITE_LOCKED, a read-only or full disk: the write did not happen.
            _ => StoreError::Unavailable(format!("database error: {}", info.message()).into()),
        },
        DieselError::BrokenTransactionManager | DieselError::AlreadyInTransaction => {
            StoreError::Unavailable(error.to_string().into())
        }
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// A connection that could not be made: the file cannot be opened, or its migrations did not apply.
pub(crate) fn connection(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("the SQLite file: {error}").into())
}
