//! The five free-form JSON extension objects of a trade, capped in size together.

use std::io;

use serde_json::{Map, Value};

use crate::value::ValueError;

/// A free-form JSON object, stored and returned as given.
pub type JsonObject = Map<String, Value>;

/// The five free-form extension objects of a trade, 16 KiB of JSON together at most. Most trades have none, so
/// they are kept behind one pointer, which costs nothing until one is set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions(Option<Box<[Option<JsonObject>; 5]>>);

/// One of the five extension objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionSlot {
    /// `signal`: what the signal said.
    Signal,
    /// `market`: market conditions.
    Market,
    /// `risk`: position sizing and risk.
    Risk,
    /// `context`: anything else the sender knows.
    Context,
    /// `meta`: the trader's own notes.
    Meta,
}

impl ExtensionSlot {
    /// Every slot, in output order.
    pub const ALL: [Self; 5] = [Self::Signal, Self::Market, Self::Risk, Self::Context, Self::Meta];

    /// The field name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Signal => "signal",
            Self::Market => "market",
            Self::Risk => "risk",
            Self::Context => "context",
            Self::Meta => "meta",
        }
    }
}

/// A change of extension objects: `None` keeps a slot, `Some(None)` clears it, `Some(Some(o))` replaces it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtensionsChange {
    /// The `signal` change.
    pub signal: Option<Option<JsonObject>>,
    /// The `market` change.
    pub market: Option<Option<JsonObject>>,
    /// The `risk` change.
    pub risk: Option<Option<JsonObject>>,
    /// The `context` change.
    pub context: Option<Option<JsonObject>>,
    /// The `meta` change.
    pub meta: Option<Option<JsonObject>>,
}

impl ExtensionsChange {
    /// Whether the change touches no slot.
    pub fn is_empty(&self) -> bool {
        self.signal.is_none()
            && self.market.is_none()
            && self.risk.is_none()
            && self.context.is_none()
            && self.meta.is_none()
    }
}

impl Extensions {
    /// The most bytes the five objects may take together, encoded as compact JSON.
    pub const MAX_BYTES: usize = 16 * 1024;

    /// Accepts the five objects when together they fit in [`Extensions::MAX_BYTES`].
    pub fn new(
        signal: Option<JsonObject>,
        market: Option<JsonObject>,
        risk: Option<JsonObject>,
        context: Option<JsonObject>,
        meta: Option<JsonObject>,
    ) -> Result<Self, ValueError> {
        let objects = [signal, market, risk, context, meta];
        let extensions = Self(objects.iter().any(Option::is_some).then(|| Box::new(objects)));
        if extensions.encoded_len() > Self::MAX_BYTES {
            return Err(ValueError::TooLarge { max_bytes: Self::MAX_BYTES });
        }
        if ExtensionSlot::ALL.iter().filter_map(|&slot| extensions.get(slot)).any(contains_nul) {
            return Err(ValueError::Format("must not contain the NUL character (\\u0000)"));
        }
        Ok(extensions)
    }

    /// The object in `slot`, if any.
    pub fn get(&self, slot: ExtensionSlot) -> Option<&JsonObject> {
        let index = ExtensionSlot::ALL.iter().position(|&s| s == slot)?;
        self.0.as_ref().and_then(|objects| objects[index].as_ref())
    }

    /// These extensions with `change` applied, if the result still fits.
    pub fn changed(&self, change: ExtensionsChange) -> Result<Self, ValueError> {
        let pick = |new: Option<Option<JsonObject>>, slot| new.unwrap_or_else(|| self.get(slot).cloned());
        Self::new(
            pick(change.signal, ExtensionSlot::Signal),
            pick(change.market, ExtensionSlot::Market),
            pick(change.risk, ExtensionSlot::Risk),
            pick(change.context, ExtensionSlot::Context),
            pick(change.meta, ExtensionSlot::Meta),
        )
    }

    /// The compact JSON size of the five objects together.
    fn encoded_len(&self) -> usize {
        let mut counter = ByteCounter(0);
        for object in ExtensionSlot::ALL.iter().filter_map(|&slot| self.get(slot)) {
            // Writing a `Map<String, Value>` to a counter cannot fail: keys are strings and the sink never errors.
            if serde_json::to_writer(&mut counter, object).is_err() {
                return usize::MAX;
            }
        }
        counter.0
    }
}

/// Whether any key or string inside `object` holds a NUL character, which no text store keeps faithfully.
/// Walks with an explicit stack, so a deeply nested value cannot exhaust the call stack.
fn contains_nul(object: &JsonObject) -> bool {
    let has_nul = |text: &str| text.contains('\0');
    let mut pending: Vec<&Value> = Vec::new();
    if object.keys().any(|k| has_nul(k)) {
        return true;
    }
    pending.extend(object.values());
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) if has_nul(text) => return true,
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => {
                if map.keys().any(|k| has_nul(k)) {
                    return true;
                }
                pending.extend(map.values());
            }
            _ => {}
        }
    }
    false
}

/// An `io::Write` that only counts, so measuring JSON allocates nothing.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => map,
            _ => JsonObject::new(),
        }
    }

    #[test]
    fn extensions_are_capped_together() {
        let half = object(json!({ "notes": "x".repeat(Extensions::MAX_BYTES / 2) }));
        assert!(Extensions::new(Some(half.clone()), None, None, None, None).is_ok());
        assert_eq!(
            Extensions::new(Some(half.clone()), None, None, None, Some(half)),
            Err(ValueError::TooLarge { max_bytes: Extensions::MAX_BYTES })
        );
    }

    #[test]
    fn extensions_refuse_nul_anywhere() {
        for bad in [json!({ "a\u{0}": 1 }), json!({ "a": "x\u{0}" }), json!({ "a": [{ "b": ["\u{0}"] }] })] {
            assert!(Extensions::new(None, None, None, None, Some(object(bad.clone()))).is_err(), "{bad}");
        }
        assert!(Extensions::new(None, None, None, None, Some(object(json!({ "a": [{ "b": ["ok"] }] })))).is_ok());
    }

    #[test]
    fn extension_changes_keep_clear_and_replace() {
        let a = object(json!({ "a": 1 }));
        let b = object(json!({ "b": 2 }));
        let ext = Extensions::new(Some(a.clone()), Some(a.clone()), None, None, None).expect("fits");
        let changed = ext
            .changed(ExtensionsChange {
                signal: Some(None),
                market: None,
                meta: Some(Some(b.clone())),
                ..Default::default()
            })
            .expect("fits");
        assert_eq!(changed.get(ExtensionSlot::Signal), None);
        assert_eq!(changed.get(ExtensionSlot::Market), Some(&a));
        assert_eq!(changed.get(ExtensionSlot::Meta), Some(&b));
    }
}
