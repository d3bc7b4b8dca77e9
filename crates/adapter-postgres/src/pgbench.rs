//! The signal path's write statement as pgbench runs it, for the benchmark that compares the service with the
//! database alone: the very statement the store sends (same text, same parameter CTE), each parameter written as a
//! typed literal instead of a bind, except those the caller names, which take an expression (so each transaction
//! writes a trade of its own).

use chrono::{DateTime, Utc};
use diesel::sql_types::{
    Array, BigInt, Bool, Bytea, Float8, Json, Jsonb, Nullable, SingleValue, Text, Timestamptz, Uuid as SqlUuid,
};
use quantarya_domain::{Trade, TradeEvent};
use quantarya_ports::outbound::ReceiptWrite;

use crate::trade_write::{InsertTradeStatement, ReceiptBinds, TradeWrite, each_param};
use crate::write_statement::PARAMS;

/// The name PostgreSQL gives a parameter's SQL type, for its literal's cast.
trait SqlName: SingleValue {
    const NAME: &'static str;
}

macro_rules! sql_names {
    ($($sql:ty => $name:literal),* $(,)?) => { $(impl SqlName for $sql { const NAME: &'static str = $name; })* };
}

sql_names!(
    SqlUuid => "uuid", Text => "text", Float8 => "float8", Timestamptz => "timestamptz", Json => "json",
    Jsonb => "jsonb", BigInt => "int8", Bytea => "bytea", Array<Text> => "text[]", Bool => "bool",
);

impl<T: SqlName> SqlName for Nullable<T> {
    const NAME: &'static str = T::NAME;
}

/// A bound value's text, as PostgreSQL reads it from a string literal; `None` for NULL.
trait LiteralText {
    fn text(&self) -> Option<String>;
}

impl LiteralText for uuid::Uuid {
    fn text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl LiteralText for String {
    fn text(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl LiteralText for &str {
    fn text(&self) -> Option<String> {
        Some((*self).to_owned())
    }
}

impl LiteralText for f64 {
    fn text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl LiteralText for bool {
    fn text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl LiteralText for i64 {
    fn text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl LiteralText for DateTime<Utc> {
    fn text(&self) -> Option<String> {
        Some(self.to_rfc3339())
    }
}

impl LiteralText for serde_json::Value {
    fn text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl LiteralText for Vec<u8> {
    fn text(&self) -> Option<String> {
        Some(format!("\\x{}", self.iter().map(|b| format!("{b:02x}")).collect::<String>()))
    }
}

impl LiteralText for Vec<String> {
    fn text(&self) -> Option<String> {
        let quoted = self.iter().map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")));
        Some(format!("{{{}}}", quoted.collect::<Vec<_>>().join(",")))
    }
}

impl<T: LiteralText> LiteralText for Option<T> {
    fn text(&self) -> Option<String> {
        self.as_ref().and_then(LiteralText::text)
    }
}

/// `value` as a typed SQL literal: an escape string with no colon in it, since pgbench would read `:name` inside
/// a literal (a JSON `"quantity":null`, a time's `12:00`) as one of its variables.
fn literal<S: SqlName, V: LiteralText>(value: &V) -> String {
    match value.text() {
        Some(text) => {
            let escaped = text.replace('\\', "\\\\").replace('\'', "''").replace(':', "\\072");
            format!("E'{escaped}'::{}", S::NAME)
        }
        None => format!("NULL::{}", S::NAME),
    }
}

/// The statement the store sends to insert `trade` with its `event` and its signal's `receipt`, with literals in
/// place of the binds; a parameter named in `fresh` takes the expression given there (a pgbench script can vary it
/// per transaction with its `:variables`). `announcing`: the statement for an owner who subscribes to webhooks
/// (it records the change in the outbox), else the lean one the store sends for everyone else.
///
/// # Errors
///
/// Names a parameter of `fresh` that the statement does not have.
pub fn signal_insert_statement(
    trade: &Trade,
    event: &TradeEvent,
    receipt: &ReceiptWrite,
    fresh: &[(&str, &str)],
    announcing: bool,
) -> Result<String, String> {
    if let Some((unknown, _)) = fresh.iter().find(|(name, _)| !PARAMS.contains(name)) {
        return Err(format!("the write statement has no parameter {unknown}"));
    }
    let write = TradeWrite::<InsertTradeStatement, _>::new(trade, event, ReceiptBinds::from(receipt), announcing);
    let mut aliases = PARAMS.iter();
    let mut sql = String::new();
    macro_rules! rendered {
        ($sql_type:ty, $value:expr) => {{
            sql.push_str(if sql.is_empty() { "WITH p AS (SELECT " } else { ", " });
            let name = aliases.next().copied().unwrap_or("unnamed");
            match fresh.iter().find(|(fresh, _)| *fresh == name) {
                Some((_, expression)) => sql.push_str(&format!("({expression})::{}", <$sql_type as SqlName>::NAME)),
                None => sql.push_str(&literal::<$sql_type, _>($value)),
            }
            sql.push_str(" AS ");
            sql.push_str(name);
        }};
    }
    each_param!(&write, rendered);
    sql.push(')');
    sql.push_str(write.tail());
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantarya_domain::{
        BodyHash, CredentialKind, ExternalReference, NewTrade, Receipt, Side, SignalTarget, Symbol,
    };

    use crate::trade_write::sample;

    #[test]
    fn the_rendered_statement_is_the_bound_one_with_literals() {
        let mut new = NewTrade::open(Symbol::parse("BINANCE:BTCUSDT.P").expect("valid"), Side::Buy);
        new.external_reference = Some(ExternalReference::parse("o'1").expect("valid"));
        let (trade, event) = sample(new, CredentialKind::ApiKey);
        let receipt = ReceiptWrite {
            target: SignalTarget::Reference(ExternalReference::parse("o'1").expect("valid")),
            key: None,
            receipt: Receipt {
                body_hash: BodyHash::from_bytes([1; 32]),
                trade_id: trade.id,
                event_id: event.id,
                at: event.at,
            },
            after: None,
        };
        let sql = signal_insert_statement(&trade, &event, &receipt, &[("id", "md5(:n)")], false)
            .expect("a parameter of the statement");
        assert!(sql.starts_with("WITH p AS (SELECT (md5(:n))::uuid AS id, "), "{sql}");
        assert!(sql.contains("E'o''1'::text AS external_reference"), "{sql}");
        assert!(sql.contains("E'ref\\072o''1'::text AS receipt_target"), "{sql}");
        assert!(sql.contains("NULL::text AS receipt_key"), "{sql}");
        assert!(sql.contains(&format!("E'\\\\x{}'::bytea AS receipt_hash", "01".repeat(32))), "{sql}");
        assert!(sql.contains("E'2026-05-21T12\\07200\\07200+00\\07200'::timestamptz AS opened_at"), "{sql}");
        assert!(sql.contains("NULL::uuid AS receipt_after"), "{sql}");
        assert!(sql.contains("INSERT INTO receipt_targets"), "{sql}");
        assert!(!sql.contains('$'), "no bind is left: {sql}");
        // pgbench reads `:name` as a variable anywhere: the only one is the fresh expression's.
        let uncast = sql.replace("::", "");
        let variables: Vec<&str> = uncast.split(':').skip(1).map(|rest| &rest[..rest.len().min(2)]).collect();
        assert_eq!(variables, ["n)"], "{sql}");
        assert!(signal_insert_statement(&trade, &event, &receipt, &[("nope", "1")], true).is_err());
    }
}
