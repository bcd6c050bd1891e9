//! The two languages of the product.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Da,
    En,
}

impl Locale {
    pub fn parse(raw: &str) -> Option<Locale> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "da" | "da-dk" => Some(Locale::Da),
            "en" | "en-gb" | "en-us" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::Da => "da",
            Locale::En => "en",
        }
    }

    /// The first supported language in an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut ranked: Vec<(f32, Locale)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?;
                let locale = match primary.to_ascii_lowercase().as_str() {
                    "da" | "nb" | "no" | "nn" | "sv" => Locale::Da,
                    "en" => Locale::En,
                    _ => return None,
                };
                (q > 0.0).then_some((q, locale))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, l)| *l)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_highest_supported() {
        assert_eq!(Locale::from_accept_language("en-GB,en;q=0.9,da;q=0.8"), Some(Locale::En));
        assert_eq!(Locale::from_accept_language("de-DE,da;q=0.5,en;q=0.4"), Some(Locale::Da));
        assert_eq!(Locale::from_accept_language("de, fr;q=0.8"), None);
        assert_eq!(Locale::from_accept_language("en;q=0, da;q=0.1"), Some(Locale::Da));
    }
}
