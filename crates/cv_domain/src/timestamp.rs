//! Millisecond timestamps and the lenient ISO 8601 parser Voucherify's clients need.
//!
//! Conveyor keeps time as whole milliseconds since the Unix epoch (the precision Voucherify
//! shows) and always prints `YYYY-MM-DDTHH:MM:SS.mmmZ`. Parsing accepts every form the SDKs
//! send (SPEC.md Decision 1): date only, `Z`, `+00:00`, `+0000`, no zone (UTC), and 0–9
//! fraction digits; a fraction below the millisecond is dropped (rounding towards the past,
//! also before 1970).
//!
//! Parsing accepts only instants of the years 0000 to 9999 (UTC), which print as exactly that
//! form, so every parsed timestamp prints as text that parses back to it; a date whose offset
//! moves it outside those years is refused. Any other `i64` still prints as the instant it is,
//! with ISO 8601's signed, expanded year (`+10000-01-01T00:00:00.000Z`,
//! `-0001-12-31T23:59:59.999Z`), which the parser refuses.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A point in time, in whole milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why a date string was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot be recognized as a ISO-8601 compliant date")]
pub struct ParseTimestampError;

impl Timestamp {
    /// The earliest timestamp [`Timestamp::parse`] accepts: `0000-01-01T00:00:00.000Z`.
    pub const MIN_PARSED: Timestamp = Timestamp(YEAR_0_MS);

    /// The latest timestamp [`Timestamp::parse`] accepts: `9999-12-31T23:59:59.999Z`.
    pub const MAX_PARSED: Timestamp = Timestamp(YEAR_10000_MS - 1);

    /// The current wall-clock time.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// From milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This time plus `ms` milliseconds (saturating).
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// The millisecond `dt` falls in: nanoseconds are floored, so an instant just before the
    /// epoch (`1969-12-31T23:59:59.9995Z`) is millisecond -1, not 0.
    fn from_datetime(dt: OffsetDateTime) -> Self {
        let ms = dt.unix_timestamp_nanos().div_euclid(1_000_000);
        Self(i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX }))
    }

    /// Parses the ISO 8601 forms Voucherify's clients send; instants outside the years 0000 to
    /// 9999 (UTC) are refused.
    pub fn parse(input: &str) -> Result<Self, ParseTimestampError> {
        parse_iso8601(input.trim())
            .filter(|t| (Self::MIN_PARSED..=Self::MAX_PARSED).contains(t))
            .ok_or(ParseTimestampError)
    }

    /// Parses a calendar date `YYYY-MM-DD` (customers' birthdates) without a time.
    pub fn parse_date(input: &str) -> Option<Date> {
        let b = input.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: i32 = digits(&b[0..4])?;
        let month: u8 = digits(&b[5..7])?;
        let day: u8 = digits(&b[8..10])?;
        Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
    }
}

/// The first millisecond of the year 0: the earliest instant printed with a four-digit year.
const YEAR_0_MS: i64 = -62_167_219_200_000;

/// The first millisecond of the year 10000: below it (and from [`YEAR_0_MS`] on) a timestamp
/// prints as exactly 24 ASCII bytes.
const YEAR_10000_MS: i64 = 253_402_300_800_000;

/// A timestamp's calendar fields in UTC (proleptic Gregorian calendar).
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    ms_of_day: i64,
}

impl Timestamp {
    /// The calendar fields, for every `i64` (H. Hinnant's `civil_from_days`, with floored
    /// division so that times before 1970 fall on the right day).
    fn civil(self) -> Civil {
        let (days, ms_of_day) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        // |days| < 1.1e11, so none of this overflows.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil { year, month, day, ms_of_day }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` for the years 0000 to 9999, without the formatting
    /// machinery: every API response prints two per action, a hundred actions per list page.
    fn format_fast(self) -> Option<[u8; 24]> {
        if !(YEAR_0_MS..YEAR_10000_MS).contains(&self.0) {
            return None;
        }
        let Civil { year, month, day, ms_of_day } = self.civil();
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: i64| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, ms_of_day / 3_600_000);
        put(14, 2, ms_of_day / 60_000 % 60);
        put(17, 2, ms_of_day / 1000 % 60);
        put(20, 3, ms_of_day % 1000);
        Some(out)
    }

    /// Any timestamp, the year signed and expanded (at least four digits) outside 0000–9999.
    fn format_expanded(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Civil { year, month, day, ms_of_day } = self.civil();
        write!(
            f,
            "{year:+05}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            ms_of_day / 3_600_000,
            ms_of_day / 60_000 % 60,
            ms_of_day / 1000 % 60,
            ms_of_day % 1000
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format_fast() {
            // The buffer holds only ASCII digits and separators.
            Some(bytes) => f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?),
            None => self.format_expanded(f),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn digits<T: std::str::FromStr>(b: &[u8]) -> Option<T> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn parse_iso8601(s: &str) -> Option<Timestamp> {
    let date = Timestamp::parse_date(s.get(..10)?)?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(Timestamp::from_datetime(date.midnight().assume_utc()));
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let b = rest.as_bytes();
    // HH[:mm[:ss[.fff…]]]
    let hour: u8 = digits(b.get(0..2)?)?;
    let mut pos = 2;
    let (mut minute, mut second, mut nanos) = (0u8, 0u8, 0u32);
    if b.get(pos) == Some(&b':') {
        minute = digits(b.get(pos + 1..pos + 3)?)?;
        pos += 3;
        if b.get(pos) == Some(&b':') {
            second = digits(b.get(pos + 1..pos + 3)?)?;
            pos += 3;
            if matches!(b.get(pos), Some(b'.') | Some(b',')) {
                let start = pos + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                let frac = &rest[start..end];
                if frac.len() > 9 {
                    return None;
                }
                if !frac.is_empty() {
                    let padded = format!("{frac:0<9}");
                    nanos = padded.parse().ok()?;
                }
                pos = end;
            }
        }
    }
    let offset = parse_offset(&rest[pos..])?;
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    let dt = PrimitiveDateTime::new(date, time).assume_offset(offset);
    Some(Timestamp::from_datetime(dt))
}

fn parse_offset(s: &str) -> Option<UtcOffset> {
    if s.is_empty() || s == "Z" || s == "z" {
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = match s.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &s.as_bytes()[1..];
    let (h, m): (i8, i8) = match body.len() {
        2 => (digits(body)?, 0),
        4 => (digits(&body[0..2])?, digits(&body[2..4])?),
        5 if body[2] == b':' => (digits(&body[0..2])?, digits(&body[3..5])?),
        _ => return None,
    };
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        Timestamp::parse(s).expect(s).as_millis()
    }

    #[test]
    fn formats_with_milliseconds_and_z() {
        let t = Timestamp::from_millis(1_662_378_017_098);
        assert_eq!(t.to_string(), "2022-09-05T11:40:17.098Z");
        assert_eq!(Timestamp::from_millis(0).to_string(), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn accepts_every_client_form() {
        let base = 1_704_067_200_000; // 2024-01-01T00:00:00Z
        for s in [
            "2024-01-01",
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.000Z",
            "2024-01-01T00:00:00.000000+0000",
            "2024-01-01T00:00:00.000000",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T00:00:00.000000000Z",
            "2024-01-01T00:00Z",
            "2024-01-01T00",
            "2024-01-01T01:00:00+01:00",
        ] {
            assert_eq!(ms(s), base, "{s}");
        }
        assert_eq!(ms("2026-11-28T14:47:57.986000+0000"), 1_795_877_277_986);
        assert_eq!(ms("2024-01-01T00:00:00.5Z"), base + 500);
    }

    #[test]
    fn rejects_malformed_dates() {
        for s in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "2024-01-01T25:00:00Z",
            "2024-01-01T00:00:00.1234567890Z",
            "2024-01-01T00:00:00+5",
            "2024-01-01X",
            "2024/01/01",
            "2024-01-01T00:00:00 UTC",
        ] {
            assert!(Timestamp::parse(s).is_err(), "{s:?} should fail");
        }
    }

    /// What the `time` crate makes of `t` (years -9999 to 9999), printed the way `Display`
    /// promises: a four-digit year from 0000 to 9999, a signed expanded one before.
    fn reference(t: Timestamp) -> String {
        let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.as_millis()) * 1_000_000)
            .expect("within the time crate's range");
        let year =
            if dt.year() >= 0 { format!("{:04}", dt.year()) } else { format!("{:+05}", dt.year()) };
        format!(
            "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }

    /// `-9999-01-01T00:00:00.000Z`, the time crate's earliest instant.
    const TIME_CRATE_MIN_MS: i64 = -377_705_116_800_000;

    #[test]
    fn formatting_matches_the_time_crate_at_the_edges() {
        for ms_val in [
            0,
            1,
            -1,
            86_399_999,
            86_400_000,
            -86_400_000,
            -86_400_001,
            951_782_400_000,   // 2000-02-29
            4_107_542_400_000, // 2100-03-01
            YEAR_10000_MS - 1, // 9999-12-31T23:59:59.999Z
            YEAR_0_MS,         // 0000-01-01T00:00:00.000Z
            YEAR_0_MS - 1,     // -0001-12-31T23:59:59.999Z
            TIME_CRATE_MIN_MS,
        ] {
            let t = Timestamp::from_millis(ms_val);
            assert_eq!(t.to_string(), reference(t), "{ms_val}");
        }
        assert_eq!(
            Timestamp::from_millis(YEAR_10000_MS - 1).to_string(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(Timestamp::from_millis(-1).to_string(), "1969-12-31T23:59:59.999Z");
    }

    proptest::proptest! {
        #[test]
        fn formatting_matches_the_time_crate(ms_val in TIME_CRATE_MIN_MS..YEAR_10000_MS) {
            let t = Timestamp::from_millis(ms_val);
            proptest::prop_assert_eq!(t.to_string(), reference(t));
        }

        #[test]
        fn every_parsed_timestamp_prints_as_text_that_parses_back(
            ms_val in YEAR_0_MS..YEAR_10000_MS
        ) {
            let t = Timestamp::from_millis(ms_val);
            proptest::prop_assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
        }
    }

    #[test]
    fn round_trips_through_display() {
        for ms_val in [0, 1, 999, -1, 1_662_378_017_098, 4_102_444_799_999, YEAR_0_MS] {
            let t = Timestamp::from_millis(ms_val);
            assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
        }
    }

    /// Regression (fuzz corpus `timestamp/regression-year-outside-0000-9999-*`): an offset that moves a
    /// date out of the years 0000–9999 used to parse into an instant that printed as text
    /// nothing parses (`-001-12-31T…`, `10000-01-01T…`).
    #[test]
    fn instants_outside_the_years_0000_to_9999_are_refused() {
        for s in [
            "0000-01-01T00:00:00+00:01",
            "0000-01-01T00:30:00+01:00",
            "9999-12-31T23:59:59.999-00:01",
            "9999-12-31T23:30:00-01:00",
        ] {
            assert_eq!(Timestamp::parse(s), Err(ParseTimestampError), "{s}");
        }
        assert_eq!(Timestamp::parse("0000-01-01T00:00:00Z"), Ok(Timestamp::MIN_PARSED));
        assert_eq!(Timestamp::parse("0000-01-01T01:00:00+01:00"), Ok(Timestamp::MIN_PARSED));
        assert_eq!(Timestamp::parse("9999-12-31T23:59:59.999Z"), Ok(Timestamp::MAX_PARSED));
        assert_eq!(Timestamp::parse("9999-12-31T22:59:59.999-01:00"), Ok(Timestamp::MAX_PARSED));
    }

    /// Regression: every `i64` prints as the instant it is (formatting once fell back to the
    /// epoch outside the `time` crate's range), with a signed, expanded year outside
    /// 0000–9999 that the parser refuses.
    #[test]
    fn every_millisecond_prints_as_the_instant_it_is() {
        for (ms_val, text) in [
            (i64::MAX, "+292278994-08-17T07:12:55.807Z"),
            (i64::MIN, "-292275055-05-16T16:47:04.192Z"),
            (YEAR_10000_MS, "+10000-01-01T00:00:00.000Z"),
            (YEAR_0_MS - 1, "-0001-12-31T23:59:59.999Z"),
        ] {
            let t = Timestamp::from_millis(ms_val);
            assert_eq!(t.to_string(), text);
            assert_eq!(Timestamp::parse(text), Err(ParseTimestampError));
        }
    }

    /// Regression (fuzz corpus `timestamp/regression-sub-millisecond-before-1970`): a fraction below
    /// the millisecond is dropped towards the past, before 1970 too (it used to round
    /// `…59.9995Z` up to the epoch).
    #[test]
    fn sub_millisecond_times_before_1970_floor() {
        assert_eq!(ms("1969-12-31T23:59:59.9995Z"), -1);
        assert_eq!(ms("1969-12-31T23:59:59.999999999Z"), -1);
        assert_eq!(ms("1969-12-31T23:59:59.0001Z"), -1000);
        assert_eq!(ms("1969-12-31T23:59:59.000Z"), -1000);
        assert_eq!(ms("1970-01-01T00:00:00.0005Z"), 0);
        assert_eq!(ms("0000-01-01T00:00:00.0009Z"), YEAR_0_MS);
    }
}
