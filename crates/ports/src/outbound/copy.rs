//! The copy port: a whole journal read row for row from one store and written verbatim into another (`quantarya
//! copy`, [`crate::copy_journal`]). Unlike the other ports it is not scoped by one owner's request: it lists every
//! account, and writes rows as they were stored (ids, times, versions and histories kept), which no use case may.
//!
//! A journal is copied an account at a time, in the order the stores' keys need: the account
//! ([`AccountRows`]: the profile, its strategies, keys, subscriptions and imports), then its trades a page at a
//! time ([`TradeRows`]: each with its whole history and the import that made it), then what refers to the trades
//! ([`TrailRows`]: receipts, the signal log, webhook deliveries with the trade each announced).

use async_trait::async_trait;
use quantarya_domain::{
    ApiKey, Delivery, IdempotencyKey, Import, ImportId, ImportKey, Receipt, SignalLogEntry, SignalTarget, Strategy,
    StrategyId, Trade, TradeEvent, User, UserId, Webhook,
};

use crate::StoreError;
use crate::outbound::TradeCursor;

/// An account's rows that the trades refer to.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRows {
    /// The profile.
    pub user: User,
    /// Its strategies, in id order.
    pub strategies: Vec<Strategy>,
    /// Its API keys (their hashes; expired ones too), in id order.
    pub api_keys: Vec<ApiKey>,
    /// Its webhook subscriptions (with their secrets, disabled ones too), in id order.
    pub webhooks: Vec<Webhook>,
    /// The imports into its strategies, in id order.
    pub imports: Vec<Import>,
}

impl AccountRows {
    /// An account from a store's rows, each read back by its conversion to the domain (a row the domain refuses is
    /// the conversion's error, `Corrupt`).
    ///
    /// # Errors
    ///
    /// The first conversion that fails.
    pub fn from_rows<U, S, K, W, I>(
        user: U,
        strategies: Vec<S>,
        api_keys: Vec<K>,
        webhooks: Vec<W>,
        imports: Vec<I>,
    ) -> Result<Self, StoreError>
    where
        U: TryInto<User, Error = StoreError>,
        S: TryInto<Strategy, Error = StoreError>,
        K: TryInto<ApiKey, Error = StoreError>,
        W: TryInto<Webhook, Error = StoreError>,
        I: TryInto<Import, Error = StoreError>,
    {
        fn all<R: TryInto<T, Error = StoreError>, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
            rows.into_iter().map(TryInto::try_into).collect()
        }
        Ok(Self {
            user: user.try_into()?,
            strategies: all(strategies)?,
            api_keys: all(api_keys)?,
            webhooks: all(webhooks)?,
            imports: all(imports)?,
        })
    }
}

/// The import that made a trade, and the trade's key in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLink {
    /// The import.
    pub import_id: ImportId,
    /// What makes it the same trade in another import.
    pub key: ImportKey,
}

/// A trade with everything kept of it.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeRows {
    /// The trade as it stands.
    pub trade: Trade,
    /// Its history, oldest first.
    pub events: Vec<TradeEvent>,
    /// The import that made it, if one did.
    pub import: Option<ImportLink>,
}

/// What a receipt is held under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptHold {
    /// The latest receipt of a target.
    Target(SignalTarget),
    /// The receipt of a request's idempotency key.
    Key(IdempotencyKey),
}

impl ReceiptHold {
    /// The hold as a store keeps it: the target's key ([`SignalTarget::key`]) or the idempotency key, each in a table
    /// of its own (`keyed` tells which).
    pub fn stored(&self) -> (String, bool) {
        match self {
            Self::Target(target) => (target.key(), false),
            Self::Key(key) => (key.as_str().to_owned(), true),
        }
    }

    /// A hold read back from [`ReceiptHold::stored`]'s text and table.
    ///
    /// # Errors
    ///
    /// `Corrupt` for a text no hold makes.
    ///
    /// ```
    /// use quantarya_domain::IdempotencyKey;
    /// use quantarya_ports::outbound::ReceiptHold;
    /// let hold = ReceiptHold::Key(IdempotencyKey::parse("order-42")?);
    /// let (text, keyed) = hold.stored();
    /// assert_eq!(ReceiptHold::from_stored(&text, keyed)?, hold);
    /// assert!(ReceiptHold::from_stored("order-42", false).is_err(), "not a target's key");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_stored(text: &str, keyed: bool) -> Result<Self, StoreError> {
        let held = if keyed {
            IdempotencyKey::parse(text).ok().map(Self::Key)
        } else {
            SignalTarget::from_key(text).map(Self::Target)
        };
        held.ok_or_else(|| StoreError::Corrupt(format!("a receipt held under {text:?}")))
    }
}

/// A receipt as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptReceipt {
    /// The strategy it belongs to.
    pub strategy_id: StrategyId,
    /// What it is held under.
    pub hold: ReceiptHold,
    /// The receipt.
    pub receipt: Receipt,
}

/// A webhook delivery with the trade as the change it announces left it (what its payload carries).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRows {
    /// The delivery, where it stands (a claim in flight is not copied: a pending delivery is due again).
    pub delivery: Delivery,
    /// The trade it announces.
    pub trade: Trade,
}

/// An account's rows that refer to its trades.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrailRows {
    /// Its strategies' receipts, by strategy, then hold.
    pub receipts: Vec<KeptReceipt>,
    /// Its strategies' signal logs, by strategy, then id.
    pub signals: Vec<SignalLogEntry>,
    /// Its subscriptions' deliveries, by subscription, then event id.
    pub deliveries: Vec<DeliveryRows>,
    /// Deliveries left out because they do not read back (the service fails such a delivery and keeps it until
    /// its purge): a copy carries on without them and says how many.
    pub unreadable: u64,
}

impl TrailRows {
    /// A trail from a store's rows, each read back by its conversion to the domain. A delivery that does not read
    /// back is left out and counted in [`TrailRows::unreadable`]; any other row that does not is an error.
    ///
    /// # Errors
    ///
    /// The first receipt or signal log entry that does not read back.
    pub fn from_rows<S: TryInto<SignalLogEntry, Error = StoreError>>(
        receipts: impl IntoIterator<Item = Result<KeptReceipt, StoreError>>,
        signals: Vec<S>,
        deliveries: impl IntoIterator<Item = Result<DeliveryRows, StoreError>>,
    ) -> Result<Self, StoreError> {
        let (mut read, mut unreadable) = (Vec::new(), 0);
        for delivery in deliveries {
            match delivery {
                Ok(delivery) => read.push(delivery),
                Err(_) => unreadable += 1,
            }
        }
        Ok(Self {
            receipts: receipts.into_iter().collect::<Result<_, _>>()?,
            signals: signals.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?,
            deliveries: read,
            unreadable,
        })
    }
}

/// How many rows a write found new and wrote, and how many it found there already (by their keys) and left.
///
/// ```
/// use quantarya_ports::outbound::Written;
/// let first = Written { new: 3, present: 0 };
/// assert_eq!(first + Written { new: 0, present: 3 }, Written { new: 3, present: 3 });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows written.
    pub new: u64,
    /// Rows already there, left as they were.
    pub present: u64,
}

impl Written {
    /// `rows` rows offered, of which `new` were written.
    pub fn of(rows: usize, new: usize) -> Self {
        let (rows, new) = (u64::try_from(rows).unwrap_or(u64::MAX), u64::try_from(new).unwrap_or(u64::MAX));
        Self { new, present: rows.saturating_sub(new) }
    }
}

impl std::ops::Add for Written {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self { new: self.new + other.new, present: self.present + other.present }
    }
}

impl std::ops::AddAssign for Written {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

/// How much a journal holds: what a copy's progress is measured against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalSize {
    /// Profiles.
    pub accounts: u64,
    /// Trades.
    pub trades: u64,
}

/// A store a whole journal can be read from and written into, row for row.
///
/// Reads see rows as stored; writes are idempotent: a row whose key the store holds already is left as it is and
/// counted present, so a copy stopped halfway is finished by running it again. Each write is one atomic write.
/// Writes bypass the use cases' limits (a copy moves what was allowed when it was made) but not the store's
/// constraints: a profile whose name another profile holds fails with `Conflict(UserNameTaken)`, writing nothing.
///
/// ```
/// use quantarya_domain::UserId;
/// use quantarya_ports::StoreError;
/// use quantarya_ports::outbound::JournalCopy;
///
/// /// Every profile id of a store, a page at a time.
/// async fn every_account(store: &dyn JournalCopy) -> Result<Vec<UserId>, StoreError> {
///     let mut all: Vec<UserId> = Vec::new();
///     loop {
///         let page = store.account_ids(all.last(), 500).await?;
///         if page.is_empty() {
///             return Ok(all);
///         }
///         all.extend(page);
///     }
/// }
/// ```
#[async_trait]
pub trait JournalCopy: Send + Sync {
    /// How many profiles and trades the store holds.
    async fn journal_size(&self) -> Result<JournalSize, StoreError>;

    /// Up to `limit` profile ids in id order, strictly after `after` when given.
    async fn account_ids(&self, after: Option<&UserId>, limit: usize) -> Result<Vec<UserId>, StoreError>;

    /// The account of `id`; `None` when there is no such profile.
    async fn read_account(&self, id: &UserId) -> Result<Option<AccountRows>, StoreError>;

    /// Up to `limit` trades of `owner`'s strategy `strategy`, oldest first (`opened_at`, then id: the order the
    /// trade lists' index serves), strictly after `after` when given; empty for a strategy `owner` does not have.
    async fn read_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        limit: usize,
    ) -> Result<Vec<TradeRows>, StoreError>;

    /// What refers to `owner`'s trades.
    async fn read_trail(&self, owner: &UserId) -> Result<TrailRows, StoreError>;

    /// Writes the rows of `account` the store does not hold.
    async fn write_account(&self, account: &AccountRows) -> Result<Written, StoreError>;

    /// Writes the trades of `trades` the store does not hold, each with its history and import link (a trade held
    /// already is left with its history). Moves the closed revision of a strategy that gains a closed or
    /// cancelled trade. MUST fail with `Missing` when a trade's strategy is not there.
    async fn write_trades(&self, trades: &[TradeRows]) -> Result<Written, StoreError>;

    /// Writes the rows of `owner`'s `trail` the store does not hold (a signal log entry only into a strategy of
    /// `owner`'s).
    async fn write_trail(&self, owner: &UserId, trail: &TrailRows) -> Result<Written, StoreError>;
}
