//! Target `timestamp`: the ISO 8601 parser every date of a body, a query or a CSV cell goes
//! through (`Timestamp::parse`), the birthdate parser (`Timestamp::parse_date`), and the
//! formatting of every timestamp a response shows.
//!
//! Input: the bytes as text (when UTF-8), and the first eight as a little-endian `i64` of
//! milliseconds.

use cv_domain::Timestamp;

/// Checks the parsers on `data` as text and the formatting of `data` as milliseconds.
pub fn check(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_text(text);
    }
    if let Some(bytes) = data.first_chunk::<8>() {
        check_millis(i64::from_le_bytes(*bytes));
    }
}

/// What parses is within 0000–9999, prints as 24 bytes that parse back to it, and
/// deserializes (a stored payload's dates) the same; a date alone is its midnight UTC.
fn check_text(text: &str) {
    let parsed = Timestamp::parse(text);
    let json = serde_json::to_string(text).expect("a string serializes");
    let deserialized: Result<Timestamp, _> = serde_json::from_str(&json);
    assert_eq!(parsed.clone().ok(), deserialized.ok(), "{text:?}: parse and deserialize disagree");
    if let Ok(t) = parsed {
        assert!((Timestamp::MIN_PARSED..=Timestamp::MAX_PARSED).contains(&t), "{text:?}: {t:?}");
        let printed = t.to_string();
        assert_eq!(printed.len(), 24, "{text:?} prints as {printed:?}");
        assert_eq!(Timestamp::parse(&printed), Ok(t), "{text:?} prints as {printed:?}");
        if let Some(cut) = cut_to_milliseconds(text) {
            assert_eq!(Timestamp::parse(&cut), Ok(t), "{text:?} is not the millisecond {cut:?}");
        }
        let trimmed = text.trim();
        if trimmed.len() == 10 {
            let midnight = Timestamp::parse(&format!("{trimmed}T00:00:00Z"));
            assert_eq!(midnight, Ok(t), "{text:?} is not its midnight");
        }
    }
    if let Some(date) = Timestamp::parse_date(text) {
        let printed = format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
        assert_eq!(printed, text, "parse_date({text:?}) prints differently");
        assert!(Timestamp::parse(text).is_ok(), "a birthdate {text:?} is no date");
    }
}

/// `text` with its fraction of a second cut to three digits, when it has more: the
/// millisecond a time falls in (before 1970 too) is the one its first three digits name.
fn cut_to_milliseconds(text: &str) -> Option<String> {
    let text = text.trim();
    let b = text.as_bytes();
    if b.len() <= 23 || !matches!(b[19], b'.' | b',') {
        return None;
    }
    let digits = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
    (digits > 3).then(|| format!("{}{}", &text[..23], &text[20 + digits..]))
}

/// Every millisecond prints as the instant it is: within 0000–9999 as 24 bytes that parse
/// back and sort like the milliseconds; outside, with a signed year that does not parse.
fn check_millis(ms: i64) {
    let t = Timestamp::from_millis(ms);
    let printed = t.to_string();
    assert!(printed.ends_with('Z'), "{ms} prints as {printed:?}");
    if (Timestamp::MIN_PARSED..=Timestamp::MAX_PARSED).contains(&t) {
        assert_eq!(printed.len(), 24, "{ms} prints as {printed:?}");
        assert_eq!(Timestamp::parse(&printed), Ok(t), "{ms} prints as {printed:?}");
        let next = Timestamp::from_millis(ms.saturating_add(1));
        if next <= Timestamp::MAX_PARSED && next != t {
            assert!(printed < next.to_string(), "{ms} and the next millisecond sort wrongly");
        }
    } else {
        assert!(printed.starts_with(['+', '-']), "{ms} prints as {printed:?}");
        assert!(Timestamp::parse(&printed).is_err(), "{ms} prints as parseable {printed:?}");
    }
}
