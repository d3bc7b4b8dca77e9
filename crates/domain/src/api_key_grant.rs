//! What an API key may do: its scopes, the strategies it is confined to, and when it stops working.
//!
//! A key lives in TradingView alert bodies, where anyone who can open the alert reads it; so a trader gives the
//! webhook's key the `signals` scope alone, for the one strategy the alert feeds, and a date it ends.

use std::fmt;

use crate::ids::StrategyId;
use crate::time::Timestamp;
use crate::value::ValueError;

/// One kind of operation a key may be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiKeyScope {
    /// Send signals: entries, updates and exits.
    Signals,
    /// Read trades: a strategy's list and one trade.
    Read,
    /// Change, close and delete trades one by one.
    Manage,
}

impl ApiKeyScope {
    /// Every scope, in the order lists show them.
    pub const ALL: [Self; 3] = [Self::Signals, Self::Read, Self::Manage];

    /// `signals`, `read` or `manage`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Signals => "signals",
            Self::Read => "read",
            Self::Manage => "manage",
        }
    }

    /// Parses the text of [`ApiKeyScope::as_str`], exactly.
    ///
    /// ```
    /// use quantarya_domain::ApiKeyScope;
    /// assert_eq!(ApiKeyScope::parse("signals"), Some(ApiKeyScope::Signals));
    /// assert_eq!(ApiKeyScope::parse("Signals"), None);
    /// ```
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == raw)
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Signals => 1,
            Self::Read => 2,
            Self::Manage => 4,
        }
    }
}

/// The scopes of a key: never empty (a key that may do nothing is a mistake, refused when it is made).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiKeyScopes(u8);

impl ApiKeyScopes {
    /// All three scopes: what a key gets when its request names none (the reference's keys).
    pub const ALL: Self = Self(1 | 2 | 4);

    /// The set of `scopes` (repeats count once); `Empty` when there are none, `TooMany` when more are given than
    /// there are scopes (counted as given, as the API documents the list: at most three items).
    ///
    /// ```
    /// use quantarya_domain::{ApiKeyScope, ApiKeyScopes, ValueError};
    /// let webhook = ApiKeyScopes::new([ApiKeyScope::Signals, ApiKeyScope::Signals])?;
    /// assert!(webhook.contains(ApiKeyScope::Signals) && !webhook.contains(ApiKeyScope::Manage));
    /// assert_eq!(ApiKeyScopes::new([]), Err(ValueError::Empty));
    /// assert_eq!(ApiKeyScopes::new([ApiKeyScope::Read; 4]), Err(ValueError::TooMany { max: 3 }));
    /// # Ok::<(), ValueError>(())
    /// ```
    pub fn new(scopes: impl IntoIterator<Item = ApiKeyScope>) -> Result<Self, ValueError> {
        let (given, bits) = scopes.into_iter().fold((0, 0), |(given, bits), scope| (given + 1, bits | scope.bit()));
        if given > ApiKeyScope::ALL.len() {
            return Err(ValueError::TooMany { max: ApiKeyScope::ALL.len() });
        }
        if bits == 0 { Err(ValueError::Empty) } else { Ok(Self(bits)) }
    }

    /// Whether `scope` is one of them.
    pub const fn contains(self, scope: ApiKeyScope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The scopes, in [`ApiKeyScope::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = ApiKeyScope> {
        ApiKeyScope::ALL.into_iter().filter(move |scope| self.contains(*scope))
    }
}

impl fmt::Debug for ApiKeyScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(ApiKeyScope::as_str)).finish()
    }
}

/// The strategies a key is confined to: 1–100 ids, repeats dropped, order kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyStrategies(Vec<StrategyId>);

impl KeyStrategies {
    /// The most strategies one key may name.
    pub const MAX: usize = 100;

    /// The list of `ids`; `Empty` for none, `TooMany` beyond [`KeyStrategies::MAX`] (counted as given).
    ///
    /// ```
    /// use quantarya_domain::{KeyStrategies, StrategyId, ValueError};
    /// # use quantarya_domain::uuid::Uuid;
    /// let id = StrategyId::from_uuid(Uuid::from_u128(7));
    /// let only = KeyStrategies::new(vec![id, id])?;
    /// assert_eq!(only.as_slice(), &[id]);
    /// assert_eq!(KeyStrategies::new(vec![]), Err(ValueError::Empty));
    /// # Ok::<(), ValueError>(())
    /// ```
    pub fn new(ids: Vec<StrategyId>) -> Result<Self, ValueError> {
        if ids.is_empty() {
            return Err(ValueError::Empty);
        }
        if ids.len() > Self::MAX {
            return Err(ValueError::TooMany { max: Self::MAX });
        }
        let mut kept: Vec<StrategyId> = Vec::with_capacity(ids.len());
        for id in ids {
            if !kept.contains(&id) {
                kept.push(id);
            }
        }
        Ok(Self(kept))
    }

    /// The ids, in the order given.
    pub fn as_slice(&self) -> &[StrategyId] {
        &self.0
    }

    /// Whether `strategy` is one of them.
    pub fn contains(&self, strategy: StrategyId) -> bool {
        self.0.contains(&strategy)
    }
}

/// What a key may do, fixed when it is made: a key's grant never changes (a trader who wants another makes a new
/// key and revokes the old one), so every instance may keep a verified key in memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyGrant {
    /// What it may do.
    pub scopes: ApiKeyScopes,
    /// The strategies it may touch; `None` for all of its owner's.
    pub strategies: Option<KeyStrategies>,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
}

impl Default for KeyGrant {
    /// Every scope, every strategy, no end: the reference's keys.
    fn default() -> Self {
        Self { scopes: ApiKeyScopes::ALL, strategies: None, expires_at: None }
    }
}

impl KeyGrant {
    /// How far ahead a key's end may be set, in months: two years.
    pub const MAX_LIFETIME_MONTHS: u32 = 24;

    /// Checks the end of a key made `now`: after `now`, at most [`KeyGrant::MAX_LIFETIME_MONTHS`] ahead.
    ///
    /// ```
    /// use quantarya_domain::{KeyGrant, Timestamp};
    /// let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid time");
    /// let now = at("2026-12-01T00:00:00Z");
    /// let ends = |s| KeyGrant { expires_at: Some(at(s)), ..KeyGrant::default() };
    /// assert!(ends("2028-12-01T00:00:00Z").check_expiry(now).is_ok());
    /// assert!(ends("2028-12-01T00:00:01Z").check_expiry(now).is_err());
    /// assert!(ends("2026-12-01T00:00:00Z").check_expiry(now).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// `Format` with the rule, when the end is not after `now` or too far ahead.
    pub fn check_expiry(&self, now: Timestamp) -> Result<(), ValueError> {
        let Some(end) = self.expires_at else {
            return Ok(());
        };
        if end <= now {
            return Err(ValueError::Format("must be in the future"));
        }
        let latest = now.as_datetime().checked_add_months(chrono::Months::new(Self::MAX_LIFETIME_MONTHS));
        if latest.is_none_or(|latest| end.as_datetime() > latest) {
            return Err(ValueError::Format("must be at most 2 years ahead"));
        }
        Ok(())
    }

    /// Whether the key has stopped working at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|end| end <= now)
    }

    /// Whether the key may use `scope` on `strategy`.
    ///
    /// ```
    /// use quantarya_domain::{ApiKeyScope, ApiKeyScopes, KeyGrant, KeyStrategies, StrategyId};
    /// # use quantarya_domain::uuid::Uuid;
    /// let (fed, other) = (StrategyId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
    /// let webhook = KeyGrant {
    ///     scopes: ApiKeyScopes::new([ApiKeyScope::Signals])?,
    ///     strategies: Some(KeyStrategies::new(vec![fed])?),
    ///     expires_at: None,
    /// };
    /// assert!(webhook.allows(ApiKeyScope::Signals, fed));
    /// assert!(!webhook.allows(ApiKeyScope::Signals, other));
    /// assert!(!webhook.allows(ApiKeyScope::Read, fed));
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn allows(&self, scope: ApiKeyScope, strategy: StrategyId) -> bool {
        self.scopes.contains(scope) && self.reaches(strategy)
    }

    /// Whether the key may touch `strategy` at all: any of its owner's when it is not confined, else only those
    /// it names.
    pub fn reaches(&self, strategy: StrategyId) -> bool {
        self.strategies.as_ref().is_none_or(|only| only.contains(strategy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn id(n: u128) -> StrategyId {
        StrategyId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn every_scope_parses_back_and_the_set_lists_them_in_order() {
        for scope in ApiKeyScope::ALL {
            assert_eq!(ApiKeyScope::parse(scope.as_str()), Some(scope));
        }
        let set = ApiKeyScopes::new([ApiKeyScope::Manage, ApiKeyScope::Signals]).expect("two scopes");
        assert_eq!(set.iter().collect::<Vec<_>>(), [ApiKeyScope::Signals, ApiKeyScope::Manage]);
        assert_eq!(ApiKeyScopes::ALL.iter().collect::<Vec<_>>(), ApiKeyScope::ALL);
        assert_eq!(format!("{set:?}"), r#"{"signals", "manage"}"#);
    }

    #[test]
    fn strategies_are_counted_as_given() {
        let many: Vec<StrategyId> = (0..=KeyStrategies::MAX as u128).map(id).collect();
        assert_eq!(KeyStrategies::new(many), Err(ValueError::TooMany { max: KeyStrategies::MAX }));
        let repeated = vec![id(1); KeyStrategies::MAX + 1];
        assert_eq!(KeyStrategies::new(repeated), Err(ValueError::TooMany { max: KeyStrategies::MAX }));
        assert_eq!(KeyStrategies::new(vec![id(2), id(1), id(2)]).map(|s| s.0), Ok(vec![id(2), id(1)]));
    }

    #[test]
    fn a_key_ends_at_its_expiry_exactly() {
        let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid time");
        let grant = KeyGrant { expires_at: Some(at("2027-01-01T00:00:00Z")), ..KeyGrant::default() };
        assert!(!grant.is_expired(at("2026-12-31T23:59:59.999999Z")));
        assert!(grant.is_expired(at("2027-01-01T00:00:00Z")));
        assert!(!KeyGrant::default().is_expired(at("9999-12-31T00:00:00Z")));
    }

    #[test]
    fn an_unconfined_key_reaches_every_strategy_within_its_scopes() {
        let read = KeyGrant { scopes: ApiKeyScopes::new([ApiKeyScope::Read]).expect("one"), ..KeyGrant::default() };
        assert!(read.allows(ApiKeyScope::Read, id(9)));
        assert!(!read.allows(ApiKeyScope::Signals, id(9)));
        assert!(KeyGrant::default().allows(ApiKeyScope::Manage, id(9)));
    }
}
