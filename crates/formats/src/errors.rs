//! What a file that cannot be read is refused with: every bad line, by its number, so that a trader can mend the
//! file and import it whole (an import is all or nothing).

use std::fmt;

/// One line of a file that cannot be read, and why. Lines count from 1, the header being line 1; a record whose
/// quoted field spans several lines is named by the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line's number.
    pub line: u64,
    /// Why it cannot be read, in a sentence for the person who sent the file.
    pub message: String,
}

impl LineError {
    /// `message` about line `line`.
    pub fn new(line: u64, message: impl Into<String>) -> Self {
        Self { line, message: message.into() }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why a file was refused: its first [`LineErrors::KEPT`] bad lines in line order, and how many there were in all.
///
/// ```
/// use quantarya_formats::{LineError, LineErrors};
/// let mut errors = LineErrors::default();
/// for line in (2..=80).rev() {
///     errors.push(LineError::new(line, "is not a number"));
/// }
/// let errors = errors.into_result(()).expect_err("bad lines");
/// assert_eq!((errors.total(), errors.lines().len(), errors.lines()[0].line), (79, LineErrors::KEPT, 2));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct LineErrors {
    kept: Vec<LineError>,
    total: usize,
}

impl LineErrors {
    /// The most bad lines kept (an error answer names at most this many).
    pub const KEPT: usize = 50;

    /// Notes one more bad line.
    pub fn push(&mut self, error: LineError) {
        self.total += 1;
        self.kept.push(error);
        if self.kept.len() > 2 * Self::KEPT {
            self.trim();
        }
    }

    /// Keeps the first [`Self::KEPT`] by line (and by arrival among errors of one line).
    fn trim(&mut self) {
        self.kept.sort_by_key(|error| error.line);
        self.kept.truncate(Self::KEPT);
    }

    /// Whether no line was bad.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The kept bad lines, in line order.
    pub fn lines(&self) -> &[LineError] {
        &self.kept
    }

    /// How many bad lines there were, kept or not.
    pub fn total(&self) -> usize {
        self.total
    }

    /// `Ok(value)` when no line was bad, else these errors, the first [`Self::KEPT`] in line order.
    pub fn into_result<T>(mut self, value: T) -> Result<T, Self> {
        if self.is_empty() {
            return Ok(value);
        }
        self.trim();
        Err(self)
    }
}

impl From<LineError> for LineErrors {
    fn from(error: LineError) -> Self {
        let mut errors = Self::default();
        errors.push(error);
        errors
    }
}

impl fmt::Display for LineErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total {
            1 => write!(f, "1 line cannot be read")?,
            n => write!(f, "{n} lines cannot be read")?,
        }
        if let Some(first) = self.kept.first() {
            write!(f, " ({first})")?;
        }
        Ok(())
    }
}
