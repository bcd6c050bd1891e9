//! The `Prefer: outlook.timezone="…"` request header.

use chrono_tz::Tz;

use crate::domain::timezone::resolve_zone;

/// The zone responses are written in, and whether it came from the `Prefer` header.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputZone {
    pub tz: Tz,
    /// Echoed verbatim in `timeZone` fields, as Graph echoes the requested name.
    pub name: String,
    pub applied: bool,
}

impl OutputZone {
    pub fn utc() -> Self {
        OutputZone { tz: Tz::UTC, name: "UTC".into(), applied: false }
    }

    pub fn preference_applied(&self) -> Option<String> {
        self.applied.then(|| format!("outlook.timezone=\"{}\"", self.name))
    }
}

/// Reads `outlook.timezone` from a `Prefer` header value (several preferences may be
/// comma-separated). An unknown zone is ignored and UTC used, without `Preference-Applied`.
pub fn output_zone(prefer: Option<&str>) -> OutputZone {
    let Some(prefer) = prefer else { return OutputZone::utc() };
    for preference in split_preferences(prefer) {
        let Some((name, value)) = preference.split_once('=') else { continue };
        if !name.trim().eq_ignore_ascii_case("outlook.timezone") {
            continue;
        }
        let value = value.trim().trim_matches('"').trim();
        if let Ok(tz) = resolve_zone(value) {
            return OutputZone { tz, name: value.to_string(), applied: true };
        }
    }
    OutputZone::utc()
}

/// Splits on commas that are not inside a quoted value.
fn split_preferences(header: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, ch) in header.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&header[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_windows_and_iana_names_among_other_preferences() {
        let zone = output_zone(Some(
            "outlook.body-content-type=\"text\", outlook.timezone=\"Pacific Standard Time\"",
        ));
        assert_eq!(zone.tz, Tz::America__Los_Angeles);
        assert_eq!(
            zone.preference_applied().unwrap(),
            "outlook.timezone=\"Pacific Standard Time\""
        );
        assert_eq!(
            output_zone(Some("outlook.timezone=Europe/Copenhagen")).tz,
            Tz::Europe__Copenhagen
        );
        assert_eq!(output_zone(Some("outlook.timezone=\"Mars\"")), OutputZone::utc());
        assert_eq!(output_zone(None), OutputZone::utc());
    }
}
