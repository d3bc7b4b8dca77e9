//! Moving a whole journal from one store to another ([`copy_journal`]), as `quantarya copy` does: every account,
//! in id order, with its trades a page at a time, through the [`JournalCopy`] port of both stores.

use quantarya_domain::UserId;

use crate::StoreError;
use crate::outbound::{JournalCopy, JournalSize, TradeCursor, Written};

/// How many accounts, and how many trades, are read and written at a time.
pub const COPY_PAGE: usize = 500;

/// Told how a copy goes (a progress bar on a terminal, a log line elsewhere).
///
/// ```
/// use quantarya_ports::CopyProgress;
/// use quantarya_ports::outbound::JournalSize;
///
/// /// Counts what it is told.
/// #[derive(Default)]
/// struct Tally { expected: u64, trades: u64, accounts: u64 }
///
/// impl CopyProgress for Tally {
///     fn begun(&mut self, size: JournalSize) { self.expected = size.trades; }
///     fn trades_copied(&mut self, trades: u64) { self.trades += trades; }
///     fn account_copied(&mut self) { self.accounts += 1; }
/// }
///
/// let mut tally = Tally::default();
/// tally.begun(JournalSize { accounts: 1, trades: 3 });
/// tally.trades_copied(3);
/// tally.account_copied();
/// assert_eq!((tally.trades, tally.accounts), (tally.expected, 1));
/// ```
pub trait CopyProgress: Send {
    /// The copy begins: what the source holds.
    fn begun(&mut self, size: JournalSize);
    /// `trades` more trades were copied (written or found there).
    fn trades_copied(&mut self, trades: u64);
    /// One more account was copied whole.
    fn account_copied(&mut self);
}

/// A progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unwatched;

impl CopyProgress for Unwatched {
    fn begun(&mut self, _size: JournalSize) {}
    fn trades_copied(&mut self, _trades: u64) {}
    fn account_copied(&mut self) {}
}

/// What a copy did.
#[derive(Debug, Default)]
pub struct CopyReport {
    /// Accounts copied whole.
    pub accounts: u64,
    /// Trades copied (written or found there).
    pub trades: u64,
    /// Rows of every kind written, and found there already.
    pub rows: Written,
    /// Deliveries left out because they do not read back at the source.
    pub unreadable: u64,
    /// Accounts the target refused or failed, with why: the copy went on with the others, and running it again
    /// retries them.
    pub failed: Vec<(UserId, StoreError)>,
}

/// Why a copy stopped. What was written before it stays, and running the copy again finishes it.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source could not be read.
    #[error("reading the source failed: {0}")]
    Read(#[source] StoreError),
}

/// Copies every account of `from` into `to`: profiles, strategies, API keys, webhook subscriptions, imports, trades
/// with their whole history, receipts, signal logs and deliveries, as stored. Rows `to` holds already are left as
/// they are, so a copy is idempotent, and one that stopped is finished by running it again. An account the target
/// refuses (a profile name another of its profiles holds) or fails to write is reported in
/// [`CopyReport::failed`], and the copy goes on with the next. Meant for a source no service writes to meanwhile:
/// a trade changed at the source after it was copied is not copied again.
///
/// # Errors
///
/// [`CopyError::Read`] when the source fails.
///
/// ```
/// use quantarya_ports::outbound::JournalCopy;
/// use quantarya_ports::{CopyError, Unwatched, copy_journal};
///
/// /// Copies `from` into `to` and says how many rows were new.
/// async fn move_journal(from: &dyn JournalCopy, to: &dyn JournalCopy) -> Result<u64, CopyError> {
///     Ok(copy_journal(from, to, &mut Unwatched).await?.rows.new)
/// }
/// ```
pub async fn copy_journal(
    from: &dyn JournalCopy,
    to: &dyn JournalCopy,
    progress: &mut dyn CopyProgress,
) -> Result<CopyReport, CopyError> {
    progress.begun(from.journal_size().await.map_err(CopyError::Read)?);
    let mut report = CopyReport::default();
    let mut after: Option<UserId> = None;
    loop {
        let ids = from.account_ids(after.as_ref(), COPY_PAGE).await.map_err(CopyError::Read)?;
        for id in &ids {
            match copy_account(from, to, id, progress, &mut report).await {
                Ok(()) => {}
                Err(Failure::Read(error)) => return Err(CopyError::Read(error)),
                Err(Failure::Write(error)) => report.failed.push((id.clone(), error)),
            }
        }
        match ids.into_iter().last() {
            Some(last) => after = Some(last),
            None => return Ok(report),
        }
    }
}

/// Why one account's copy stopped: the source (the copy stops) or the target (the copy goes on).
enum Failure {
    Read(StoreError),
    Write(StoreError),
}

/// Copies one account: what its trades refer to, its trades strategy by strategy, then what refers to them.
async fn copy_account(
    from: &dyn JournalCopy,
    to: &dyn JournalCopy,
    id: &UserId,
    progress: &mut dyn CopyProgress,
    report: &mut CopyReport,
) -> Result<(), Failure> {
    // An account removed since it was listed is not copied.
    let Some(account) = from.read_account(id).await.map_err(Failure::Read)? else {
        return Ok(());
    };
    report.rows += to.write_account(&account).await.map_err(Failure::Write)?;
    for strategy in &account.strategies {
        let mut after = None;
        loop {
            let trades = from.read_trades(id, strategy.id, after, COPY_PAGE).await.map_err(Failure::Read)?;
            let Some(last) = trades.last() else { break };
            after = Some(TradeCursor { opened_at: last.trade.opened_at, trade_id: last.trade.id });
            report.rows += to.write_trades(&trades).await.map_err(Failure::Write)?;
            let count = u64::try_from(trades.len()).unwrap_or(u64::MAX);
            report.trades += count;
            progress.trades_copied(count);
        }
    }
    let trail = from.read_trail(id).await.map_err(Failure::Read)?;
    report.rows += to.write_trail(id, &trail).await.map_err(Failure::Write)?;
    report.unreadable += trail.unreadable;
    report.accounts += 1;
    progress.account_copied();
    Ok(())
}
