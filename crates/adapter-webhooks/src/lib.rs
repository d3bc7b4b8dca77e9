//! Quantarya's outbound webhooks over HTTP: the [`EndpointGuard`] that keeps deliveries off internal addresses
//! ([`guard`]), and the [`WebhookSender`] that signs each delivery as Standard Webhooks says and posts it with
//! `reqwest` ([`sender`]).
//!
//! Unless insecure endpoints are allowed (`QUANTARYA_WEBHOOKS_ALLOW_INSECURE=1`, for development and tests), an
//! endpoint must be `https://` and every address its host resolves to must be public
//! ([`quantarya_domain::forbidden_address`]). The guard checks when a subscription is made; the sender checks again
//! at each delivery, in the resolver of its HTTP client, so the address it connects to is the address it checked
//! (a name that resolves elsewhere since, or a DNS rebinding, cannot slip through). It follows no redirect and
//! uses no proxy.

#![warn(missing_docs)]

mod guard;
mod sender;

pub use guard::{Endpoints, Refusal};
pub use sender::{HttpSender, SenderError};

/// How long one delivery may take, answer included.
pub const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub use quantarya_ports::outbound::{EndpointGuard, WebhookSender};
