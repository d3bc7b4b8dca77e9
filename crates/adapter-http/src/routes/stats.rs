//! `/strategies/{strategy_id}/stats`: a strategy's performance.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::StrategyId;
use quantarya_ports::StatsQuery;
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

/// The query of the statistics: a range of close times, and the time zone of the weekday and hour rows.
const STATS_QUERY: &[Param] = &[
    Param { name: "from", description: "Only trades closed at or after this time (RFC 3339).", kind: ParamKind::Time },
    Param { name: "to", description: "Only trades closed at or before this time (RFC 3339).", kind: ParamKind::Time },
    Param {
        name: "tz",
        description: "The IANA time zone the weekday and hour of each opening are read in (default `UTC`).",
        kind: ParamKind::Text,
    },
];

/// The statistics route.
pub const ROUTES: &[RouteSpec] = &[RouteSpec {
    path_params: &[STRATEGY_ID],
    query: STATS_QUERY,
    success: &[ok("The strategy's performance.", one::<StatsView>())],
    ..route(
        Verb::Get,
        "/strategies/{strategy_id}/stats",
        "get_strategy_stats",
        "Strategies",
        "Get strategy performance",
        "Performance over the strategy's CLOSED trades with an entry and a close price, closed within `from`–`to`, \
         twice: over every counted trade (`all`) and over the live ones (`live`: entered through an API key within \
         5 minutes of the signal, never back-filled, imported or corrected). Each has counts, win rate, averages, \
         profit factor, expectancy, R, streaks, money over the sized trades, Sharpe, Sortino, SQN, Kelly, holding \
         time and excursions; rows by symbol, side, weekday and hour of the opening (in `tz`), holding time and \
         tag; the compounded equity curve and the P&L curve. Returns are fractions (0.0125 is +1.25 %).",
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
    let query = parse_query(req.query_string())?;
    let stats = state.journal.strategy_stats(&who.0, id, query).await?;
    Ok(reply::ok("Strategy performance", StatsView::from(&stats)))
}

/// `from` and `to` (RFC 3339, on `closed_at`) and `tz`; anything else is 422.
fn parse_query(raw: &str) -> Result<StatsQuery, ApiError> {
    let mut reader = QueryReader::new(raw, STATS_QUERY)?;
    let range = CloseRange { from: reader.get("from", query::time), to: reader.get("to", query::time) };
    let zone = reader.get("tz", query::time_zone);
    reader.finish()?;
    Ok(StatsQuery { range, zone: zone.unwrap_or(StatsQuery::default().zone) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_take_from_to_and_tz_and_nothing_else() {
        let query = parse_query("from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z&tz=europe/berlin").expect("a range");
        assert!(query.range.from.is_some() && query.range.to.is_some());
        assert_eq!(query.zone.name(), "Europe/Berlin");
        let error = parse_query("from=yesterday&since=2026-05-01T00:00:00Z").expect_err("two problems");
        assert_eq!(error.envelope().error.code, "unknown_field");
        assert_eq!(parse_query("").map(|q| q.zone.name()).ok(), Some("UTC"));
        let error = parse_query("tz=Mars/Olympus").expect_err("no such zone");
        assert_eq!(error.envelope().error.code, "validation_failed");
    }
}
