//! Outbound webhooks: subscriptions to trade changes ([`Webhook`]), the kinds of change ([`event`]), the
//! endpoint and the addresses it may not reach ([`endpoint`]), the signing secret ([`secret`]) and deliveries
//! with their retry schedule ([`delivery`]).

pub(crate) mod delivery;
pub(crate) mod endpoint;
pub(crate) mod event;
pub(crate) mod secret;

use crate::ids::{StrategyId, UserId, WebhookId};
use crate::time::Timestamp;
use crate::value::ValueError;

pub use delivery::{Delivery, DeliveryState, RetrySchedule};
pub use endpoint::{WebhookUrl, forbidden_address};
pub use event::{WebhookEvent, WebhookEvents};
pub use secret::WebhookSecret;

/// What a new subscription asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where deliveries go.
    pub url: WebhookUrl,
    /// The kinds of change delivered.
    pub events: WebhookEvents,
    /// Only changes of these strategies (`None`: every strategy of the user).
    pub strategy_ids: Option<WebhookStrategies>,
}

/// The strategies a subscription hears: 1 to [`WebhookStrategies::MAX`] distinct ids.
///
/// ```
/// use quantarya_domain::{StrategyId, WebhookStrategies};
/// # use quantarya_domain::uuid::Uuid;
/// let one = StrategyId::from_uuid(Uuid::from_u128(1));
/// let only = WebhookStrategies::new(vec![one, one])?;
/// assert_eq!(only.ids(), [one]);
/// assert!(only.contains(one));
/// assert!(WebhookStrategies::new(vec![]).is_err());
/// # Ok::<(), quantarya_domain::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookStrategies(Vec<StrategyId>);

impl WebhookStrategies {
    /// The most strategies one subscription may name (a user has at most 200).
    pub const MAX: usize = 200;

    /// The set of `ids` (duplicates count once, kept sorted).
    pub fn new(mut ids: Vec<StrategyId>) -> Result<Self, ValueError> {
        ids.sort_unstable();
        ids.dedup();
        match ids.len() {
            0 => Err(ValueError::Empty),
            n if n > Self::MAX => Err(ValueError::TooMany { max: Self::MAX }),
            _ => Ok(Self(ids)),
        }
    }

    /// The ids, sorted.
    pub fn ids(&self) -> &[StrategyId] {
        &self.0
    }

    /// Whether `id` is one of them.
    pub fn contains(&self, id: StrategyId) -> bool {
        self.0.binary_search(&id).is_ok()
    }
}

/// A subscription of an endpoint to some of a user's trade changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Its owner.
    pub user_id: UserId,
    /// Where deliveries go.
    pub url: WebhookUrl,
    /// The kinds of change delivered.
    pub events: WebhookEvents,
    /// Only changes of these strategies (`None`: all of the owner's).
    pub strategy_ids: Option<WebhookStrategies>,
    /// What deliveries are signed with.
    pub secret: WebhookSecret,
    /// When it was made.
    pub created_at: Timestamp,
    /// When an answer 410 disabled it; a disabled subscription records no new event.
    pub disabled_at: Option<Timestamp>,
}

impl Webhook {
    /// How many subscriptions one user may have.
    pub const LIMIT_PER_USER: usize = 10;

    /// A new subscription.
    pub fn create(id: WebhookId, user_id: UserId, new: NewWebhook, secret: WebhookSecret, now: Timestamp) -> Self {
        Self {
            id,
            user_id,
            url: new.url,
            events: new.events,
            strategy_ids: new.strategy_ids,
            secret,
            created_at: now,
            disabled_at: None,
        }
    }

    /// Whether a change of kind `event` to a trade of `strategy` is delivered to it: it is enabled, asks for
    /// the kind and hears the strategy.
    ///
    /// ```
    /// use quantarya_domain::*;
    /// # use quantarya_domain::uuid::Uuid;
    /// # let at = Timestamp::parse_rfc3339("2026-12-06T00:00:00Z")?;
    /// let (mine, other) = (StrategyId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
    /// let new = NewWebhook {
    ///     url: WebhookUrl::parse("https://example.com/hook")?,
    ///     events: WebhookEvents::of([WebhookEvent::Closed])?,
    ///     strategy_ids: Some(WebhookStrategies::new(vec![mine])?),
    /// };
    /// let hook = Webhook::create(WebhookId::from_uuid(Uuid::from_u128(3)), UserId::parse("u")?, new, WebhookSecret::from_random([1; 32]), at);
    /// assert!(hook.wants(WebhookEvent::Closed, mine));
    /// assert!(!hook.wants(WebhookEvent::Opened, mine));
    /// assert!(!hook.wants(WebhookEvent::Closed, other));
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn wants(&self, event: WebhookEvent, strategy: StrategyId) -> bool {
        self.disabled_at.is_none()
            && self.events.contains(event)
            && self.strategy_ids.as_ref().is_none_or(|only| only.contains(strategy))
    }
}
