//! The one error every validating constructor returns, and the text helpers they share.

use thiserror::Error;

/// Why a raw value was refused by a validating constructor.
///
/// The message is written for the person who sent the value; the edge that parsed it knows the
/// field's name and pairs the two in its error report.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    /// The value was empty, or only white space where white space is trimmed.
    #[error("must not be empty")]
    Empty,
    /// The value was shorter than the rule allows.
    #[error("must be at least {min} characters")]
    TooShort {
        /// The least number of characters allowed.
        min: usize,
    },
    /// The value was longer than the rule allows.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// A list held more items than the rule allows.
    #[error("must hold at most {max} items")]
    TooMany {
        /// The most items allowed.
        max: usize,
    },
    /// Free-form JSON objects whose encoded size is over the cap.
    #[error("must be at most {max_bytes} bytes of JSON together")]
    TooLarge {
        /// The most encoded bytes allowed.
        max_bytes: usize,
    },
    /// A price that is not a finite number in `(0, 1e12]`.
    #[error("must be a finite number greater than 0 and at most 1e12")]
    Price,
    /// A size that is not a number greater than 0 and at most 1e12.
    #[error("must be a number greater than 0 and at most 1e12")]
    Quantity,
    /// Fees that are not a number of at least 0 and at most 1e12.
    #[error("must be a number of at least 0 and at most 1e12")]
    Fees,
    /// A point value that is not a finite number greater than 0 and at most 1e12.
    #[error("must be a finite number greater than 0 and at most 1e12")]
    PointValue,
    /// The value does not have the required shape; the text says what the shape is.
    #[error("{0}")]
    Format(&'static str),
}

/// Trims `raw` and checks its length in characters against `min..=max`; the trimmed text, borrowed (the caller
/// keeps it as it stores it: a short text inline, with no allocation of its own).
pub(crate) fn bounded_trimmed(raw: &str, min: usize, max: usize) -> Result<&str, ValueError> {
    let trimmed = raw.trim();
    bounded(trimmed, min, max)?;
    Ok(trimmed)
}

/// Checks the length of `text` in characters against `min..=max`, and that it has no control characters.
pub(crate) fn bounded(text: &str, min: usize, max: usize) -> Result<(), ValueError> {
    let count = text.chars().count();
    if count == 0 && min > 0 {
        return Err(ValueError::Empty);
    }
    if count < min {
        return Err(ValueError::TooShort { min });
    }
    if count > max {
        return Err(ValueError::TooLong { max });
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(ValueError::Format("must not contain control characters"));
    }
    Ok(())
}

/// Declares a newtype over a trimmed, length-bounded `String`.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(::compact_str::CompactString);

        impl $name {
            /// The fewest characters allowed, after trimming.
            pub const MIN_CHARS: usize = $min;
            /// The most characters allowed, after trimming.
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw` and accepts it when its length is within the bounds.
            pub fn parse(raw: &str) -> Result<Self, $crate::ValueError> {
                $crate::value::bounded_trimmed(raw, Self::MIN_CHARS, Self::MAX_CHARS).map(|text| Self(::compact_str::CompactString::new(text)))
            }

            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use bounded_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_counts_characters_not_bytes() {
        assert_eq!(bounded("ééé", 3, 3), Ok(()));
        assert_eq!(bounded("éééé", 1, 3), Err(ValueError::TooLong { max: 3 }));
        assert_eq!(bounded("", 1, 3), Err(ValueError::Empty));
        assert_eq!(bounded("ab", 3, 5), Err(ValueError::TooShort { min: 3 }));
        assert!(bounded("a\u{0}b", 1, 5).is_err());
    }

    #[test]
    fn bounded_trimmed_trims_before_counting() {
        assert_eq!(bounded_trimmed("  ab  ", 1, 2), Ok("ab"));
        assert_eq!(bounded_trimmed("   ", 1, 2), Err(ValueError::Empty));
    }
}
