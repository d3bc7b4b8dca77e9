//! The currency a strategy's fees and P&L are in: a label, never converted.

use std::fmt;

use crate::value::ValueError;

/// A currency code: 3–10 of `A-Z 0-9` (`USD`, `EUR`, `USDT`), trimmed and uppercased. Nothing is converted between
/// currencies: it says what unit a strategy's money figures are in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Currency(String);

impl Currency {
    /// The fewest characters.
    pub const MIN_CHARS: usize = 3;
    /// The most characters.
    pub const MAX_CHARS: usize = 10;

    /// Trims and uppercases `raw`, then checks it is 3–10 of `A-Z 0-9`.
    ///
    /// ```
    /// use quantarya_domain::Currency;
    /// assert_eq!(Currency::parse(" usdt ")?.as_str(), "USDT");
    /// assert!(Currency::parse("US").is_err() && Currency::parse("U$D").is_err());
    /// # Ok::<(), quantarya_domain::ValueError>(())
    /// ```
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(ValueError::Empty);
        }
        if code.len() < Self::MIN_CHARS {
            return Err(ValueError::TooShort { min: Self::MIN_CHARS });
        }
        if code.len() > Self::MAX_CHARS {
            return Err(ValueError::TooLong { max: Self::MAX_CHARS });
        }
        if !code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return Err(ValueError::Format("may contain only A-Z and 0-9"));
        }
        Ok(Self(code))
    }

    /// The code, uppercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_to_ten_letters_or_digits_uppercased() {
        for ok in ["USD", "eur", "USDT", "1INCH", "ABCDEFGHIJ"] {
            assert!(Currency::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Currency::parse(""), Err(ValueError::Empty));
        assert_eq!(Currency::parse("US"), Err(ValueError::TooShort { min: 3 }));
        assert_eq!(Currency::parse("ABCDEFGHIJK"), Err(ValueError::TooLong { max: 10 }));
        assert!(Currency::parse("U S").is_err() && Currency::parse("€UR").is_err());
    }
}
