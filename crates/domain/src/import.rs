//! Imports: a file of trades brought into a strategy whole, each trade remembered by a key, so that importing the
//! same file again makes no trade twice, and removed only with its whole import.
//!
//! ```
//! use quantarya_domain::{ImportFormat, ImportKey, TradeId};
//! # use quantarya_domain::uuid::Uuid;
//! assert_eq!(ImportFormat::parse("TradingView"), Some(ImportFormat::TradingView));
//! let exported = TradeId::from_uuid(Uuid::from_u128(7));
//! let key = ImportKey::exported(exported);
//! assert_eq!(key.exported_trade(), Some(exported));
//! assert_eq!(ImportKey::parse(key.as_str()), Some(key));
//! assert_eq!(ImportKey::listed("tradingview:3:2024-01-03T09:30:00Z").exported_trade(), None);
//! ```

use crate::ids::{ImportId, StrategyId, TradeId, UserId};
use crate::time::Timestamp;
use crate::trade::{CorruptTrade, EventKind, FieldChange, Origin, Trade, TradeEvent, TradeRecord};
use crate::{CredentialKind, EventId};

/// The formats trades are imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportFormat {
    /// TradingView's "List of trades" export of a strategy.
    TradingView,
    /// Quantarya's own export.
    Quantarya,
}

impl ImportFormat {
    /// Every format.
    pub const ALL: [Self; 2] = [Self::TradingView, Self::Quantarya];

    /// `tradingview` or `quantarya`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TradingView => "tradingview",
            Self::Quantarya => "quantarya",
        }
    }

    /// Reads the name of [`ImportFormat::as_str`], in any case.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

/// What makes a trade of a file the same trade in another import of it: a list's trade number with its entry time
/// (`tradingview:<number>:<time>`), or an export's trade id (`quantarya:<trade id>`). A strategy holds at most one
/// trade per key; a key naming an exported trade also matches that trade itself, should it be in the strategy
/// (an export imported back where it came from).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportKey(String);

impl ImportKey {
    /// The prefix of a key that names an exported trade.
    const EXPORTED: &'static str = "quantarya:";

    /// The key of an exported trade.
    pub fn exported(id: TradeId) -> Self {
        Self(format!("{}{id}", Self::EXPORTED))
    }

    /// The key a list gives its trade (`tradingview:<number>:<time>`).
    pub fn listed(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// A key as stored.
    pub fn parse(raw: &str) -> Option<Self> {
        (!raw.is_empty()).then(|| Self(raw.to_owned()))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The exported trade this key names, if it names one.
    pub fn exported_trade(&self) -> Option<TradeId> {
        self.0.strip_prefix(Self::EXPORTED).and_then(|id| TradeId::parse(id).ok())
    }
}

/// One import of a file into a strategy: how many trades it made, and how many it found already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Its id.
    pub id: ImportId,
    /// The strategy the trades went into.
    pub strategy_id: StrategyId,
    /// Its owner.
    pub user_id: UserId,
    /// The file's format.
    pub format: ImportFormat,
    /// Trades made.
    pub created: u64,
    /// Trades of the file already in the strategy, skipped.
    pub duplicates: u64,
    /// When it was made.
    pub created_at: Timestamp,
}

/// A trade an import makes, with the first event of its history and its key.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedTrade {
    /// What makes it the same trade in another import.
    pub key: ImportKey,
    /// The trade.
    pub trade: Trade,
    /// Its history's first event.
    pub event: TradeEvent,
}

impl Import {
    /// The most trades one file may hold: a larger file is split (its 32 MiB could hold about 450 000 minimal
    /// TradingView trades, each held in memory several times over while it is read and written).
    pub const MAX_TRADES: usize = 100_000;
}

impl ImportedTrade {
    /// The trade `record` describes (its id, strategy and owner set, every other field as the file gave it), made
    /// by an import at `at`: origin `import`, version 1, created and updated then; its history opens with one `entry`
    /// event, by the user, that sets every field the trade has.
    ///
    /// # Errors
    ///
    /// When the record breaks a trade's invariants ([`Trade::restore`]).
    pub fn new(key: ImportKey, record: TradeRecord, event_id: EventId, at: Timestamp) -> Result<Self, CorruptTrade> {
        let mut record =
            TradeRecord { origin: Origin::Import, live: false, created_at: at, updated_at: at, version: 1, ..record };
        record.bound_excursions();
        let trade = Trade::restore(record)?;
        let event = TradeEvent {
            id: event_id,
            trade_id: trade.id,
            version: 1,
            kind: EventKind::Entry,
            at,
            by: CredentialKind::User,
            changes: FieldChange::between(None, &trade),
        };
        Ok(Self { key, trade, event })
    }
}
