//! [`JournalService`]: the use cases over the outbound ports. It loads, asks the domain, and stores what the
//! domain decided; the stores settle races.

use std::sync::Arc;

use async_trait::async_trait;
use quantarya_domain::{
    ApiKey, ApiKeyId, CloseTrade, EventId, KeyName, LifecycleError, Locator, NewStrategy, NewTrade, Outcome,
    ProfileChange, RawApiKey, Stamp, Statistics, StatsBuilder, Status, Strategy, StrategyChange, StrategyId, Trade,
    TradeCommand, TradeEvent, TradeId, TradePatch, User, UserId, UserName, exit_already_applied, select_open_trade,
};

use super::{
    Credential, IssuedApiKey, Journal, OWNER_CURVE_POINTS, PUBLIC_CURVE_POINTS, Principal, PublicProfile,
    PublicStrategy, Saved, Signal, SignalEffect, SignalLocator, SignalOutcome, StrategyDeletion, TradePage, TradeQuery,
};
use crate::outbound::{
    AccountDeletion, ApiKeyStore, Clock, CloseRange, IdSource, OpenTradeLookup, StorageHealth, StrategyStore,
    TokenError, TokenVerifier, TradeStore, UserStore,
};
use crate::{ConflictKind, ForbiddenKind, JournalError, StoreConflict, StoreError};

/// Refuses a time range whose `from` is after its `to` (both bounds are inclusive, so equal ones are a range).
fn in_order(
    from: Option<quantarya_domain::Timestamp>,
    to: Option<quantarya_domain::Timestamp>,
) -> Result<(), JournalError> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(JournalError::invalid("from", "must not be after to")),
        _ => Ok(()),
    }
}

/// How many times a change is re-read and re-decided when another writer changed the trade first.
const MAX_ATTEMPTS: usize = 4;

/// How stale `last_used_at` may get before a request through the key records a new one: one write a minute
/// per key at most, so the signal path does not pay a write per request.
const TOUCH_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// The store ports. One adapter value usually serves them all: [`Stores::of`].
#[derive(Clone)]
pub struct Stores {
    /// Profiles.
    pub users: Arc<dyn UserStore>,
    /// Strategies.
    pub strategies: Arc<dyn StrategyStore>,
    /// Trades and their history.
    pub trades: Arc<dyn TradeStore>,
    /// API keys.
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// Whether storage answers.
    pub health: Arc<dyn StorageHealth>,
}

impl Stores {
    /// Every store port, served by `store`.
    pub fn of<S>(store: Arc<S>) -> Self
    where
        S: UserStore + StrategyStore + TradeStore + ApiKeyStore + StorageHealth + 'static,
    {
        Self {
            users: store.clone(),
            strategies: store.clone(),
            trades: store.clone(),
            api_keys: store.clone(),
            health: store,
        }
    }
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

/// Everything the service needs from outside.
#[derive(Clone)]
pub struct Ports {
    /// Profiles, strategies, trades, API keys and storage health.
    pub stores: Stores,
    /// User JWT verification.
    pub tokens: Arc<dyn TokenVerifier>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids and secrets.
    pub ids: Arc<dyn IdSource>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

/// The use cases of the contract over a set of [`Ports`].
#[derive(Debug, Clone)]
pub struct JournalService {
    ports: Ports,
}

/// What one attempt at changing an existing trade decided.
enum Attempt<T> {
    Done(T),
    Retry,
}

impl JournalService {
    /// A service over `ports`.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    fn stamp(&self, principal: &Principal) -> Stamp {
        Stamp { event_id: EventId::from_uuid(self.ports.ids.uuid()), at: self.ports.clock.now(), by: principal.kind() }
    }

    /// Refuses API keys: the route is for user JWTs only.
    fn user_token_only(principal: &Principal) -> Result<(), JournalError> {
        match principal.credential {
            Credential::User { .. } => Ok(()),
            Credential::ApiKey { .. } => Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed)),
        }
    }

    /// Refuses API keys and users without a profile.
    async fn require_profile(&self, principal: &Principal) -> Result<User, JournalError> {
        Self::user_token_only(principal)?;
        self.ports
            .stores
            .users
            .get_user(&principal.user_id)
            .await?
            .ok_or(JournalError::Forbidden(ForbiddenKind::ProfileRequired))
    }

    /// The answer to an owner-scoped read that found nothing: `profile_required` for a user who has no profile
    /// (so owns nothing), else `NotFound`, the same for a missing and a foreign id. The profile is looked up only
    /// on this miss path, so reads that succeed cost no extra query. API keys exist only while their profile does.
    async fn missing(&self, principal: &Principal, what: &'static str) -> JournalError {
        if matches!(principal.credential, Credential::User { .. }) {
            match self.ports.stores.users.get_user(&principal.user_id).await {
                Ok(None) => return JournalError::Forbidden(ForbiddenKind::ProfileRequired),
                Err(error) => return error.into(),
                Ok(Some(_)) => {}
            }
        }
        JournalError::NotFound(what)
    }

    /// The caller's strategy `id`.
    async fn owned_strategy(&self, principal: &Principal, id: StrategyId) -> Result<Strategy, JournalError> {
        match self.ports.stores.strategies.get_strategy(&principal.user_id, id).await? {
            Some(strategy) => Ok(strategy),
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    /// Trade `id` of the caller's strategy `strategy`, read with its ownership in one store call.
    async fn owned_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Trade, JournalError> {
        match self.ports.stores.trades.get_trade(&principal.user_id, strategy, id).await? {
            Some(trade) => Ok(trade),
            None => Err(self.missing(principal, "trade").await),
        }
    }

    /// The caller's open trades of `strategy` that `lookup` names.
    async fn open_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        lookup: &OpenTradeLookup,
    ) -> Result<Vec<Trade>, JournalError> {
        match self.ports.stores.trades.open_trades(&principal.user_id, strategy, lookup).await? {
            Some(trades) => Ok(trades),
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    /// Stores a transition; a lost race asks for another attempt.
    async fn store_change(&self, trade: &Trade, event: &TradeEvent) -> Result<Attempt<()>, JournalError> {
        match self.ports.stores.trades.update_trade(trade, event).await {
            Ok(()) => Ok(Attempt::Done(())),
            Err(StoreError::Conflict(StoreConflict::StaleVersion)) => Ok(Attempt::Retry),
            Err(StoreError::Missing) => Err(JournalError::NotFound("trade")),
            Err(other) => Err(other.into()),
        }
    }

    /// Reads trade `id`, applies `command`, stores the result; re-reads and decides again when another writer won
    /// the race, so the command is always decided against the state it is stored over.
    async fn change_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        command: TradeCommand,
    ) -> Result<Trade, JournalError> {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.owned_trade(principal, strategy, id).await?;
            match current.apply(command.clone(), self.stamp(principal))? {
                Outcome::Unchanged => return Ok(current),
                Outcome::Changed(transition) => {
                    if let Attempt::Done(()) = self.store_change(&transition.trade, &transition.event).await? {
                        return Ok(transition.trade);
                    }
                }
            }
        }
        Err(concurrent())
    }

    /// An entry. One with a reference is inserted straight away (one store call on the webhook path) and, if an
    /// open trade already holds the reference, answered with that trade; one without a reference first looks for
    /// the only open trade of its symbol, as the contract matches it. A back-filled trade is simply inserted.
    async fn entry(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        new: NewTrade,
    ) -> Result<SignalOutcome, JournalError> {
        let opens = new.status == Status::Open;
        for _ in 0..MAX_ATTEMPTS {
            if opens && new.external_reference.is_none() {
                let candidates =
                    self.open_trades(principal, strategy, &OpenTradeLookup::Symbol(new.symbol.clone())).await?;
                let locator = Locator { reference: None, symbol: Some(&new.symbol) };
                if let Some(existing) = select_open_trade(&candidates, locator)? {
                    existing.check_repeated_entry(&new)?;
                    return Ok(SignalOutcome { trade: existing.clone(), effect: SignalEffect::AlreadyOpen });
                }
            }
            let id = TradeId::from_uuid(self.ports.ids.uuid());
            let transition = Trade::open(id, strategy, principal.user_id.clone(), new.clone(), self.stamp(principal))?;
            match self.ports.stores.trades.insert_trade(&transition.trade, &transition.event).await {
                Ok(()) => return Ok(SignalOutcome { trade: transition.trade, effect: SignalEffect::Created }),
                Err(StoreError::Conflict(StoreConflict::OpenTradeExists)) if opens => {
                    let Some(reference) = &new.external_reference else {
                        // An unreferenced entry lost a race for its symbol: look again.
                        continue;
                    };
                    let lookup = OpenTradeLookup::Reference(reference.clone());
                    let candidates = self.open_trades(principal, strategy, &lookup).await?;
                    let locator = Locator { reference: Some(reference), symbol: Some(&new.symbol) };
                    if let Some(existing) = select_open_trade(&candidates, locator)? {
                        existing.check_repeated_entry(&new)?;
                        return Ok(SignalOutcome { trade: existing.clone(), effect: SignalEffect::AlreadyOpen });
                    }
                    // The holder of the reference closed in between: try the insert again.
                }
                Err(StoreError::Missing) => return Err(self.missing(principal, "strategy").await),
                Err(other) => return Err(other.into()),
            }
        }
        Err(concurrent())
    }

    /// The open trade `locator` names, decided by the domain over the candidates the store returns.
    async fn find_open(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        locator: &SignalLocator,
    ) -> Result<Option<Trade>, JournalError> {
        let lookup = match (&locator.external_reference, &locator.symbol) {
            (Some(reference), _) => OpenTradeLookup::Reference(reference.clone()),
            (None, Some(symbol)) => OpenTradeLookup::Symbol(symbol.clone()),
            (None, None) => return Err(LifecycleError::NoLocator.into()),
        };
        let candidates = self.open_trades(principal, strategy, &lookup).await?;
        let locator = Locator { reference: locator.external_reference.as_ref(), symbol: locator.symbol.as_ref() };
        Ok(select_open_trade(&candidates, locator)?.cloned())
    }

    async fn signal_on_open_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        locator: SignalLocator,
        command: TradeCommand,
    ) -> Result<SignalOutcome, JournalError> {
        if let TradeCommand::Exit(exit) = &command {
            exit.check(self.ports.clock.now())?;
        }
        for _ in 0..MAX_ATTEMPTS {
            let Some(current) = self.find_open(principal, strategy, &locator).await? else {
                return self.no_open_trade(principal, strategy, &locator, &command).await;
            };
            match current.apply(command.clone(), self.stamp(principal))? {
                Outcome::Unchanged => return Ok(SignalOutcome { trade: current, effect: SignalEffect::Unchanged }),
                Outcome::Changed(transition) => {
                    if let Attempt::Done(()) = self.store_change(&transition.trade, &transition.event).await? {
                        let effect = match transition.trade.status {
                            Status::Open => SignalEffect::Updated,
                            Status::Closed => SignalEffect::Closed,
                            Status::Cancelled => SignalEffect::Cancelled,
                        };
                        return Ok(SignalOutcome { trade: transition.trade, effect });
                    }
                }
            }
        }
        Err(concurrent())
    }

    /// No open trade matches an update or exit: an exit that repeats one already applied to the latest trade with
    /// its reference answers with that trade; everything else is `NotFound`.
    async fn no_open_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        locator: &SignalLocator,
        command: &TradeCommand,
    ) -> Result<SignalOutcome, JournalError> {
        if let (TradeCommand::Exit(_), Some(reference)) = (command, &locator.external_reference)
            && let Some(latest) =
                self.ports.stores.trades.latest_with_reference(&principal.user_id, strategy, reference).await?
            && exit_already_applied(&latest)
            && locator.symbol.as_ref().is_none_or(|symbol| symbol == &latest.symbol)
        {
            return Ok(SignalOutcome { trade: latest, effect: SignalEffect::AlreadyClosed });
        }
        Err(JournalError::NotFound("open trade"))
    }
}

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
}

fn concurrent() -> JournalError {
    JournalError::conflict(
        ConflictKind::ConcurrentUpdate,
        "the record kept changing while this request was handled; retry it",
    )
}

#[async_trait]
impl Journal for JournalService {
    async fn storage_ready(&self) -> Result<(), JournalError> {
        Ok(self.ports.stores.health.ping().await?)
    }

    async fn authenticate(&self, bearer: &str) -> Result<Principal, JournalError> {
        if bearer.starts_with(RawApiKey::PREFIX) {
            let raw = RawApiKey::parse(bearer).map_err(|_| JournalError::Unauthorized)?;
            let key = self.ports.stores.api_keys.find_api_key(&raw.hash()).await?.ok_or(JournalError::Unauthorized)?;
            let now = self.ports.clock.now();
            if key.last_used_at.is_none_or(|last| now.as_datetime() - last.as_datetime() >= TOUCH_INTERVAL) {
                self.ports.stores.api_keys.touch_api_key(key.id, now).await?;
            }
            return Ok(Principal { user_id: key.user_id, credential: Credential::ApiKey { key_id: key.id } });
        }
        match self.ports.tokens.verify(bearer).await {
            Ok(token) => Ok(Principal { user_id: token.user_id, credential: Credential::User { email: token.email } }),
            Err(TokenError::Invalid(_)) => Err(JournalError::Unauthorized),
            Err(TokenError::Unavailable(cause)) => Err(JournalError::Unavailable(cause)),
        }
    }

    async fn get_profile(&self, principal: &Principal) -> Result<User, JournalError> {
        Self::user_token_only(principal)?;
        self.ports.stores.users.get_user(&principal.user_id).await?.ok_or(JournalError::NotFound("profile"))
    }

    async fn save_profile(&self, principal: &Principal, change: ProfileChange) -> Result<Saved<User>, JournalError> {
        let Credential::User { email } = &principal.credential else {
            return Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed));
        };
        let now = self.ports.clock.now();
        for _ in 0..MAX_ATTEMPTS {
            match self.ports.stores.users.get_user(&principal.user_id).await? {
                None => {
                    let user = User::create(principal.user_id.clone(), email.clone(), change.clone(), now)?;
                    match self.ports.stores.users.insert_user(&user).await {
                        Ok(()) => return Ok(Saved { value: user, created: true }),
                        // A concurrent first write created the profile: update it instead.
                        Err(StoreError::Conflict(StoreConflict::AlreadyExists)) => {}
                        Err(other) => return Err(other.into()),
                    }
                }
                Some(existing) => {
                    let user = existing.updated(email.clone(), change.clone(), now);
                    match self.ports.stores.users.update_user(&user, existing.updated_at).await {
                        Ok(()) => return Ok(Saved { value: user, created: false }),
                        // Changed or deleted concurrently: decide again on what is stored now.
                        Err(StoreError::Missing | StoreError::Conflict(StoreConflict::StaleVersion)) => {}
                        Err(other) => return Err(other.into()),
                    }
                }
            }
        }
        Err(JournalError::conflict(ConflictKind::ConcurrentUpdate, "the profile kept changing; retry the request"))
    }

    async fn delete_profile(&self, principal: &Principal) -> Result<AccountDeletion, JournalError> {
        Self::user_token_only(principal)?;
        self.ports.stores.users.delete_account(&principal.user_id).await?.ok_or(JournalError::NotFound("profile"))
    }

    async fn public_profile(&self, user_name: &UserName) -> Result<PublicProfile, JournalError> {
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

    async fn create_strategy(&self, principal: &Principal, new: NewStrategy) -> Result<Strategy, JournalError> {
        // No profile read first: the store refuses a strategy of a user it does not know (`Missing`).
        Self::user_token_only(principal)?;
        let id = StrategyId::from_uuid(self.ports.ids.uuid());
        let strategy = Strategy::create(id, principal.user_id.clone(), new, self.ports.clock.now());
        match self.ports.stores.strategies.insert_strategy(&strategy).await {
            Ok(()) => Ok(strategy),
            Err(StoreError::Missing) => Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired)),
            Err(other) => Err(other.into()),
        }
    }

    async fn list_strategies(&self, principal: &Principal) -> Result<Vec<Strategy>, JournalError> {
        Self::user_token_only(principal)?;
        let strategies = self.ports.stores.strategies.list_strategies(&principal.user_id).await?;
        if strategies.is_empty() {
            // Only an empty list can belong to a user without a profile.
            self.require_profile(principal).await?;
        }
        Ok(strategies)
    }

    async fn get_strategy(&self, principal: &Principal, id: StrategyId) -> Result<Strategy, JournalError> {
        Self::user_token_only(principal)?;
        self.owned_strategy(principal, id).await
    }

    async fn update_strategy(
        &self,
        principal: &Principal,
        id: StrategyId,
        change: StrategyChange,
    ) -> Result<Strategy, JournalError> {
        Self::user_token_only(principal)?;
        if change.is_empty() {
            return Err(JournalError::invalid("body", "the request names nothing to change"));
        }
        for _ in 0..MAX_ATTEMPTS {
            let current = self.owned_strategy(principal, id).await?;
            let updated = current.changed(change.clone(), self.ports.clock.now());
            match self.ports.stores.strategies.update_strategy(&updated, current.updated_at).await {
                Ok(()) => return Ok(updated),
                Err(StoreError::Conflict(StoreConflict::StaleVersion)) => {}
                Err(StoreError::Missing) => return Err(JournalError::NotFound("strategy")),
                Err(other) => return Err(other.into()),
            }
        }
        Err(concurrent())
    }

    async fn delete_strategy(&self, principal: &Principal, id: StrategyId) -> Result<StrategyDeletion, JournalError> {
        Self::user_token_only(principal)?;
        match self.ports.stores.strategies.delete_strategy(&principal.user_id, id).await? {
            Some(deleted_trades) => Ok(StrategyDeletion { strategy_id: id, deleted_trades }),
            // Tells a user without a profile `profile_required` rather than `not_found`.
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    async fn create_api_key(&self, principal: &Principal, name: KeyName) -> Result<IssuedApiKey, JournalError> {
        // No profile read first: the store refuses a key of a user it does not know (`Missing`).
        Self::user_token_only(principal)?;
        let raw = RawApiKey::from_random_body(&self.ports.ids.api_key_body())
            .map_err(|_| JournalError::Internal("the id source made a malformed key body".to_owned()))?;
        let id = ApiKeyId::from_uuid(self.ports.ids.uuid());
        let key = ApiKey::issue(id, principal.user_id.clone(), name, &raw, self.ports.clock.now());
        match self.ports.stores.api_keys.insert_api_key(&key).await {
            Ok(()) => Ok(IssuedApiKey { key, raw }),
            Err(StoreError::Missing) => Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired)),
            Err(other) => Err(other.into()),
        }
    }

    async fn list_api_keys(&self, principal: &Principal) -> Result<Vec<ApiKey>, JournalError> {
        Self::user_token_only(principal)?;
        let keys = self.ports.stores.api_keys.list_api_keys(&principal.user_id).await?;
        if keys.is_empty() {
            // Only an empty list can belong to a user without a profile.
            self.require_profile(principal).await?;
        }
        Ok(keys)
    }

    async fn revoke_api_key(&self, principal: &Principal, id: ApiKeyId) -> Result<(), JournalError> {
        Self::user_token_only(principal)?;
        if self.ports.stores.api_keys.revoke_api_key(&principal.user_id, id).await? {
            Ok(())
        } else {
            Err(self.missing(principal, "API key").await)
        }
    }

    async fn submit_signal(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        signal: Signal,
    ) -> Result<SignalOutcome, JournalError> {
        match signal {
            Signal::Entry(new) => self.entry(principal, strategy, new).await,
            Signal::Update { locator, levels } => {
                self.signal_on_open_trade(principal, strategy, locator, TradeCommand::Update(levels)).await
            }
            Signal::Exit { locator, exit } => {
                self.signal_on_open_trade(principal, strategy, locator, TradeCommand::Exit(exit)).await
            }
        }
    }

    async fn list_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: TradeQuery,
    ) -> Result<TradePage, JournalError> {
        in_order(query.filter.from, query.filter.to)?;
        let limit = query.limit.get();
        let listed =
            self.ports.stores.trades.list_trades(&principal.user_id, strategy, &query.filter, query.cursor, limit + 1);
        let Some(mut trades) = listed.await? else {
            return Err(self.missing(principal, "strategy").await);
        };
        let next_cursor = if trades.len() > limit {
            trades.truncate(limit);
            trades.last().map(|last| crate::outbound::TradeCursor { opened_at: last.opened_at, trade_id: last.id })
        } else {
            None
        };
        Ok(TradePage { trades, next_cursor })
    }

    async fn get_trade(&self, principal: &Principal, strategy: StrategyId, id: TradeId) -> Result<Trade, JournalError> {
        self.owned_trade(principal, strategy, id).await
    }

    async fn patch_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        patch: TradePatch,
    ) -> Result<Trade, JournalError> {
        self.change_trade(principal, strategy, id, TradeCommand::Patch(patch)).await
    }

    async fn close_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        close: CloseTrade,
    ) -> Result<Trade, JournalError> {
        self.change_trade(principal, strategy, id, TradeCommand::Close(close)).await
    }

    async fn delete_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Trade, JournalError> {
        let trade = self.owned_trade(principal, strategy, id).await?;
        trade.ensure_erasable()?;
        if self.ports.stores.trades.delete_trade(&principal.user_id, strategy, id).await? {
            Ok(trade)
        } else {
            Err(JournalError::NotFound("trade"))
        }
    }

    async fn strategy_stats(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        range: CloseRange,
    ) -> Result<Statistics, JournalError> {
        // Beyond the six trade routes of the reference: user JWTs only.
        Self::user_token_only(principal)?;
        in_order(range.from, range.to)?;
        match self.statistics(&principal.user_id, strategy, range, OWNER_CURVE_POINTS).await? {
            Some(stats) => Ok(stats),
            None => Err(self.missing(principal, "strategy").await),
        }
    }

    async fn trade_history(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, JournalError> {
        // Beyond the six trade routes of the reference: user JWTs only, as the contract scopes API keys.
        Self::user_token_only(principal)?;
        let history = self.ports.stores.trades.trade_events(&principal.user_id, strategy, id).await?;
        if history.is_empty() {
            // Every trade has at least its entry event: no history means no such trade of this user.
            return Err(self.missing(principal, "trade").await);
        }
        Ok(history)
    }
}
