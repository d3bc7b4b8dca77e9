//! The handlers, one file per aggregate, each file declaring its routes (`ROUTES`) beside its handlers; the
//! registry collects them.

pub mod api_keys;
pub mod health;
pub mod imports;
pub mod profile;
pub mod public_page;
pub mod signal_log;
pub mod stats;
pub mod strategies;
pub mod trades;
pub mod webhooks;

use std::str::FromStr;

use crate::error::ApiError;
use crate::route::{Param, ParamKind};

/// The `strategy_id` path parameter.
pub(crate) const STRATEGY_ID: Param = Param {
    name: "strategy_id",
    description: "The target strategy identifier inside the Quantarya workspace.",
    kind: ParamKind::Text,
};

/// Parses a path id; text that is not an id of the kind can name nothing, so it is 404 like a missing id.
pub(crate) fn path_id<T: FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found(what))
}

/// A body that must be there.
pub(crate) fn required_body(
    body: Option<quantarya_domain::JsonObject>,
) -> Result<quantarya_domain::JsonObject, ApiError> {
    body.ok_or_else(|| ApiError::invalid(vec![quantarya_ports::FieldError::new("body", "is required")], false))
}
