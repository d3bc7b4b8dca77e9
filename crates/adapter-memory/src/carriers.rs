//! What a book knows of one external reference: the trades that carry it (at most one of them open), and the
//! latest receipt of the signals that named it. One entry of the book's reference index holds both, so a
//! referenced signal finds its trade and the receipt it is judged by with one lookup, and a receipt costs no entry
//! (no key, no slot) of its own.

use std::num::NonZeroU32;

use quantarya_domain::{Receipt, TradeId};
use smallvec::SmallVec;

/// The trades carrying one reference, and the latest receipt of a signal that named it.
#[derive(Debug, Default)]
pub(crate) struct Carriers {
    /// All of them, sorted by id (UUIDv7, so in creation order); inline while there is one, as for most references
    /// (a separate allocation or a set's node would cost more than the trade's id).
    all: SmallVec<[TradeId; 1]>,
    /// The open one's place in `all`, counted from 1 (so that it takes four bytes): at most one is open.
    open: Option<NonZeroU32>,
    /// The latest receipt of a signal to this reference, while it counts (any trade's: a receipt names the trade
    /// it acted on, which need not carry the reference). Boxed: once it is purged (by a write after it stopped
    /// counting), the entry keeps only the pointer's room, not the receipt's.
    pub(crate) latest: Option<Box<Receipt>>,
}

impl Carriers {
    /// The open one.
    pub(crate) fn open(&self) -> Option<TradeId> {
        self.open.and_then(|place| self.all.get(place.get() as usize - 1)).copied()
    }

    /// The most recently created one.
    pub(crate) fn latest_trade(&self) -> Option<TradeId> {
        self.all.last().copied()
    }

    /// Adds `id` (open or not) if it is not there yet.
    pub(crate) fn add(&mut self, id: TradeId, open: bool) {
        let at = match self.all.binary_search(&id) {
            Ok(at) => at,
            Err(at) => {
                self.all.insert(at, id);
                // The open one moves up if it was at `at` or after.
                self.open = self
                    .open
                    .and_then(|place| if place.get() as usize > at { place.checked_add(1) } else { Some(place) });
                at
            }
        };
        if open {
            self.open = u32::try_from(at + 1).ok().and_then(NonZeroU32::new);
        }
    }

    /// Takes `id` out.
    pub(crate) fn remove(&mut self, id: TradeId) {
        if let Ok(at) = self.all.binary_search(&id) {
            self.all.remove(at);
            self.open = self.open.and_then(|place| match (place.get() as usize - 1).cmp(&at) {
                std::cmp::Ordering::Less => Some(place),
                std::cmp::Ordering::Equal => None,
                std::cmp::Ordering::Greater => NonZeroU32::new(place.get() - 1),
            });
        }
    }

    /// Puts `receipt` in as the latest; whether there was one.
    pub(crate) fn replace_latest(&mut self, receipt: Receipt) -> bool {
        match &mut self.latest {
            Some(latest) => {
                **latest = receipt;
                true
            }
            None => {
                self.latest = Some(Box::new(receipt));
                false
            }
        }
    }

    /// Whether the entry holds anything: a trade or a receipt.
    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_empty() && self.latest.is_none()
    }
}

#[cfg(test)]
mod tests {
    use quantarya_domain::uuid::Uuid;

    use super::*;

    fn id(n: u128) -> TradeId {
        TradeId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn carriers_keep_their_open_one_as_others_come_and_go() {
        let mut carriers = Carriers::default();
        carriers.add(id(5), true);
        assert_eq!((carriers.open(), carriers.latest_trade()), (Some(id(5)), Some(id(5))));
        // One with a lower id lands before the open one, which keeps being the open one.
        carriers.add(id(2), false);
        carriers.add(id(9), false);
        carriers.add(id(5), true);
        assert_eq!(carriers.all.as_slice(), [id(2), id(5), id(9)]);
        assert_eq!((carriers.open(), carriers.latest_trade()), (Some(id(5)), Some(id(9))));
        carriers.remove(id(2));
        assert_eq!(carriers.open(), Some(id(5)));
        carriers.remove(id(9));
        assert_eq!((carriers.open(), carriers.latest_trade()), (Some(id(5)), Some(id(5))));
        // The open one gone, none is open; the last one gone, none is left.
        carriers.add(id(7), false);
        carriers.remove(id(5));
        assert_eq!((carriers.open(), carriers.latest_trade()), (None, Some(id(7))));
        carriers.add(id(1), true);
        assert_eq!(carriers.open(), Some(id(1)));
        carriers.remove(id(7));
        assert!(!carriers.is_empty());
        carriers.remove(id(1));
        assert_eq!((carriers.open(), carriers.latest_trade()), (None, None));
        assert!(carriers.is_empty());
        carriers.remove(id(3));
        assert!(carriers.is_empty(), "removing one that is not there changes nothing");
    }

    #[test]
    fn a_carriers_entry_with_one_trade_needs_no_allocation() {
        assert!(!SmallVec::<[TradeId; 1]>::from_elem(id(1), 1).spilled());
        assert_eq!(size_of::<Carriers>(), 40);
    }
}
