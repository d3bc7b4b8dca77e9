//! The documented schema of every text a request takes, written as the domain parses it, so the OpenAPI document
//! accepts exactly what the server accepts: white space around it is trimmed (the characters Rust's `str::trim`
//! removes), the length bound counts what is left, and control characters other than tab, line feed and carriage
//! return are refused. A JSON Schema `maxLength` would count the untrimmed text, so the bounds are in the patterns.
//! The patterns use only `\xHH` and `\uHHHH` escapes, which ECMA-262, Python and Rust regular expressions read alike.

use quantarya_domain::Tags;
use quantarya_domain::{Currency, Symbol, UserName};
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

/// The white space trimming removes: Unicode `White_Space`, as `char::is_whitespace`.
const SPACE: &str = r"\x09-\x0D\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The characters refused inside a text: control characters but tab, line feed and carriage return.
const REFUSED: &str = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F";

/// A text of `min..=max` characters once trimmed (`min` is 0 or 1), as the domain's bounded texts are.
pub fn trimmed_pattern(min: usize, max: usize) -> String {
    let edge = format!("[^{SPACE}{REFUSED}]");
    let core = match max {
        0 => String::new(),
        1 => edge,
        _ => format!("{edge}(?:[^{REFUSED}]{{0,{}}}{edge})?", max - 2),
    };
    let core = if min == 0 && !core.is_empty() { format!("(?:{core})?") } else { core };
    format!("^[{SPACE}]*{core}[{SPACE}]*$")
}

/// A symbol as [`Symbol::parse`] takes it: trimmed, then 1–40 of `A-Z a-z 0-9 . _ : / ! -` (uppercased).
pub fn symbol_pattern() -> String {
    format!("^[{SPACE}]*[A-Za-z0-9._:/!-]{{1,{}}}[{SPACE}]*$", Symbol::MAX_CHARS)
}

/// A currency as [`Currency::parse`] takes it: trimmed, then 3–10 of `A-Z a-z 0-9` (uppercased).
pub fn currency_pattern() -> String {
    format!("^[{SPACE}]*[A-Za-z0-9]{{{},{}}}[{SPACE}]*$", Currency::MIN_CHARS, Currency::MAX_CHARS)
}

/// A user name as [`UserName::parse`] takes it: trimmed, then `a-z 0-9 _ -` in any case, starting and ending with a
/// letter or digit.
pub fn user_name_pattern() -> String {
    let middle = (UserName::MIN_CHARS - 2, UserName::MAX_CHARS - 2);
    format!("^[{SPACE}]*[A-Za-z0-9][A-Za-z0-9_-]{{{},{}}}[A-Za-z0-9][{SPACE}]*$", middle.0, middle.1)
}

/// A string property with `pattern` and `description`, `null` allowed when `nullable`.
pub fn string(pattern: String, nullable: bool, description: &str) -> Object {
    let kind = if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { SchemaType::new(Type::String) };
    ObjectBuilder::new().schema_type(kind).pattern(Some(pattern)).description(Some(description)).build()
}

/// Tags as the schema shows them: at most 10 texts of 1–32 characters once trimmed, or (`nullable`) `null`, which
/// the reader takes as not given.
pub fn tags_array(nullable: bool, description: &str) -> Array {
    let kind = if nullable { SchemaType::from_iter([Type::Array, Type::Null]) } else { SchemaType::new(Type::Array) };
    let described = format!(
        "A tag, stored lowercase: 1–{} characters once trimmed and lowercased (a few letters, such as `İ`, lowercase \
         to two).",
        Tags::MAX_TAG_CHARS
    );
    let tag = string(trimmed_pattern(1, Tags::MAX_TAG_CHARS), false, &described);
    ArrayBuilder::new()
        .schema_type(kind)
        .items(tag)
        .max_items(Some(Tags::MAX_TAGS))
        .description(Some(description))
        .build()
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;
    use quantarya_domain::{Bio, ExternalReference, KeyName, Timeframe};
    use regex::Regex;

    use super::*;

    fn matcher(pattern: &str) -> Regex {
        Regex::new(pattern).expect("a valid pattern")
    }

    /// The patterns of four bounded texts of the domain, compiled once.
    static BOUNDED: LazyLock<Vec<(Regex, (usize, usize))>> = LazyLock::new(|| {
        [
            (Timeframe::MIN_CHARS, Timeframe::MAX_CHARS),
            (KeyName::MIN_CHARS, KeyName::MAX_CHARS),
            (Bio::MIN_CHARS, Bio::MAX_CHARS),
            (ExternalReference::MIN_CHARS, ExternalReference::MAX_CHARS),
        ]
        .into_iter()
        .map(|(min, max)| (matcher(&trimmed_pattern(min, max)), (min, max)))
        .collect()
    });
    static SYMBOL: LazyLock<Regex> = LazyLock::new(|| matcher(&symbol_pattern()));
    static USER_NAME: LazyLock<Regex> = LazyLock::new(|| matcher(&user_name_pattern()));
    static CURRENCY: LazyLock<Regex> = LazyLock::new(|| matcher(&currency_pattern()));

    /// Texts made mostly of plain characters, with the ones where the rules differ mixed in: white space of
    /// every kind, control characters, letters outside ASCII.
    fn texts(max_len: usize) -> impl Strategy<Value = String> {
        let plain = prop::sample::select(vec!['a', 'Z', '0', '_', '-', '.', ':', '/', '!', 'é', '€']);
        let special = prop::sample::select(vec![
            ' ', '\t', '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{A0}', '\u{2003}', '\u{3000}', '\u{1C}', '\u{0}',
            '\u{7F}', '\u{9F}', 'ß', '😀',
        ]);
        let char = prop_oneof![4 => plain, 1 => special];
        prop::collection::vec(char, 0..max_len).prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn trimmed_patterns_accept_exactly_what_the_domain_accepts(raw in texts(24)) {
            let accepted = [
                Timeframe::parse(&raw).is_ok(),
                KeyName::parse(&raw).is_ok(),
                Bio::parse(&raw).is_ok(),
                ExternalReference::parse(&raw).is_ok(),
            ];
            for ((pattern, bounds), accepted) in BOUNDED.iter().zip(accepted) {
                prop_assert_eq!(pattern.is_match(&raw), accepted, "{:?} {:?}", raw, bounds);
            }
        }

        #[test]
        fn the_symbol_pattern_accepts_exactly_what_symbols_accept(raw in texts(44)) {
            prop_assert_eq!(SYMBOL.is_match(&raw), Symbol::parse(&raw).is_ok(), "{:?}", raw);
        }

        #[test]
        fn the_currency_pattern_accepts_exactly_what_currencies_accept(raw in texts(14)) {
            prop_assert_eq!(CURRENCY.is_match(&raw), Currency::parse(&raw).is_ok(), "{:?}", raw);
        }

        #[test]
        fn the_user_name_pattern_accepts_exactly_what_user_names_accept(raw in texts(36)) {
            prop_assert_eq!(USER_NAME.is_match(&raw), UserName::parse(&raw).is_ok(), "{:?}", raw);
        }
    }

    #[test]
    fn bounds_count_the_trimmed_text() {
        let pattern = matcher(&trimmed_pattern(1, KeyName::MAX_CHARS));
        let padded = format!("  {}  ", "k".repeat(KeyName::MAX_CHARS));
        assert!(pattern.is_match(&padded) && KeyName::parse(&padded).is_ok());
        let long = "k".repeat(KeyName::MAX_CHARS + 1);
        assert!(!pattern.is_match(&long) && KeyName::parse(&long).is_err());
        assert!(!pattern.is_match(" \t ") && KeyName::parse(" \t ").is_err());
    }
}
