//! The UTF-8 byte-order mark that spreadsheet programs put before a CSV file's first byte.
//!
//! An upload arrives, and is read back, in pieces whose boundaries fall anywhere, so the three
//! bytes of a mark can be split across two or three pieces. [`BomStrip`] drops the marks at the
//! start of a stream (one, or several in a row) whatever the split, so the CSV parser never
//! sees one: it looks for a mark only in its first buffer, takes a split mark for part of the
//! first cell (and a quote after it for a literal character), and takes a first buffer that
//! held nothing but a mark for the end of the file.

use std::borrow::Cow;

/// The UTF-8 encoding of U+FEFF.
pub const UTF8_BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// Drops the UTF-8 byte-order marks at the very start of a stream of pieces.
#[derive(Debug, Clone, Default)]
pub struct BomStrip {
    /// The stream's next bytes while they may still be a mark (at most two).
    held: Vec<u8>,
    /// Whether the start of the stream is over: a byte that is no mark has come.
    decided: bool,
}

impl BomStrip {
    /// A stripper at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes of the stream that follow `piece`'s arrival, without the leading marks:
    /// possibly none yet (while the bytes may still be a mark), possibly bytes held back from
    /// earlier pieces followed by `piece`. An empty `piece` marks the end of the stream and
    /// releases what is held.
    pub fn strip<'a>(&mut self, piece: &'a [u8]) -> Cow<'a, [u8]> {
        if self.decided {
            return Cow::Borrowed(piece);
        }
        if piece.is_empty() {
            self.decided = true;
            return Cow::Owned(std::mem::take(&mut self.held));
        }
        let mut rest = piece;
        loop {
            let take = rest.len().min(UTF8_BOM.len() - self.held.len());
            self.held.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.held.as_slice() == UTF8_BOM {
                self.held.clear();
                if rest.is_empty() {
                    return Cow::Borrowed(rest);
                }
            } else if UTF8_BOM.starts_with(&self.held) {
                // Still a possible mark, and `rest` is empty (`take` ended the piece).
                return Cow::Borrowed(rest);
            } else {
                self.decided = true;
                let mut out = std::mem::take(&mut self.held);
                out.extend_from_slice(rest);
                return Cow::Owned(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stream after stripping, fed in pieces of `size` bytes.
    fn stripped(input: &[u8], size: usize) -> Vec<u8> {
        let mut strip = BomStrip::new();
        let mut out = Vec::new();
        for piece in input.chunks(size) {
            out.extend_from_slice(&strip.strip(piece));
        }
        out.extend_from_slice(&strip.strip(&[]));
        out
    }

    /// Regression (fuzz corpus `csv_import/regression-bom-split*`): a mark split across pieces is
    /// dropped like a whole one.
    #[test]
    fn a_mark_is_dropped_whatever_the_split() {
        for size in 1..=5 {
            assert_eq!(stripped(b"\xEF\xBB\xBF\"a\",b\n", size), b"\"a\",b\n", "{size}");
            assert_eq!(stripped(b"\xEF\xBB\xBF", size), b"", "{size}");
        }
    }

    #[test]
    fn anything_else_passes_unchanged() {
        for input in [&b""[..], b"a", b"\xEF", b"\xEF\xBB", b"\xEF\xBBx,y", b"ab\xEF\xBB\xBF", b"x"]
        {
            for size in 1..=4 {
                assert_eq!(stripped(input, size), input, "{input:?} {size}");
            }
        }
        // A mark after the first other byte belongs to the text.
        assert_eq!(stripped(b"\xEF\xBB\xBFa\xEF\xBB\xBF", 2), b"a\xEF\xBB\xBF");
    }

    /// Regression (fuzz corpus `csv_import/regression-two-marks-*`): with two marks, the CSV
    /// parser used to strip the second itself, and a first buffer of nothing but that mark
    /// read as an empty file. Every leading mark is dropped now.
    #[test]
    fn marks_in_a_row_are_all_dropped() {
        for size in 1..=7 {
            assert_eq!(
                stripped(b"\xEF\xBB\xBF\xEF\xBB\xBF\xEF\xBB\xBFa,b", size),
                b"a,b",
                "{size}"
            );
            assert_eq!(stripped(b"\xEF\xBB\xBF\xEF\xBB", size), b"\xEF\xBB", "{size}");
        }
    }
}
