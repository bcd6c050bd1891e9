//! Time zones as Microsoft Graph and Exchange name them, and Graph's `dateTimeTimeZone` values.
//!
//! Graph writes a local wall-clock time without offset plus a zone name that can be "UTC", an
//! IANA name or a Windows zone name. The Windows names are mapped through CLDR's `windowsZones`
//! data ("001" territory, i.e. the zone CLDR calls the world-wide default for each Windows name),
//! which the `windows-timezones` crate ships as a generated table (Unicode-DFS-2016 data,
//! MIT/Apache-2.0 code).

use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use windows_timezones::WindowsTimezone;

/// Exchange's own spelling of UTC, seen in `originalStartTimeZone` and in some payloads.
const EXCHANGE_UTC: &str = "tzone://Microsoft/Utc";

/// Graph never writes more than seven fractional digits (100 ns ticks, as .NET does).
const MAX_FRACTION_DIGITS: usize = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error("unknown time zone {0:?}")]
    UnknownZone(String),
    #[error("invalid dateTime {value:?}: {reason}")]
    InvalidDateTime { value: String, reason: &'static str },
}

/// Graph's `dateTimeTimeZone` complex type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateTimeTimeZone {
    #[serde(rename = "dateTime")]
    pub date_time: String,
    #[serde(rename = "timeZone")]
    pub time_zone: String,
}

impl DateTimeTimeZone {
    /// The instant this value denotes.
    pub fn to_utc(&self) -> Result<DateTime<Utc>, TimeZoneError> {
        parse_date_time_time_zone(&self.date_time, &self.time_zone)
    }

    /// Writes `instant` in `zone_name` (echoed verbatim, as Graph echoes the requested zone).
    pub fn from_utc(instant: DateTime<Utc>, zone_name: &str) -> Result<Self, TimeZoneError> {
        let tz = resolve_zone(zone_name)?;
        Ok(Self::in_zone(instant, tz, zone_name))
    }

    /// Like [`DateTimeTimeZone::from_utc`] for a zone that is already resolved.
    pub fn in_zone(instant: DateTime<Utc>, tz: Tz, zone_name: &str) -> Self {
        DateTimeTimeZone { date_time: format_local(instant, tz), time_zone: zone_name.to_string() }
    }
}

/// Resolves "UTC", an IANA name or a Windows zone name to a zone.
pub fn resolve_zone(name: &str) -> Result<Tz, TimeZoneError> {
    let trimmed = name.trim();
    if trimmed.eq_ignore_ascii_case("utc") || trimmed.eq_ignore_ascii_case(EXCHANGE_UTC) {
        return Ok(Tz::UTC);
    }
    if let Ok(tz) = Tz::from_str(trimmed) {
        return Ok(tz);
    }
    if let Ok(windows) = WindowsTimezone::from_str(trimmed) {
        return Ok(Tz::from(windows));
    }
    Err(TimeZoneError::UnknownZone(name.to_string()))
}

/// The Windows zone name Exchange would store for `tz`, if CLDR maps it to one.
pub fn windows_name(tz: Tz) -> Option<&'static str> {
    if tz == Tz::UTC {
        return Some("UTC");
    }
    WindowsTimezone::try_from(tz).ok().map(WindowsTimezone::name)
}

/// Parses Graph's offset-less local time, e.g. `2019-03-15T09:00:00.0000000`.
///
/// A trailing `Z` is tolerated because clients send it and Graph still reads the value in
/// the accompanying `timeZone`; an explicit numeric offset is rejected.
pub fn parse_local(value: &str) -> Result<NaiveDateTime, TimeZoneError> {
    let invalid = |reason| TimeZoneError::InvalidDateTime { value: value.to_string(), reason };
    let text = value.trim();
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("fractional seconds must be digits"));
        }
        if fraction.len() > MAX_FRACTION_DIGITS {
            return Err(invalid("more than 7 fractional digits"));
        }
    }
    let base = NaiveDateTime::parse_from_str(whole, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(whole, "%Y-%m-%dT%H:%M"))
        .map_err(|_| invalid("expected yyyy-MM-ddTHH:mm:ss[.fffffff] without offset"))?;
    let nanos = match fraction {
        Some(digits) => {
            let padded = format!("{digits:0<9}");
            padded.parse::<i64>().map_err(|_| invalid("fractional seconds out of range"))?
        }
        None => 0,
    };
    Ok(base + Duration::nanoseconds(nanos))
}

/// Maps a wall-clock time in `tz` to an instant, deterministically for every input.
///
/// In an overlap (clocks turned back) the earlier instant wins, as Outlook shows the first
/// occurrence; in a gap (clocks turned forward) the time is read with the offset in force
/// before the gap, which moves it forward by the gap's length (02:30 becomes 03:30 CEST).
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(dt) => dt.with_timezone(&Utc),
        LocalResult::Ambiguous(earliest, latest) => {
            earliest.with_timezone(&Utc).min(latest.with_timezone(&Utc))
        }
        LocalResult::None => {
            let before_gap = offset_before_gap(local, tz);
            DateTime::from_naive_utc_and_offset(local - Duration::seconds(before_gap), Utc)
        }
    }
}

/// The UTC offset (seconds) in force just before the gap that swallows `local`.
fn offset_before_gap(local: NaiveDateTime, tz: Tz) -> i64 {
    // Real gaps are at most a few hours; walking back in quarter hours finds the last valid
    // local time before the gap without any knowledge of the transition rules.
    (1..=4 * 48)
        .map(|quarter| local - Duration::minutes(15 * quarter))
        .find_map(|earlier| match tz.from_local_datetime(&earlier) {
            LocalResult::Single(dt) => Some(i64::from(dt.offset().fix().local_minus_utc())),
            LocalResult::Ambiguous(first, _) => {
                Some(i64::from(first.offset().fix().local_minus_utc()))
            }
            LocalResult::None => None,
        })
        .unwrap_or(0)
}

/// Parses a Graph `dateTimeTimeZone` pair into an instant.
pub fn parse_date_time_time_zone(
    date_time: &str,
    time_zone: &str,
) -> Result<DateTime<Utc>, TimeZoneError> {
    let tz = resolve_zone(time_zone)?;
    Ok(local_to_utc(parse_local(date_time)?, tz))
}

/// Writes `instant` as wall-clock time in `tz` with seven fractional digits, as Graph does.
pub fn format_local(instant: DateTime<Utc>, tz: Tz) -> String {
    format_naive(instant.with_timezone(&tz).naive_local())
}

/// Writes a UTC instant the way Graph writes `createdDateTime`: seven digits and a `Z`.
pub fn format_utc_z(instant: DateTime<Utc>) -> String {
    format!("{}Z", format_naive(instant.naive_utc()))
}

fn format_naive(local: NaiveDateTime) -> String {
    use chrono::Timelike;
    // A leap second carries nanos >= 1e9; Graph has no way to write it, so it is clamped.
    let ticks = (local.nanosecond().min(999_999_999)) / 100;
    format!("{}.{ticks:07}", local.format("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn resolves_utc_spellings() {
        assert_eq!(resolve_zone("UTC").unwrap(), Tz::UTC);
        assert_eq!(resolve_zone("utc").unwrap(), Tz::UTC);
        assert_eq!(resolve_zone(" tzone://Microsoft/Utc ").unwrap(), Tz::UTC);
        assert_eq!(resolve_zone("Etc/UTC").unwrap(), Tz::Etc__UTC);
    }

    #[test]
    fn resolves_iana_and_windows_names() {
        assert_eq!(resolve_zone("Europe/Copenhagen").unwrap(), Tz::Europe__Copenhagen);
        assert_eq!(resolve_zone("Romance Standard Time").unwrap(), Tz::Europe__Paris);
        assert_eq!(resolve_zone("Pacific Standard Time").unwrap(), Tz::America__Los_Angeles);
        assert_eq!(resolve_zone("W. Europe Standard Time").unwrap(), Tz::Europe__Berlin);
        assert_eq!(resolve_zone("GMT Standard Time").unwrap(), Tz::Europe__London);
        assert_eq!(resolve_zone("Tokyo Standard Time").unwrap(), Tz::Asia__Tokyo);
    }

    #[test]
    fn rejects_unknown_zones() {
        for bad in ["", "Mars Standard Time", "Customized Time Zone", "tzone://Microsoft/Custom"] {
            assert_eq!(resolve_zone(bad), Err(TimeZoneError::UnknownZone(bad.to_string())));
        }
    }

    #[test]
    fn maps_back_to_windows_names() {
        assert_eq!(windows_name(Tz::Europe__Copenhagen), Some("Romance Standard Time"));
        assert_eq!(windows_name(Tz::America__Los_Angeles), Some("Pacific Standard Time"));
        assert_eq!(windows_name(Tz::UTC), Some("UTC"));
    }

    #[test]
    fn parses_graph_fixture_value() {
        let instant =
            parse_date_time_time_zone("2019-03-15T09:00:00.0000000", "Pacific Standard Time")
                .unwrap();
        // 15 March 2019 is after the US switch to PDT (UTC-7) on 10 March.
        assert_eq!(instant, utc("2019-03-15T16:00:00Z"));
    }

    #[test]
    fn parses_fraction_lengths_and_rejects_eight_digits() {
        let base = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap();
        assert_eq!(parse_local("2024-01-02T03:04:05").unwrap(), base);
        assert_eq!(
            parse_local("2024-01-02T03:04:05.1").unwrap(),
            base + Duration::milliseconds(100)
        );
        assert_eq!(
            parse_local("2024-01-02T03:04:05.1234567").unwrap(),
            base + Duration::nanoseconds(123_456_700)
        );
        assert_eq!(parse_local("2024-01-02T03:04:05Z").unwrap(), base);
        assert!(parse_local("2024-01-02T03:04:05.12345678").is_err());
        assert!(parse_local("2024-01-02T03:04:05.").is_err());
        assert!(parse_local("2024-01-02T03:04:05+01:00").is_err());
        assert!(parse_local("not a date").is_err());
        assert!(parse_local("2024-13-02T03:04:05").is_err());
        assert!(parse_date_time_time_zone("2024-01-02T03:04:05", "Nowhere/Zone").is_err());
    }

    #[test]
    fn formats_with_seven_digits_in_zone() {
        let instant = utc("2019-03-15T16:00:00.5Z");
        assert_eq!(format_local(instant, Tz::America__Los_Angeles), "2019-03-15T09:00:00.5000000");
        assert_eq!(format_local(instant, Tz::UTC), "2019-03-15T16:00:00.5000000");
        let winter = utc("2024-01-15T08:00:00Z");
        assert_eq!(
            DateTimeTimeZone::from_utc(winter, "Romance Standard Time").unwrap(),
            DateTimeTimeZone {
                date_time: "2024-01-15T09:00:00.0000000".into(),
                time_zone: "Romance Standard Time".into()
            }
        );
        assert_eq!(format_utc_z(winter), "2024-01-15T08:00:00.0000000Z");
    }

    #[test]
    fn round_trips_both_directions() {
        for zone in ["UTC", "Europe/Copenhagen", "Romance Standard Time", "Pacific Standard Time"] {
            let instant = utc("2024-07-01T12:34:56.789Z");
            let value = DateTimeTimeZone::from_utc(instant, zone).unwrap();
            assert_eq!(value.to_utc().unwrap(), instant, "{zone}");
        }
    }

    #[test]
    fn dst_gap_moves_forward_and_overlap_takes_earlier() {
        let cph = Tz::Europe__Copenhagen;
        // 2024-03-31 02:30 does not exist in Copenhagen (02:00 CET -> 03:00 CEST).
        let gap = parse_local("2024-03-31T02:30:00").unwrap();
        assert_eq!(local_to_utc(gap, cph), utc("2024-03-31T01:30:00Z"));
        assert_eq!(format_local(local_to_utc(gap, cph), cph), "2024-03-31T03:30:00.0000000");
        // 2024-10-27 02:30 happens twice (CEST then CET); the first is 00:30 UTC.
        let overlap = parse_local("2024-10-27T02:30:00").unwrap();
        assert_eq!(local_to_utc(overlap, cph), utc("2024-10-27T00:30:00Z"));
        // Pacific gap: 2024-03-10 02:15 PST does not exist.
        let pacific = parse_date_time_time_zone("2024-03-10T02:15:00", "Pacific Standard Time");
        assert_eq!(pacific.unwrap(), utc("2024-03-10T10:15:00Z"));
    }

    #[test]
    fn summer_and_winter_offsets_differ() {
        let summer = parse_date_time_time_zone("2024-07-01T09:00:00", "Romance Standard Time");
        let winter = parse_date_time_time_zone("2024-01-01T09:00:00", "Europe/Copenhagen");
        assert_eq!(summer.unwrap(), utc("2024-07-01T07:00:00Z"));
        assert_eq!(winter.unwrap(), utc("2024-01-01T08:00:00Z"));
    }
}
