//! The wall clock, and UTC times in RFC 3339 form (formatting what guard
//! writes, parsing what credential helpers and servers send), without a date
//! library.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current time, as a duration since the Unix epoch.
pub fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// `2026-11-26T16:09:17.123456Z` for a time since the Unix epoch.
pub fn rfc3339(since_epoch: Duration) -> String {
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    let of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        since_epoch.subsec_micros()
    )
}

/// Seconds since the Unix epoch of an RFC 3339 `date-time`
/// (`2026-11-26T16:09:17Z`; a fraction, which is dropped, and a `±HH:MM`
/// offset allowed). Anything else is `None`: a date the calendar does not
/// have (February 31), a field out of range, a missing separator, a time
/// before 1970.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let (date, time) = text.split_at_checked(10)?;
    let (separator, time) = time.split_at_checked(1)?;
    if !matches!(separator, "T" | "t" | " ") {
        return None;
    }
    let [year, month, day] = fields(date, b'-', [4, 2, 2])?;
    let (clock, mut rest) = time.split_at_checked(8)?;
    let [hour, minute, second] = fields(clock, b':', [2, 2, 2])?;
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
        if rest.len() == fraction.len() {
            return None;
        }
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let [hours, minutes] = fields(&rest[1..], b':', [2, 2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let seconds = days_from_civil(year, month as u32, day as u32) * 86_400
        + hour * 3600
        + minute * 60
        + second
        - offset;
    u64::try_from(seconds).ok()
}

/// The numbers of `text`: fields of exactly `widths` ASCII digits joined by
/// `separator`, and nothing else.
fn fields<const N: usize>(text: &str, separator: u8, widths: [usize; N]) -> Option<[i64; N]> {
    let mut values = [0i64; N];
    let mut rest = text.as_bytes();
    for (index, width) in widths.into_iter().enumerate() {
        if index > 0 {
            rest = rest.strip_prefix(&[separator])?;
        }
        let (digits, after) = rest.split_at_checked(width)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        values[index] = digits
            .iter()
            .fold(0, |value, digit| value * 10 + i64::from(digit - b'0'));
        rest = after;
    }
    rest.is_empty().then_some(values)
}

/// How many days `month` (1–12) of `year` has, in the proleptic Gregorian
/// calendar.
fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(
            rfc3339(Duration::from_secs(0)),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
        assert_eq!(
            rfc3339(Duration::new(1_795_709_357, 123_456_000)),
            "2026-11-26T16:09:17.123456Z"
        );
    }

    #[test]
    fn parses_what_it_formats_and_offsets() {
        for seconds in [0, 951_782_400, 1_795_709_357, 4_107_542_399] {
            let text = rfc3339(Duration::from_secs(seconds));
            assert_eq!(parse_rfc3339(&text), Some(seconds), "{text}");
        }
        assert_eq!(
            parse_rfc3339("2026-11-26T17:09:17+01:00"),
            Some(1_795_709_357)
        );
        assert_eq!(
            parse_rfc3339("2026-11-26t15:39:17.5-00:30"),
            Some(1_795_709_357)
        );
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800));
    }

    #[test]
    fn what_the_calendar_or_the_grammar_does_not_have_is_refused() {
        for text in [
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-02-31T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T16:09:17+0100",
            "2026-11-26T16:09:17+01:60",
            "2026-11-26T16:09:17+24:00",
            "2026-11-26T16:09:17",
            "2026-11-26T16:09:17.Z",
            "2026-11-26T16:09:17Zjunk",
            "2026-+1-26T16:09:17Z",
            "2026-11-26T16-09-17Z",
            "2026-11-26X16:09:17Z",
            "1969-12-31T23:59:59Z",
            "2026-11-26T16:09:1é",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
    }
}
