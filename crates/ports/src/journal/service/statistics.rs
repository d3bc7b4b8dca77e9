//! Statistics: a strategy's performance streamed from its closed trades, for its owner and on a public profile.
//! A public profile needs no credentials, so anyone may ask for it as often as they like: each public strategy's
//! statistics are kept under the revision of its closed trades (which the store moves on with every write that
//! touches one, in the same atomic write), and computed again only when it moved. A repeated read of an unchanged
//! profile costs one query of the strategies and their revisions, whatever the number of trades, on every instance.

use std::sync::Arc;

use quantarya_domain::{Figures, Performance, Statistics, StatsBuilder, StrategyId, UserId, UserName};

use super::JournalService;
use super::trades::in_order;
use crate::JournalError;
use crate::journal::{OWNER_CURVE_POINTS, PUBLIC_CURVE_POINTS, Principal, PublicProfile, PublicStrategy, StatsQuery};
use crate::outbound::ClosedRevision;

/// How many bytes of public strategies' statistics one instance keeps, about (the least used leave first).
const PUBLIC_STATS_BYTES: u64 = 64 * 1024 * 1024;

/// Public strategies' statistics, by strategy, with the revision of its closed trades they were computed at: one
/// entry a strategy, replaced when its revision moves.
#[derive(Clone)]
pub(super) struct PublicStats(moka::sync::Cache<StrategyId, (ClosedRevision, Arc<Statistics>)>);

impl Default for PublicStats {
    fn default() -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(PUBLIC_STATS_BYTES)
                .weigher(|_, (_, stats): &(ClosedRevision, Arc<Statistics>)| weight(stats))
                .build(),
        )
    }
}

/// About how many bytes `stats` take: what the curves and the breakdown rows hold, and a fixed part.
fn weight(stats: &Statistics) -> u32 {
    let set = |p: &Performance| {
        let rows = &p.breakdowns;
        let count = 1
            + rows.by_symbol.len()
            + rows.by_side.len()
            + rows.by_weekday.len()
            + rows.by_hour.len()
            + rows.by_holding_time.len()
            + rows.by_tag.len();
        count * std::mem::size_of::<Figures>() + (p.curve.len() + p.pnl_curve.len()) * 16
    };
    let bytes = 1024 + set(&stats.all) + set(&stats.live);
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

impl PublicStats {
    /// The statistics of `strategy` if they were computed at `revision`.
    fn get(&self, strategy: StrategyId, revision: ClosedRevision) -> Option<Statistics> {
        self.0.get(&strategy).filter(|(kept, _)| *kept == revision).map(|(_, stats)| Statistics::clone(&stats))
    }
}

impl std::fmt::Debug for PublicStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicStats").field("entries", &self.0.entry_count()).finish()
    }
}

impl JournalService {
    /// The statistics of `owner`'s strategy from its closed trades, streamed from the store; `None` when `owner`
    /// has no such strategy.
    async fn statistics(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        query: StatsQuery,
        curve_points: usize,
    ) -> Result<Option<Statistics>, JournalError> {
        let mut builder = StatsBuilder::in_zone(curve_points, query.zone);
        let range = query.range;
        let found = self
            .ports
            .stores
            .trades
            .visit_closed_trades(owner, strategy, range, &mut |trade| builder.push(&trade))
            .await?;
        if !found {
            return Ok(None);
        }
        let mut stats = builder
            .finish()
            .map_err(|_| JournalError::Internal("the store handed closed trades out of close order".to_owned()))?;
        let (all, live) = self.ports.stores.trades.count_cancelled(owner, strategy, range).await?;
        (stats.all.cancelled, stats.live.cancelled) = (all, live);
        Ok(Some(stats))
    }

    /// The owner's view of a strategy's performance; user JWTs only (beyond the six trade routes of the reference).
    pub(super) async fn owner_statistics(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: StatsQuery,
    ) -> Result<Statistics, JournalError> {
        in_order(query.range.from, query.range.to)?;
        match self.statistics(&principal.user_id, strategy, query, OWNER_CURVE_POINTS).await? {
            Some(stats) => Ok(stats),
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    /// An enabled public profile with its public strategies and their performance: each strategy's statistics
    /// from the cache when its closed trades are at the revision they were computed at, else computed (from the
    /// trades as they are then, which the revision read before them cannot be newer than) and kept.
    pub(super) async fn public(&self, user_name: &UserName) -> Result<PublicProfile, JournalError> {
        let user = match self.ports.stores.users.get_user_by_name(user_name).await? {
            Some(user) if user.public_profile_enabled => user,
            _ => return Err(JournalError::NotFound("profile")),
        };
        let mut public = Vec::new();
        for (strategy, revision) in self.ports.stores.strategies.public_strategies(&user.id).await? {
            let stats = match self.public_stats.get(strategy.id, revision) {
                Some(stats) => stats,
                None => {
                    let stats =
                        self.statistics(&user.id, strategy.id, StatsQuery::default(), PUBLIC_CURVE_POINTS).await?;
                    let stats = stats.unwrap_or_else(Statistics::empty);
                    self.public_stats.0.insert(strategy.id, (revision, Arc::new(stats.clone())));
                    stats
                }
            };
            public.push(PublicStrategy { strategy, stats });
        }
        Ok(PublicProfile { user, strategies: public })
    }
}
