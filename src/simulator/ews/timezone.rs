//! Time zones as EWS requests carry them: the legacy `TimeZone` element (a bias and two
//! yearly transition rules) of GetUserAvailability, and the `TimeZoneContext` header naming a
//! Windows zone. Also the legacy form of a mailbox's own zone, for `WorkingHours`.

use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use crate::domain::timezone::{local_to_utc, resolve_zone};

use super::envelope::Element;

/// One yearly transition: the `DayOrder`th `DayOfWeek` of `Month` (5 = the last), at `Time`
/// on the wall clock in force before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Minutes added to the zone's bias while this part of the year is in force.
    pub bias: i32,
    pub time: NaiveTime,
    pub day_order: u32,
    pub month: u32,
    pub weekday: Weekday,
}

/// `UTC = local + bias (+ the standard or daylight bias)`, all in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyZone {
    pub bias: i32,
    pub standard: Option<Transition>,
    pub daylight: Option<Transition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestZone {
    Legacy(LegacyZone),
    Named(Tz),
}

impl Default for RequestZone {
    fn default() -> Self {
        RequestZone::Named(Tz::UTC)
    }
}

fn weekday_from(name: &str) -> Option<Weekday> {
    name.trim().parse::<Weekday>().ok()
}

fn transition_from(element: &Element) -> Result<Option<Transition>, String> {
    let number = |name: &str| -> Result<i64, String> {
        element
            .child_text(name)
            .unwrap_or("0")
            .parse::<i64>()
            .map_err(|_| format!("TimeZone {name} is not a number"))
    };
    let month = number("Month")?;
    let day_order = number("DayOrder")?;
    if month == 0 {
        return Ok(None);
    }
    if !(1..=12).contains(&month) || !(1..=5).contains(&day_order) {
        return Err("TimeZone transition has an invalid Month or DayOrder".into());
    }
    let time = element
        .child_text("Time")
        .map(|t| {
            NaiveTime::parse_from_str(t, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        })
        .transpose()
        .map_err(|_| "TimeZone Time is not a time".to_string())?
        .unwrap_or(NaiveTime::MIN);
    let weekday = weekday_from(element.child_text("DayOfWeek").unwrap_or("Sunday"))
        .ok_or_else(|| "TimeZone DayOfWeek is not a day".to_string())?;
    Ok(Some(Transition {
        bias: i32::try_from(number("Bias")?).map_err(|_| "TimeZone Bias out of range")?,
        time,
        day_order: day_order as u32,
        month: month as u32,
        weekday,
    }))
}

impl LegacyZone {
    pub fn from_element(element: &Element) -> Result<LegacyZone, String> {
        let bias = element
            .child_text("Bias")
            .ok_or("TimeZone needs a Bias")?
            .parse::<i32>()
            .map_err(|_| "TimeZone Bias is not a number")?;
        if bias.abs() > 24 * 60 {
            return Err("TimeZone Bias out of range".into());
        }
        let standard = element.child("StandardTime").map(transition_from).transpose()?.flatten();
        let daylight = element.child("DaylightTime").map(transition_from).transpose()?.flatten();
        let standard_bias = element
            .child("StandardTime")
            .and_then(|s| s.child_text("Bias"))
            .and_then(|b| b.parse::<i32>().ok())
            .unwrap_or(0);
        // Without both transitions there is no daylight saving time, only the standard bias.
        Ok(match (standard, daylight) {
            (Some(standard), Some(daylight)) => {
                LegacyZone { bias, standard: Some(standard), daylight: Some(daylight) }
            }
            _ => LegacyZone { bias: bias + standard_bias, standard: None, daylight: None },
        })
    }

    fn in_daylight(&self, local: NaiveDateTime) -> bool {
        let (Some(standard), Some(daylight)) = (self.standard, self.daylight) else {
            return false;
        };
        let year = local.year();
        let (Some(to_daylight), Some(to_standard)) =
            (transition_at(&daylight, year), transition_at(&standard, year))
        else {
            return false;
        };
        if to_daylight < to_standard {
            local >= to_daylight && local < to_standard
        } else {
            local >= to_daylight || local < to_standard
        }
    }

    fn standard_bias(&self) -> i32 {
        self.bias + self.standard.map(|s| s.bias).unwrap_or(0)
    }

    fn daylight_bias(&self) -> i32 {
        self.bias + self.daylight.map(|d| d.bias).unwrap_or(0)
    }

    fn to_utc(self, local: NaiveDateTime) -> DateTime<Utc> {
        let bias =
            if self.in_daylight(local) { self.daylight_bias() } else { self.standard_bias() };
        Utc.from_utc_datetime(&(local + Duration::minutes(i64::from(bias))))
    }

    fn offset_at(self, instant: DateTime<Utc>) -> FixedOffset {
        let daylight_local =
            instant.naive_utc() - Duration::minutes(i64::from(self.daylight_bias()));
        let bias = if self.in_daylight(daylight_local) {
            self.daylight_bias()
        } else {
            self.standard_bias()
        };
        FixedOffset::east_opt(-bias * 60).unwrap_or(Utc.fix())
    }
}

/// The local date-time of a transition in `year`.
fn transition_at(rule: &Transition, year: i32) -> Option<NaiveDateTime> {
    let date = if rule.day_order >= 5 {
        NaiveDate::from_weekday_of_month_opt(year, rule.month, rule.weekday, 5)
            .or_else(|| NaiveDate::from_weekday_of_month_opt(year, rule.month, rule.weekday, 4))
    } else {
        NaiveDate::from_weekday_of_month_opt(year, rule.month, rule.weekday, rule.day_order as u8)
    }?;
    Some(date.and_time(rule.time))
}

impl RequestZone {
    /// The zone a `TimeZoneContext` header names: `UTC` or a Windows (or IANA) zone id.
    pub fn from_header(header: Option<&Element>) -> Result<RequestZone, String> {
        let Some(definition) =
            header.and_then(|h| h.path(&["TimeZoneContext", "TimeZoneDefinition"]))
        else {
            return Ok(RequestZone::default());
        };
        let id = definition.attribute("Id").unwrap_or("UTC");
        resolve_zone(id)
            .map(RequestZone::Named)
            .map_err(|_| format!("The specified time zone isn't valid: {id}"))
    }

    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self {
            RequestZone::Legacy(zone) => zone.to_utc(local),
            RequestZone::Named(tz) => local_to_utc(local, *tz),
        }
    }

    pub fn offset_at(&self, instant: DateTime<Utc>) -> FixedOffset {
        match self {
            RequestZone::Legacy(zone) => zone.offset_at(instant),
            RequestZone::Named(tz) => tz.offset_from_utc_datetime(&instant.naive_utc()).fix(),
        }
    }

    /// `2006-10-16T06:00:00-07:00`, or without the offset when asked to.
    pub fn format(&self, instant: DateTime<Utc>, with_offset: bool) -> String {
        let local = instant.with_timezone(&self.offset_at(instant));
        if with_offset {
            local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
        } else {
            local.format("%Y-%m-%dT%H:%M:%S").to_string()
        }
    }

    /// An `xs:dateTime`: with `Z` or an offset it is absolute, otherwise local to this zone.
    pub fn parse(&self, text: &str) -> Option<DateTime<Utc>> {
        let text = text.trim();
        if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
            return Some(instant.with_timezone(&Utc));
        }
        let whole = text.split('.').next().unwrap_or(text);
        NaiveDateTime::parse_from_str(whole, "%Y-%m-%dT%H:%M:%S")
            .ok()
            .map(|local| self.to_utc(local))
    }
}

fn offset_minutes(tz: Tz, instant: NaiveDateTime) -> i32 {
    tz.offset_from_utc_datetime(&instant).fix().local_minus_utc() / 60
}

/// The transitions of `tz` in `year` as (UTC instant, offset before, offset after).
fn transitions(tz: Tz, year: i32) -> Vec<(NaiveDateTime, i32, i32)> {
    let mut found = Vec::new();
    let Some(mut day) = NaiveDate::from_ymd_opt(year, 1, 1) else {
        return found;
    };
    let mut previous = offset_minutes(tz, day.and_time(NaiveTime::MIN));
    while day.year() == year {
        let Some(next) = day.succ_opt() else { break };
        let at_next = offset_minutes(tz, next.and_time(NaiveTime::MIN));
        if at_next != previous {
            // Find the hour (zones change on quarter hours at most; minutes are checked too).
            let mut instant = day.and_time(NaiveTime::MIN);
            while offset_minutes(tz, instant) == previous && instant < next.and_time(NaiveTime::MIN)
            {
                instant += Duration::minutes(15);
            }
            found.push((instant, previous, at_next));
            previous = at_next;
        }
        day = next;
    }
    found
}

fn rule_for(instant_utc: NaiveDateTime, offset_before: i32, bias: i32) -> Transition {
    let wall = instant_utc + Duration::minutes(i64::from(offset_before));
    let date = wall.date();
    let last_in_month = date
        .checked_add_signed(Duration::days(7))
        .is_none_or(|later| later.month() != date.month());
    Transition {
        bias,
        time: wall.time(),
        day_order: if last_in_month { 5 } else { (date.day() - 1) / 7 + 1 },
        month: date.month(),
        weekday: date.weekday(),
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

pub fn day_name(day: Weekday) -> &'static str {
    weekday_name(day)
}

/// The legacy `TimeZone` element for `tz` as its rules stand in `year`.
pub fn legacy_xml(tz: Tz, year: i32) -> String {
    let changes = transitions(tz, year);
    let mut out = String::from("<t:TimeZone>");
    let write_rule = |out: &mut String, name: &str, rule: Option<Transition>| {
        let rule = rule.unwrap_or(Transition {
            bias: 0,
            time: NaiveTime::MIN,
            day_order: 0,
            month: 0,
            weekday: Weekday::Sun,
        });
        let _ = write!(
            out,
            "<t:{name}><t:Bias>{}</t:Bias><t:Time>{}</t:Time><t:DayOrder>{}</t:DayOrder>\
             <t:Month>{}</t:Month><t:DayOfWeek>{}</t:DayOfWeek></t:{name}>",
            rule.bias,
            rule.time.format("%H:%M:%S"),
            rule.day_order,
            rule.month,
            weekday_name(rule.weekday),
        );
    };
    match changes.as_slice() {
        [first, second, ..] => {
            let (standard_offset, daylight_offset) = (first.1.min(first.2), first.1.max(first.2));
            let (to_daylight, to_standard) =
                if first.2 == daylight_offset { (first, second) } else { (second, first) };
            let _ = write!(out, "<t:Bias>{}</t:Bias>", -standard_offset);
            write_rule(&mut out, "StandardTime", Some(rule_for(to_standard.0, daylight_offset, 0)));
            write_rule(
                &mut out,
                "DaylightTime",
                Some(rule_for(to_daylight.0, standard_offset, standard_offset - daylight_offset)),
            );
        }
        _ => {
            let Some(mid_year) = NaiveDate::from_ymd_opt(year, 7, 1) else {
                return String::new();
            };
            let offset = offset_minutes(tz, mid_year.and_time(NaiveTime::MIN));
            let _ = write!(out, "<t:Bias>{}</t:Bias>", -offset);
            write_rule(&mut out, "StandardTime", None);
            write_rule(&mut out, "DaylightTime", None);
        }
    }
    out.push_str("</t:TimeZone>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::ews::envelope::parse;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn pacific() -> RequestZone {
        let element = parse(
            "<TimeZone><Bias>480</Bias><StandardTime><Bias>0</Bias><Time>02:00:00</Time>\
             <DayOrder>5</DayOrder><Month>10</Month><DayOfWeek>Sunday</DayOfWeek></StandardTime>\
             <DaylightTime><Bias>-60</Bias><Time>02:00:00</Time><DayOrder>1</DayOrder>\
             <Month>4</Month><DayOfWeek>Sunday</DayOfWeek></DaylightTime></TimeZone>",
        )
        .unwrap();
        RequestZone::Legacy(LegacyZone::from_element(&element).unwrap())
    }

    #[test]
    fn legacy_rules_from_microsofts_example() {
        let zone = pacific();
        // 16 October 2006 is before the last Sunday of October: daylight time, UTC-7.
        assert_eq!(zone.parse("2006-10-16T00:00:00"), Some(utc("2006-10-16T07:00:00Z")));
        assert_eq!(zone.format(utc("2006-10-16T13:00:00Z"), true), "2006-10-16T06:00:00-07:00");
        assert_eq!(zone.format(utc("2006-12-01T16:00:00Z"), true), "2006-12-01T08:00:00-08:00");
        assert_eq!(zone.format(utc("2006-12-01T16:00:00Z"), false), "2006-12-01T08:00:00");
        assert_eq!(zone.parse("2006-12-01T08:00:00Z"), Some(utc("2006-12-01T08:00:00Z")));
    }

    #[test]
    fn bias_zero_without_rules_is_utc() {
        let element = parse("<TimeZone><Bias>0</Bias></TimeZone>").unwrap();
        let zone = RequestZone::Legacy(LegacyZone::from_element(&element).unwrap());
        assert_eq!(zone.parse("2024-06-10T09:00:00"), Some(utc("2024-06-10T09:00:00Z")));
        assert_eq!(zone.format(utc("2024-06-10T09:00:00Z"), true), "2024-06-10T09:00:00+00:00");
    }

    #[test]
    fn copenhagen_in_legacy_form() {
        let xml = legacy_xml(Tz::Europe__Copenhagen, 2024);
        assert!(xml.starts_with("<t:TimeZone><t:Bias>-60</t:Bias>"), "{xml}");
        assert!(xml.contains("<t:StandardTime><t:Bias>0</t:Bias><t:Time>03:00:00</t:Time><t:DayOrder>5</t:DayOrder><t:Month>10</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime>"), "{xml}");
        assert!(xml.contains("<t:DaylightTime><t:Bias>-60</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>5</t:DayOrder><t:Month>3</t:Month>"), "{xml}");
        let utc_xml = legacy_xml(Tz::UTC, 2024);
        assert!(utc_xml.contains("<t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias>"));
    }

    #[test]
    fn context_header_names_a_windows_zone() {
        let header = parse(
            "<Header><TimeZoneContext><TimeZoneDefinition Id=\"Romance Standard Time\"/></TimeZoneContext></Header>",
        )
        .unwrap();
        let zone = RequestZone::from_header(Some(&header)).unwrap();
        assert_eq!(zone.parse("2024-06-10T09:00:00"), Some(utc("2024-06-10T07:00:00Z")));
        assert_eq!(RequestZone::from_header(None).unwrap(), RequestZone::Named(Tz::UTC));
        let bad = parse(
            "<Header><TimeZoneContext><TimeZoneDefinition Id=\"Mars\"/></TimeZoneContext></Header>",
        )
        .unwrap();
        assert!(RequestZone::from_header(Some(&bad)).is_err());
    }
}
