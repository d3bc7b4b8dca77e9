//! A strategy: the workspace a trader sends one system's signals to.

use crate::currency::Currency;
use crate::ids::{StrategyId, UserId};
use crate::time::Timestamp;
use crate::trade::{Status, Trade};
use crate::value::{ValueError, bounded_text, bounded_trimmed};

bounded_text!(
    /// A strategy's title: 1–120 characters, trimmed.
    StrategyTitle,
    1,
    120
);

bounded_text!(
    /// A strategy's description: up to 2000 characters, trimmed.
    Description,
    0,
    2000
);

impl Description {
    /// A description where blank text means none: `Ok(None)` for `""` or only spaces.
    ///
    /// ```
    /// use quantarya_domain::Description;
    /// assert_eq!(Description::parse_optional("  "), Ok(None));
    /// assert_eq!(Description::parse_optional(" Breakouts ").map(|d| d.map(|d| d.to_string())), Ok(Some("Breakouts".to_owned())));
    /// ```
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, ValueError> {
        let description = Self::parse(raw)?;
        Ok((!description.as_str().is_empty()).then_some(description))
    }
}

/// A strategy's tags: at most 10 given, each 1–32 characters, trimmed and lowercased, duplicates dropped, order
/// kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Tags(Vec<String>);

impl Tags {
    /// The most tags a strategy may carry.
    pub const MAX_TAGS: usize = 10;
    /// The most characters in one tag.
    pub const MAX_TAG_CHARS: usize = 32;

    /// Normalises the tags; the error names the index of the first bad one.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, (Option<usize>, ValueError)> {
        // Counted as given, before duplicates are dropped: a request over the limit is refused, whatever it holds.
        if raw.len() > Self::MAX_TAGS {
            return Err((None, ValueError::TooMany { max: Self::MAX_TAGS }));
        }
        let mut tags: Vec<String> = Vec::with_capacity(raw.len());
        for (index, tag) in raw.iter().enumerate() {
            // Lowercase first: some letters lowercase to more than one character.
            let lowered = tag.as_ref().to_lowercase();
            let tag = bounded_trimmed(&lowered, 1, Self::MAX_TAG_CHARS).map_err(|e| (Some(index), e))?;
            if !tags.iter().any(|kept| kept == tag) {
                tags.push(tag.to_owned());
            }
        }
        Ok(Self(tags))
    }

    /// The tags in the order they were given.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// How old an entry's signal may be when it arrives, in seconds: 1–86 400 (a day). A strategy with one refuses
/// entries whose `signal_time` is older (a late TradingView alert would open a trade at a price long gone); updates
/// and exits apply whatever their age, since a late exit must still close the trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalAge(u32);

impl SignalAge {
    /// The longest age a strategy may allow.
    pub const MAX_SECONDS: u32 = 86_400;

    /// An age of `seconds`, 1 to [`SignalAge::MAX_SECONDS`].
    ///
    /// ```
    /// use quantarya_domain::SignalAge;
    /// assert_eq!(SignalAge::new(60).map(SignalAge::seconds), Ok(60));
    /// assert!(SignalAge::new(0).is_err() && SignalAge::new(86_401).is_err());
    /// ```
    pub fn new(seconds: u64) -> Result<Self, ValueError> {
        match u32::try_from(seconds) {
            Ok(seconds) if (1..=Self::MAX_SECONDS).contains(&seconds) => Ok(Self(seconds)),
            _ => Err(ValueError::Format("must be a whole number of seconds from 1 to 86400")),
        }
    }

    /// The age, in seconds.
    pub const fn seconds(self) -> u32 {
        self.0
    }

    /// Whether this age refuses `trade`, a new trade made from an entry signal: an open trade whose `signal_time`
    /// is more than the age before it was received (`created_at`). A trade without `signal_time` is as fresh as
    /// its arrival; a back-filled (closed or cancelled) trade records the past and is never stale.
    ///
    /// ```
    /// use quantarya_domain::{SignalAge, Timestamp};
    /// let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid time");
    /// let minute = SignalAge::new(60)?;
    /// let received = at("2026-12-01T12:00:00Z");
    /// assert!(!minute.refuses_signal_of(at("2026-12-01T11:59:00Z"), received));
    /// assert!(minute.refuses_signal_of(at("2026-12-01T11:58:59.999999Z"), received));
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn refuses(self, trade: &Trade) -> bool {
        match trade.signal_time {
            Some(sent) if trade.status == Status::Open => self.refuses_signal_of(sent, trade.created_at),
            _ => false,
        }
    }

    /// Whether a signal sent at `sent` and received at `received` is older than this age.
    pub fn refuses_signal_of(self, sent: Timestamp, received: Timestamp) -> bool {
        sent.as_datetime() < received.as_datetime() - chrono::TimeDelta::seconds(i64::from(self.0))
    }
}

/// A strategy of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    /// Its id.
    pub id: StrategyId,
    /// Its owner.
    pub user_id: UserId,
    /// Its title.
    pub title: StrategyTitle,
    /// Its description, if any.
    pub description: Option<Description>,
    /// Its tags.
    pub tags: Tags,
    /// Whether it is shown, with its performance, on the owner's public profile.
    pub is_public: bool,
    /// The unit of its fees and P&L, if it has one.
    pub currency: Option<Currency>,
    /// How old an entry's signal may be on arrival, if the strategy limits it.
    pub max_signal_age: Option<SignalAge>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What a strategy is created from.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStrategy {
    /// The title.
    pub title: StrategyTitle,
    /// The description, if any.
    pub description: Option<Description>,
    /// The tags.
    pub tags: Tags,
    /// Whether it is public; defaults to false at the edge.
    pub is_public: bool,
    /// The unit of its fees and P&L, if any.
    pub currency: Option<Currency>,
    /// How old an entry's signal may be on arrival, if limited.
    pub max_signal_age: Option<SignalAge>,
}

impl NewStrategy {
    /// A strategy titled `title`, with every other field at its default: no description, no tags, private, no
    /// currency, entries of any age.
    ///
    /// ```
    /// use quantarya_domain::{NewStrategy, StrategyTitle};
    /// let new = NewStrategy::titled(StrategyTitle::parse("Breakouts")?);
    /// assert!(!new.is_public && new.max_signal_age.is_none());
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn titled(title: StrategyTitle) -> Self {
        Self { title, description: None, tags: Tags::default(), is_public: false, currency: None, max_signal_age: None }
    }
}

/// A partial change of a strategy (`PATCH /strategies/{id}`): `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrategyChange {
    /// A new title.
    pub title: Option<StrategyTitle>,
    /// A new description, or `Some(None)` to clear it.
    pub description: Option<Option<Description>>,
    /// New tags, replacing the old ones.
    pub tags: Option<Tags>,
    /// Show or hide it on the public profile.
    pub is_public: Option<bool>,
    /// A new currency, or `Some(None)` to clear it.
    pub currency: Option<Option<Currency>>,
    /// A new limit on entries' signal age, or `Some(None)` to lift it.
    pub max_signal_age: Option<Option<SignalAge>>,
}

impl StrategyChange {
    /// Whether the change names no field at all.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.tags.is_none()
            && self.is_public.is_none()
            && self.currency.is_none()
            && self.max_signal_age.is_none()
    }
}

impl Strategy {
    /// How many strategies one user may have.
    pub const LIMIT_PER_USER: usize = 200;

    /// A new strategy of `user_id`.
    pub fn create(id: StrategyId, user_id: UserId, new: NewStrategy, now: Timestamp) -> Self {
        Self {
            id,
            user_id,
            title: new.title,
            description: new.description,
            tags: new.tags,
            is_public: new.is_public,
            currency: new.currency,
            max_signal_age: new.max_signal_age,
            created_at: now,
            updated_at: now,
        }
    }

    /// This strategy with `change` applied; fields the change omits keep their value. `updated_at` becomes `now`,
    /// or just after the previous `updated_at`, so it strictly increases and stores can compare-and-swap on it.
    pub fn changed(&self, change: StrategyChange, now: Timestamp) -> Self {
        Self {
            id: self.id,
            user_id: self.user_id.clone(),
            title: change.title.unwrap_or_else(|| self.title.clone()),
            description: change.description.unwrap_or_else(|| self.description.clone()),
            tags: change.tags.unwrap_or_else(|| self.tags.clone()),
            is_public: change.is_public.unwrap_or(self.is_public),
            currency: change.currency.unwrap_or_else(|| self.currency.clone()),
            max_signal_age: change.max_signal_age.unwrap_or(self.max_signal_age),
            created_at: self.created_at,
            updated_at: now.strictly_after(self.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(StrategyTitle::parse("  Momentum  ").map(|t| t.to_string()), Ok("Momentum".to_owned()));
        assert_eq!(StrategyTitle::parse("   "), Err(ValueError::Empty));
        assert!(StrategyTitle::parse(&"x".repeat(121)).is_err());
        assert!(Description::parse(&"x".repeat(2000)).is_ok());
        assert!(Description::parse(&"x".repeat(2001)).is_err());
    }

    #[test]
    fn tags_are_normalised_deduplicated_and_ordered() {
        let tags = Tags::parse(&[" FX ", "breakout", "fx", "Breakout", "swing"]).expect("valid");
        assert_eq!(tags.as_slice(), ["fx", "breakout", "swing"]);
    }

    #[test]
    fn tags_limits_name_the_bad_tag() {
        assert_eq!(Tags::parse(&["ok", " "]), Err((Some(1), ValueError::Empty)));
        assert!(Tags::parse(&["x".repeat(33)]).is_err());
        assert!(Tags::parse(&["İ".repeat(32)]).is_err(), "checked after lowercasing, which doubles this letter");
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert_eq!(Tags::parse(&eleven), Err((None, ValueError::TooMany { max: 10 })));
        // The limit counts the tags as given, duplicates too: what a request sends is what its schema bounds.
        let duplicates: Vec<String> = (0..20).map(|i| format!("t{}", i % 10)).collect();
        assert_eq!(Tags::parse(&duplicates), Err((None, ValueError::TooMany { max: 10 })));
        let ten: Vec<String> = (0..10).map(|i| format!("t{}", i % 5)).collect();
        assert_eq!(Tags::parse(&ten).map(|t| t.as_slice().len()), Ok(5));
    }
}
