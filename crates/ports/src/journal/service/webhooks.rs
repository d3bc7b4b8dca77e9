//! Webhook subscriptions: made (the SSRF guard asked first, the strategies checked as the caller's), listed,
//! removed, and their deliveries read a page at a time.

use quantarya_domain::{NewWebhook, Webhook, WebhookId, WebhookSecret};

use super::JournalService;
use crate::journal::Principal;
use crate::outbound::DeliveryCursor;
use crate::paging::{DeliveryPage, DeliveryQuery, split_page};
use crate::{ForbiddenKind, JournalError, StoreError};

impl JournalService {
    /// Subscribes an endpoint. No profile read first: the store refuses a subscription of a user it does not know.
    pub(super) async fn subscribe(&self, principal: &Principal, new: NewWebhook) -> Result<Webhook, JournalError> {
        if let Some(only) = &new.strategy_ids {
            self.own_strategies(principal, only.ids()).await?;
        }
        self.ports.endpoints.check(&new.url).await.map_err(|refused| JournalError::invalid("url", refused))?;
        let id = WebhookId::from_uuid(self.ports.ids.uuid());
        let secret = WebhookSecret::from_random(self.ports.ids.webhook_key());
        let webhook = Webhook::create(id, principal.user_id.clone(), new, secret, self.ports.clock.now());
        match self.ports.stores.webhooks.insert_webhook(&webhook).await {
            Ok(()) => Ok(webhook),
            Err(StoreError::Missing) => Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired)),
            Err(other) => Err(other.into()),
        }
    }

    /// The caller's subscriptions, oldest first.
    pub(super) async fn webhooks(&self, principal: &Principal) -> Result<Vec<Webhook>, JournalError> {
        let hooks = self.ports.stores.webhooks.list_webhooks(&principal.user_id).await?;
        if hooks.is_empty() {
            // Only an empty list can belong to a user without a profile.
            self.require_profile(principal).await?;
        }
        Ok(hooks)
    }

    /// Removes a subscription of the caller's.
    pub(super) async fn unsubscribe(&self, principal: &Principal, id: WebhookId) -> Result<(), JournalError> {
        if self.ports.stores.webhooks.delete_webhook(&principal.user_id, id).await? {
            Ok(())
        } else {
            Err(self.missing(principal, "webhook").await)
        }
    }

    /// One page of a subscription's deliveries, newest first.
    pub(super) async fn delivery_page(
        &self,
        principal: &Principal,
        id: WebhookId,
        query: DeliveryQuery,
    ) -> Result<DeliveryPage, JournalError> {
        let limit = query.limit.get();
        let listed = self.ports.stores.webhooks.webhook_deliveries(&principal.user_id, id, query.cursor, limit + 1);
        let Some(mut deliveries) = listed.await? else {
            return Err(self.missing(principal, "webhook").await);
        };
        let next_cursor = split_page(&mut deliveries, limit, |last| DeliveryCursor {
            created_at: last.created_at,
            event_id: last.event_id,
        });
        Ok(DeliveryPage { deliveries, next_cursor })
    }
}
