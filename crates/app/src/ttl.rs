//! Token lifetimes as people write them: `90s`, `15m`, `1h`, `7d`.

/// Parses a lifetime into seconds: a positive whole number followed by `s`, `m`, `h` or `d`.
pub fn parse_ttl(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("`{raw}` is not a lifetime such as 90s, 15m, 1h or 7d"))?;
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("`{raw}` is not a lifetime such as 90s, 15m, 1h or 7d")),
    };
    match number.checked_mul(unit_seconds) {
        Some(0) => Err("a lifetime must be longer than zero".to_owned()),
        Some(seconds) if seconds <= 366 * 86_400 => Ok(seconds),
        _ => Err("a lifetime must be at most a year".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_parse_in_every_unit() {
        assert_eq!(parse_ttl("90s"), Ok(90));
        assert_eq!(parse_ttl("15m"), Ok(900));
        assert_eq!(parse_ttl("1h"), Ok(3600));
        assert_eq!(parse_ttl("7d"), Ok(604_800));
        for bad in ["", "h", "1", "1w", "-1h", "0s", "400d", "99999999999999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
