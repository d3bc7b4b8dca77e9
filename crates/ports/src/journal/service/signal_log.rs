//! The signal log: each answered signal of the owner's strategy is stamped and handed to the store (which may
//! queue it), and read back a page at a time within the week it is kept.

use quantarya_domain::{SignalId, SignalLogEntry, StrategyId};

use super::JournalService;
use crate::JournalError;
use crate::journal::{Credential, Principal, SignalReport};
use crate::outbound::{SignalCursor, SignalLogFilter};
use crate::paging::{SignalLogPage, SignalLogQuery, split_page};

impl JournalService {
    /// Stamps `report` with its arrival, its id and the key that sent it, and records it.
    pub(super) fn log_signal(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        report: SignalReport,
    ) -> Result<(), JournalError> {
        let api_key_id = match &principal.credential {
            Credential::ApiKey { key_id, .. } => Some(*key_id),
            Credential::User { .. } => None,
        };
        let entry = SignalLogEntry {
            id: report.id.unwrap_or_else(|| SignalId::from_uuid(self.ports.ids.uuid())),
            strategy_id: strategy,
            received_at: self.ports.clock.now(),
            event: report.event,
            outcome: report.outcome,
            trade_id: report.trade_id,
            repeat: report.repeat,
            api_key_id,
            body: report.body,
        };
        Ok(self.ports.stores.signals.record_signal(&principal.user_id, entry)?)
    }

    /// One page of the strategy's log, newest first, within [`SignalLogEntry::RETENTION`].
    pub(super) async fn signal_page(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: SignalLogQuery,
    ) -> Result<SignalLogPage, JournalError> {
        let filter =
            SignalLogFilter { since: SignalLogEntry::kept_since(self.ports.clock.now()), result: query.result };
        let limit = query.limit.get();
        let listed =
            self.ports.stores.signals.signal_log(&principal.user_id, strategy, &filter, query.cursor, limit + 1);
        let Some(mut entries) = listed.await? else {
            return Err(self.missing(principal, "strategy").await);
        };
        let next_cursor =
            split_page(&mut entries, limit, |last| SignalCursor { received_at: last.received_at, signal_id: last.id });
        Ok(SignalLogPage { entries, next_cursor })
    }
}
