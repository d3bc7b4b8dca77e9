//! What statistics read of a closed trade: a few columns and the values of its position document they need, not the
//! document itself (its fills, with their times, are most of a row).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use quantarya_domain::{ClosedTrade, Fees, Side, Symbol, Tags, TradeId};
use quantarya_ports::StoreError;
use uuid::Uuid;

use crate::rows::{corrupt, price, read, stamp};
use crate::schema::trades;

/// A number of the position document, extracted by the database (statistics read a few of its values, not the
/// document: the fills with their times are most of a row).
macro_rules! position_number {
    ($key:literal) => {
        diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Float8>>(concat!(
            "(trades.position->>'",
            $key,
            "')::float8"
        ))
    };
}

/// The type of [`position_number!`].
type PositionNumber = diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::Float8>>;

/// The columns statistics read of a closed trade, and the values of its position document they need.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = trades, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ClosedRow {
    pub id: Uuid,
    pub symbol: String,
    pub side: String,
    pub entry: Option<f64>,
    /// The risk of R: the trade's first stop.
    pub initial_stop_loss: Option<f64>,
    pub close_price: Option<f64>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub tags: Vec<String>,
    pub live: bool,
    /// What the trade made, as the domain worked it out when the trade was written (null without a size).
    #[diesel(select_expression = position_number!("realized_pnl"), select_expression_type = PositionNumber)]
    pub realized_pnl: Option<f64>,
    /// The trade's fees, as the exact decimal text it is stored as.
    #[diesel(
        select_expression = diesel::dsl::sql::<diesel::sql_types::Text>("(trades.position->>'fees')"),
        select_expression_type = diesel::expression::SqlLiteral<diesel::sql_types::Text>
    )]
    pub fees: String,
    #[diesel(select_expression = position_number!("max_favorable_price"), select_expression_type = PositionNumber)]
    pub max_favorable_price: Option<f64>,
    #[diesel(select_expression = position_number!("max_adverse_price"), select_expression_type = PositionNumber)]
    pub max_adverse_price: Option<f64>,
}

impl TryFrom<ClosedRow> for ClosedTrade {
    type Error = StoreError;
    fn try_from(r: ClosedRow) -> Result<Self, StoreError> {
        let fees = r
            .fees
            .parse()
            .ok()
            .ok_or_else(|| corrupt("trades.position has no fees"))
            .and_then(|d| read("trades.position.fees", Fees::from_decimal(d)))?;
        let pnl = r.realized_pnl.filter(|pnl| pnl.is_finite());
        Ok(ClosedTrade {
            id: TradeId::from_uuid(r.id),
            symbol: read("trades.symbol", Symbol::parse(&r.symbol))?,
            side: read("trades.side", Side::parse(&r.side))?,
            entry: price("trades.entry", r.entry)?,
            stop_loss: price("trades.initial_stop_loss", r.initial_stop_loss)?,
            close_price: price("trades.close_price", r.close_price)?,
            opened_at: stamp(r.opened_at),
            closed_at: stamp(r.closed_at.ok_or_else(|| corrupt("a closed trade without closed_at"))?),
            tags: read("trades.tags", Tags::parse(&r.tags).map_err(|(_, e)| e))?,
            pnl,
            fees: pnl.map(|_| fees.to_f64()),
            max_favorable_price: price("trades.position.max_favorable_price", r.max_favorable_price)?,
            max_adverse_price: price("trades.position.max_adverse_price", r.max_adverse_price)?,
            live: r.live,
        })
    }
}
