//! `/strategies/{strategy_id}/stats`: a strategy's performance.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::StrategyId;
use quantarya_ports::outbound::CloseRange;

use crate::auth::Authenticated;
use crate::auth_kind::Auth;
use crate::dto::stats::StatsView;
use crate::error::ApiError;
use crate::query::{self, QueryReader};
use crate::reply;
use crate::route::{Param, ParamKind, RouteSpec, Verb, ok, one, route};
use crate::routes::{STRATEGY_ID, path_id};
use crate::state::AppState;
use quantarya_ports::Operation;

/// The query of the statistics: a range of close times.
const CLOSE_RANGE: &[Param] = &[
    Param { name: "from", description: "Only trades closed at or after this time (RFC 3339).", kind: ParamKind::Time },
    Param { name: "to", description: "Only trades closed at or before this time (RFC 3339).", kind: ParamKind::Time },
];

/// The statistics route.
pub const ROUTES: &[RouteSpec] = &[RouteSpec {
    path_params: &[STRATEGY_ID],
    query: CLOSE_RANGE,
    success: &[ok("The strategy's performance.", one::<StatsView>())],
    ..route(
        Verb::Get,
        "/strategies/{strategy_id}/stats",
        "get_strategy_stats",
        "Strategies",
        "Get strategy performance",
        "Performance over the strategy's CLOSED trades with an entry and a close price, closed within `from`–`to`: \
         counts, win rate, average win and loss, profit factor, expectancy, average R, best and worst trade, \
         streaks, the compounded equity curve and its maximum drawdown, per symbol and per side too. Returns \
         are fractions (0.0125 is +1.25 %).",
        Auth::Bearer(Operation::StrategyStats),
        |r| r.to(stats),
    )
}];

/// `GET /strategies/{strategy_id}/stats`: performance over the trades closed within `from`–`to`.
pub async fn stats(
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id: StrategyId = path_id(&id, "strategy")?;
    let range = parse_range(req.query_string())?;
    let stats = state.journal.strategy_stats(&who.0, id, range).await?;
    Ok(reply::ok("Strategy performance", StatsView::from(&stats)))
}

/// `from` and `to` (RFC 3339, on `closed_at`); anything else is 422.
fn parse_range(raw: &str) -> Result<CloseRange, ApiError> {
    let mut reader = QueryReader::new(raw, CLOSE_RANGE)?;
    let range = CloseRange { from: reader.get("from", query::time), to: reader.get("to", query::time) };
    reader.finish()?;
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_take_from_and_to_and_nothing_else() {
        let range = parse_range("from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z").expect("a range");
        assert!(range.from.is_some() && range.to.is_some());
        let error = parse_range("from=yesterday&since=2026-05-01T00:00:00Z").expect_err("two problems");
        assert_eq!(error.envelope().error.code, "unknown_field");
        assert!(parse_range("").is_ok());
    }
}
