//! `/strategies/{strategy_id}/signals`: the strategy's signal log, so that a trader learns why an alert did
//! nothing (TradingView never shows the answer).

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::{SignalResult, StrategyId};
use quantarya_ports::outbound::SignalCursor;
use quantarya_ports::{Operation, SignalLogQuery};

use crate::auth::Authenticated;
use crate::auth_kind::Auth;
use crate::dto::signal_log::SignalLogEntryView;
use crate::error::ApiError;
use crate::query::{self, QueryReader};
use crate::reply;
use crate::route::{Param, ParamKind, RouteSpec, Verb, ok, page, route};
use crate::routes::{STRATEGY_ID, path_id};
use crate::state::AppState;

/// The names of the `outcome` filter, as the domain spells them.
const OUTCOMES: [&str; 2] = [SignalResult::ALL[0].as_str(), SignalResult::ALL[1].as_str()];

/// The query of the signal log.
const SIGNAL_QUERY: &[Param] = &[
    Param { name: "limit", description: "Page size, 1–500 (default 100).", kind: ParamKind::PageSize },
    Param { name: "cursor", description: "The `next_cursor` of the previous page.", kind: ParamKind::Cursor },
    Param {
        name: "outcome",
        description: "Only accepted signals (applied, or repeats), or only refused ones.",
        kind: ParamKind::OneOf(&OUTCOMES),
    },
];

/// The signal log's route.
pub const ROUTES: &[RouteSpec] = &[RouteSpec {
    path_params: &[STRATEGY_ID],
    query: SIGNAL_QUERY,
    success: &[ok("The strategy's signal log, newest first.", page::<SignalLogEntryView>())],
    ..route(
        Verb::Get,
        "/strategies/{strategy_id}/signals",
        "list_strategy_signals",
        "Strategies",
        "List received signals",
        "What reached the strategy's signal route (`POST /strategies/{strategy_id}/trades`) in the last 7 days, at \
         most the 1000 newest, accepted and refused: when it arrived, its `event`, the answer (status, and for a \
         refusal its `error.code` and field details), the trade it touched, whether it was a repeat, the API key \
         that sent it, and the body without the key (its first 4 KiB). Every answer to one of the owner's \
         credentials is logged, including a body that is not JSON but names the owner's `api_key`, a refusal for \
         want of scope, and the first refusal of each minute for being over budget (429). Not logged: a request \
         that failed authentication, another user's, a key's on a strategy it is not confined to, one that sent \
         credentials both ways, and one refused before its body was read (413, 408). Entries written by another \
         instance of the service may take a moment to appear.",
        Auth::Bearer(Operation::SignalLog),
        |r| r.to(list),
    )
}];

/// `limit`, `cursor` and `outcome`; anything else is 422.
fn parse_query(raw: &str) -> Result<SignalLogQuery, ApiError> {
    let mut reader = QueryReader::new(raw, SIGNAL_QUERY)?;
    let limit = reader.get("limit", query::page_limit);
    let cursor = reader.get("cursor", |v| SignalCursor::decode(v).map_err(|e| e.message));
    let result = reader
        .get("outcome", |v| SignalResult::parse(v).ok_or_else(|| format!("must be one of {}", OUTCOMES.join(", "))));
    reader.finish()?;
    Ok(SignalLogQuery { result, limit: limit.unwrap_or_default(), cursor })
}

/// `GET /strategies/{strategy_id}/signals`: newest first, paginated.
pub async fn list(
    state: web::Data<AppState>,
    who: Authenticated,
    strategy: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let strategy: StrategyId = path_id(&strategy, "strategy")?;
    let query = parse_query(req.query_string())?;
    let page = state.journal.signal_log(&who.0, strategy, query).await?;
    let entries: Vec<SignalLogEntryView> = page.entries.into_iter().map(SignalLogEntryView::from).collect();
    Ok(reply::page("Signals found", entries, page.next_cursor.map(|c| c.encode())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_take_a_page_and_an_outcome_and_nothing_else() {
        let query = parse_query("limit=5&outcome=refused").expect("valid");
        assert_eq!((query.limit.get(), query.result), (5, Some(SignalResult::Refused)));
        let error = parse_query("outcome=maybe&cursor=nope&status=OPEN").expect_err("three problems");
        let fields: Vec<String> = error.envelope().error.details.into_iter().map(|d| d.field).collect();
        assert_eq!(fields, ["outcome", "cursor", "status"]);
        assert_eq!(parse_query("").expect("empty").result, None);
    }
}
