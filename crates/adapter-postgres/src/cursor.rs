//! Where a page of a list (newest first) starts: strictly after its cursor, as one row comparison, which the list's
//! `(…, at DESC, id DESC)` index can seek to.

/// The filter `(at_column, id_column) < (at, id)` of a list's cursor, with `$columns` the two columns as SQL text
/// (`"trades.opened_at, trades.id"`).
macro_rules! after_cursor {
    ($columns:literal, $at:expr, $id:expr) => {
        diesel::dsl::sql::<diesel::sql_types::Bool>(concat!("(", $columns, ") < ("))
            .bind::<diesel::sql_types::Timestamptz, _>($at)
            .sql(", ")
            .bind::<diesel::sql_types::Uuid, _>($id)
            .sql(")")
    };
}

pub(crate) use after_cursor;
