//! [`JournalService`]: the use cases over the outbound ports, one file per concern — [`access`] (who a bearer
//! is, the key policy on a strategy, profile, ownership), [`signals`] (entries, updates, exits), [`trades`] (PATCH, close, delete, lists, history),
//! [`accounts`] (profile, strategies, keys), [`webhooks`] (subscriptions and their deliveries), [`statistics`], [`repeats`] (receipts), [`signal_log`], [`imports`] (imports and
//! exports) — and [`retry`], the one loop that decides a change
//! again when another writer won. It loads, asks the domain, and stores what the domain decided; the stores
//! settle races.

mod access;
mod accounts;
mod imports;
mod repeats;
mod retry;
mod signal_log;
mod signals;
mod statistics;
mod trades;
mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;
use quantarya_domain::{
    ApiKey, ApiKeyId, CloseTrade, Import, ImportId, NewApiKey, NewStrategy, NewWebhook, ProfileChange, Statistics,
    Strategy, StrategyChange, StrategyId, Trade, TradeCommand, TradeEvent, TradeId, TradePatch, User, UserName,
    Webhook, WebhookId,
};

use super::key_policy::{Operation, admit};
use super::{
    ImportFile, IssuedApiKey, Journal, Principal, PublicProfile, Saved, Signal, SignalIdentity, SignalOutcome,
    SignalReport, StatsQuery, StrategyDeletion,
};
use crate::JournalError;
use crate::outbound::{
    AccountDeletion, ApiKeyStore, Clock, EndpointGuard, IdSource, ImportStore, SignalLogStore, StorageHealth,
    StrategyStore, TokenVerifier, TradeCursor, TradeStore, UserStore, WebhookStore,
};
use crate::paging::{DeliveryPage, DeliveryQuery, SignalLogPage, SignalLogQuery, TradePage, TradeQuery};

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
    /// Each strategy's signal log.
    pub signals: Arc<dyn SignalLogStore>,
    /// Imports of files of trades.
    pub imports: Arc<dyn ImportStore>,
    /// Webhook subscriptions and their deliveries.
    pub webhooks: Arc<dyn WebhookStore>,
    /// Whether storage answers.
    pub health: Arc<dyn StorageHealth>,
}

/// Every store port at once: what one adapter value serves ([`Stores::of`]).
pub trait EveryStore:
    UserStore
    + StrategyStore
    + TradeStore
    + ApiKeyStore
    + SignalLogStore
    + ImportStore
    + WebhookStore
    + StorageHealth
    + 'static
{
}

impl<S> EveryStore for S where
    S: UserStore
        + StrategyStore
        + TradeStore
        + ApiKeyStore
        + SignalLogStore
        + ImportStore
        + WebhookStore
        + StorageHealth
        + 'static
{
}

impl Stores {
    /// Every store port, served by `store`.
    pub fn of<S: EveryStore>(store: Arc<S>) -> Self {
        Self {
            users: store.clone(),
            strategies: store.clone(),
            trades: store.clone(),
            api_keys: store.clone(),
            signals: store.clone(),
            imports: store.clone(),
            webhooks: store.clone(),
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
    /// Profiles, strategies, trades, API keys, signal logs and storage health.
    pub stores: Stores,
    /// User JWT verification.
    pub tokens: Arc<dyn TokenVerifier>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids and secrets.
    pub ids: Arc<dyn IdSource>,
    /// Which webhook endpoints may receive deliveries (the SSRF guard).
    pub endpoints: Arc<dyn EndpointGuard>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

/// The use cases of the HTTP API over a set of [`Ports`].
#[derive(Debug, Clone)]
pub struct JournalService {
    ports: Ports,
    /// Public strategies' statistics, by strategy and revision of its closed trades (`statistics.rs`).
    public_stats: statistics::PublicStats,
}

impl JournalService {
    /// A service over `ports`.
    pub fn new(ports: Ports) -> Self {
        Self { ports, public_stats: statistics::PublicStats::default() }
    }
}

/// Each operation admits its caller first, as the key policy (`key_policy.rs`) says, then delegates.
#[async_trait]
impl Journal for JournalService {
    async fn storage_ready(&self) -> Result<(), JournalError> {
        Ok(self.ports.stores.health.ping().await?)
    }

    async fn authenticate(&self, bearer: &str) -> Result<Principal, JournalError> {
        self.principal_of(bearer).await
    }

    async fn get_profile(&self, principal: &Principal) -> Result<User, JournalError> {
        admit(principal, Operation::GetProfile)?;
        self.profile(principal).await
    }

    async fn save_profile(&self, principal: &Principal, change: ProfileChange) -> Result<Saved<User>, JournalError> {
        admit(principal, Operation::SaveProfile)?;
        self.write_profile(principal, &change).await
    }

    async fn delete_profile(&self, principal: &Principal) -> Result<AccountDeletion, JournalError> {
        admit(principal, Operation::DeleteProfile)?;
        self.delete_account(principal).await
    }

    async fn public_profile(&self, user_name: &UserName) -> Result<PublicProfile, JournalError> {
        self.public(user_name).await
    }

    async fn create_strategy(&self, principal: &Principal, new: NewStrategy) -> Result<Strategy, JournalError> {
        admit(principal, Operation::CreateStrategy)?;
        self.new_strategy(principal, new).await
    }

    async fn list_strategies(&self, principal: &Principal) -> Result<Vec<Strategy>, JournalError> {
        admit(principal, Operation::ListStrategies)?;
        self.strategies(principal).await
    }

    async fn get_strategy(&self, principal: &Principal, id: StrategyId) -> Result<Strategy, JournalError> {
        admit(principal, Operation::GetStrategy)?;
        self.owned_strategy(principal, id).await
    }

    async fn update_strategy(
        &self,
        principal: &Principal,
        id: StrategyId,
        change: StrategyChange,
    ) -> Result<Strategy, JournalError> {
        admit(principal, Operation::UpdateStrategy)?;
        self.change_strategy(principal, id, &change).await
    }

    async fn delete_strategy(&self, principal: &Principal, id: StrategyId) -> Result<StrategyDeletion, JournalError> {
        admit(principal, Operation::DeleteStrategy)?;
        self.erase_strategy(principal, id).await
    }

    async fn create_api_key(&self, principal: &Principal, new: NewApiKey) -> Result<IssuedApiKey, JournalError> {
        admit(principal, Operation::CreateApiKey)?;
        self.issue_api_key(principal, new).await
    }

    async fn list_api_keys(&self, principal: &Principal) -> Result<Vec<ApiKey>, JournalError> {
        admit(principal, Operation::ListApiKeys)?;
        self.api_keys(principal).await
    }

    async fn revoke_api_key(&self, principal: &Principal, id: ApiKeyId) -> Result<(), JournalError> {
        admit(principal, Operation::RevokeApiKey)?;
        self.revoke_key(principal, id).await
    }

    async fn create_webhook(&self, principal: &Principal, new: NewWebhook) -> Result<Webhook, JournalError> {
        admit(principal, Operation::CreateWebhook)?;
        self.subscribe(principal, new).await
    }

    async fn list_webhooks(&self, principal: &Principal) -> Result<Vec<Webhook>, JournalError> {
        admit(principal, Operation::ListWebhooks)?;
        self.webhooks(principal).await
    }

    async fn delete_webhook(&self, principal: &Principal, id: WebhookId) -> Result<(), JournalError> {
        admit(principal, Operation::DeleteWebhook)?;
        self.unsubscribe(principal, id).await
    }

    async fn webhook_deliveries(
        &self,
        principal: &Principal,
        id: WebhookId,
        query: DeliveryQuery,
    ) -> Result<DeliveryPage, JournalError> {
        admit(principal, Operation::WebhookDeliveries)?;
        self.delivery_page(principal, id, query).await
    }

    async fn submit_signal(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        signal: Signal,
        identity: Option<SignalIdentity>,
    ) -> Result<SignalOutcome, JournalError> {
        self.admit_on(principal, Operation::SubmitSignal, strategy).await?;
        self.signal(principal, strategy, signal, identity).await
    }

    async fn list_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: TradeQuery,
    ) -> Result<TradePage, JournalError> {
        self.admit_on(principal, Operation::ListTrades, strategy).await?;
        self.trade_page(principal, strategy, query).await
    }

    async fn get_trade(&self, principal: &Principal, strategy: StrategyId, id: TradeId) -> Result<Trade, JournalError> {
        self.admit_on(principal, Operation::GetTrade, strategy).await?;
        self.owned_trade(principal, strategy, id).await
    }

    async fn patch_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        patch: TradePatch,
    ) -> Result<Trade, JournalError> {
        self.admit_on(principal, Operation::PatchTrade, strategy).await?;
        self.change_trade(principal, strategy, id, &TradeCommand::Patch(patch)).await
    }

    async fn close_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        close: CloseTrade,
    ) -> Result<Trade, JournalError> {
        self.admit_on(principal, Operation::CloseTrade, strategy).await?;
        self.change_trade(principal, strategy, id, &TradeCommand::Close(close)).await
    }

    async fn delete_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Trade, JournalError> {
        self.admit_on(principal, Operation::DeleteTrade, strategy).await?;
        self.erase_trade(principal, strategy, id).await
    }

    async fn strategy_stats(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: StatsQuery,
    ) -> Result<Statistics, JournalError> {
        admit(principal, Operation::StrategyStats)?;
        self.owner_statistics(principal, strategy, query).await
    }

    async fn trade_history(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, JournalError> {
        admit(principal, Operation::TradeHistory)?;
        self.history(principal, strategy, id).await
    }

    async fn import_trades(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        file: ImportFile,
    ) -> Result<Import, JournalError> {
        self.admit_on(principal, Operation::ImportTrades, strategy).await?;
        self.import_file(principal, strategy, file).await
    }

    async fn list_imports(&self, principal: &Principal, strategy: StrategyId) -> Result<Vec<Import>, JournalError> {
        self.admit_on(principal, Operation::ListImports, strategy).await?;
        self.strategy_imports(principal, strategy).await
    }

    async fn delete_import(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: ImportId,
    ) -> Result<u64, JournalError> {
        self.admit_on(principal, Operation::DeleteImport, strategy).await?;
        self.remove_import(principal, strategy, id).await
    }

    async fn export_page(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Vec<Trade>, JournalError> {
        self.admit_on(principal, Operation::ExportTrades, strategy).await?;
        self.oldest_first(principal, strategy, after, limit).await
    }

    /// Not an operation a caller asks for: the signal route reports every answer it gave the principal, within
    /// its grant or not (a refusal for want of scope is what the owner most needs to read).
    fn record_signal(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        report: SignalReport,
    ) -> Result<(), JournalError> {
        self.log_signal(principal, strategy, report)
    }

    async fn signal_log(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: SignalLogQuery,
    ) -> Result<SignalLogPage, JournalError> {
        admit(principal, Operation::SignalLog)?;
        self.signal_page(principal, strategy, query).await
    }

    async fn flush(&self) -> Result<(), JournalError> {
        Ok(self.ports.stores.signals.flush_signals().await?)
    }
}
