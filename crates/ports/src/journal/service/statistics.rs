//! Statistics: a strategy's performance streamed from its closed trades, for its owner and on a public profile.

use quantarya_domain::{Statistics, StatsBuilder, StrategyId, UserId, UserName};

use super::JournalService;
use super::trades::in_order;
use crate::JournalError;
use crate::journal::{OWNER_CURVE_POINTS, PUBLIC_CURVE_POINTS, Principal, PublicProfile, PublicStrategy};
use crate::outbound::CloseRange;

impl JournalService {
    /// The statistics of `owner`'s strategy from its closed trades, streamed from the store; `None` when `owner`
    /// has no such strategy.
    async fn statistics(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        range: CloseRange,
        curve_points: usize,
    ) -> Result<Option<Statistics>, JournalError> {
        let mut builder = StatsBuilder::new(curve_points);
        let found = self
            .ports
            .stores
            .trades
            .visit_closed_trades(owner, strategy, range, &mut |trade| builder.push(&trade))
            .await?;
        if !found {
            return Ok(None);
        }
        builder
            .finish()
            .map(Some)
            .map_err(|_| JournalError::Internal("the store handed closed trades out of close order".to_owned()))
    }

    /// The owner's view of a strategy's performance; user JWTs only (beyond the six trade routes of the reference).
    pub(super) async fn owner_statistics(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        range: CloseRange,
    ) -> Result<Statistics, JournalError> {
        in_order(range.from, range.to)?;
        match self.statistics(&principal.user_id, strategy, range, OWNER_CURVE_POINTS).await? {
            Some(stats) => Ok(stats),
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    /// An enabled public profile with its public strategies and their performance.
    pub(super) async fn public(&self, user_name: &UserName) -> Result<PublicProfile, JournalError> {
        let user = match self.ports.stores.users.get_user_by_name(user_name).await? {
            Some(user) if user.public_profile_enabled => user,
            _ => return Err(JournalError::NotFound("profile")),
        };
        let mut public = Vec::new();
        for strategy in
            self.ports.stores.strategies.list_strategies(&user.id).await?.into_iter().filter(|s| s.is_public)
        {
            let stats = self.statistics(&user.id, strategy.id, CloseRange::default(), PUBLIC_CURVE_POINTS).await?;
            public.push(PublicStrategy { strategy, stats: stats.unwrap_or_else(Statistics::empty) });
        }
        Ok(PublicProfile { user, strategies: public })
    }
}
