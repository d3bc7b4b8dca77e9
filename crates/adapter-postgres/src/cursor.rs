//! Where a page of a list starts: strictly after its cursor, as one row comparison, which the list's
//! `(…, at DESC, id DESC)` index can seek to (backwards, for a list read oldest first).

/// The filter `(at_column, id_column) < (at, id)` of a list's cursor (newest first), with `$columns` the two columns
/// as SQL text (`"trades.opened_at, trades.id"`); with `">"` first, `… > (at, id)`, for a list read oldest first.
macro_rules! after_cursor {
    ($columns:literal, $at:expr, $id:expr) => {
        $crate::cursor::after_cursor!("<", $columns, $at, $id)
    };
    ($op:literal, $columns:literal, $at:expr, $id:expr) => {
        diesel::dsl::sql::<diesel::sql_types::Bool>(concat!("(", $columns, ") ", $op, " ("))
            .bind::<diesel::sql_types::Timestamptz, _>($at)
            .sql(", ")
            .bind::<diesel::sql_types::Uuid, _>($id)
            .sql(")")
    };
}

pub(crate) use after_cursor;
