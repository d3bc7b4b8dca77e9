//! The line a record of a file starts on, counted from the record's byte offset: the CSV reader's own line count
//! is off by one per Windows line end (`\r\n`) before the record, and its offset may point at the `\n` of the line
//! end before the record (it ends a record at the `\r`).

/// Counts the lines of `bytes` up to offsets asked for in increasing order, each byte looked at once.
#[derive(Debug)]
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// A counter over `bytes`, at line 1.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0, line: 1 }
    }

    /// The line (from 1) of the record at byte `offset` (line ends at the offset belong to the line before);
    /// offsets before the last one asked for answer the last one's line.
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset).unwrap_or(usize::MAX).min(self.bytes.len());
        while self.bytes.get(offset).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            offset += 1;
        }
        if offset > self.offset {
            self.line += self.bytes[self.offset..offset].iter().filter(|b| **b == b'\n').count() as u64;
            self.offset = offset;
        }
        self.line
    }
}

/// The most cells a line of a file may have: a CSV reader keeps room for every cell of a record, so a 32 MiB line
/// of commas would take gigabytes.
pub(crate) const MAX_CELLS: usize = 256;

/// The first line of `bytes` with more than [`MAX_CELLS`] cells (counting its commas), if any, by number.
pub(crate) fn too_wide(bytes: &[u8]) -> Option<crate::LineError> {
    bytes.split(|b| *b == b'\n').enumerate().find_map(|(at, line)| {
        let cells = line.iter().filter(|b| **b == b',').count() + 1;
        (cells > MAX_CELLS).then(|| {
            crate::LineError::new(
                at as u64 + 1,
                format!("has {cells} cells; a line of this file has at most {MAX_CELLS}"),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_too_wide_is_named() {
        let wide = format!("a,b\n{}\nc", ",".repeat(MAX_CELLS));
        assert_eq!(too_wide(wide.as_bytes()).map(|e| e.line), Some(2));
        assert_eq!(too_wide(",".repeat(MAX_CELLS - 1).as_bytes()), None);
    }

    #[test]
    fn lines_count_newlines_before_the_offset() {
        let text = b"a\r\nb\r\n\"c\nc\"\r\nd";
        let mut lines = LineCounter::new(text);
        assert_eq!([0, 3, 6, 13, 99].map(|at| lines.line_at(at)), [1, 2, 3, 5, 5]);
        // The CSV reader ends a record at its `\r`, and puts the next one at the `\n`.
        let mut lines = LineCounter::new(b"H,a\r\n1,x\r\n2,y\r\n");
        assert_eq!([0, 4, 9].map(|at| lines.line_at(at)), [1, 2, 3]);
    }
}
