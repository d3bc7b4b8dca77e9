//! Storage failures in the ports' vocabulary: an outage is `Unavailable`, a broken rule is a conflict, anything
//! else is a bug reported as `Corrupt` (and so a 500 that is logged, never a panic).

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use quantarya_ports::{StoreConflict, StoreError};

/// A pool that could not hand out a connection: the database is unreachable or saturated.
pub(crate) fn pool(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// Maps a query error. Unique violations name their constraint, which says which rule was broken.
pub(crate) fn query(error: DieselError) -> StoreError {
    match error {
        DieselError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::UniqueViolation => {
                let conflict = match info.constraint_name() {
                    Some("users_user_name_key") => StoreConflict::UserNameTaken,
                    Some("trades_open_reference_key") => StoreConflict::OpenTradeExists,
                    // A racing request wrote the first receipt of the target, or took the key.
                    Some("receipt_targets_pkey" | "receipt_keys_pkey") => StoreConflict::ReceiptRaced,
                    _ => StoreConflict::AlreadyExists,
                };
                StoreError::Conflict(conflict)
            }
            DatabaseErrorKind::ForeignKeyViolation => StoreError::Missing,
            DatabaseErrorKind::ClosedConnection => {
                StoreError::Unavailable(format!("connection closed: {}", info.message()).into())
            }
            DatabaseErrorKind::ReadOnlyTransaction => {
                StoreError::Unavailable(format!("the database is read-only: {}", info.message()).into())
            }
            DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                StoreError::Corrupt(format!("the database refused a row the domain accepted: {}", info.message()))
            }
            _ => StoreError::Unavailable(format!("database error: {}", info.message()).into()),
        },
        DieselError::BrokenTransactionManager | DieselError::AlreadyInTransaction => {
            StoreError::Unavailable(error.to_string().into())
        }
        other => StoreError::Corrupt(other.to_string()),
    }
}
