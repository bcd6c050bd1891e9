//! Plain text for humans, safe to print to a terminal.

use std::borrow::Cow;

/// Text as it can be printed: control characters (escape sequences that would rewrite the
/// terminal, NUL, line breaks inside a cell) are written as `\u{1b}`-style escapes. Stored
/// text from before input was checked, and text from calendars and Microsoft's answers, pass
/// through here before they reach a terminal.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() })
            .collect(),
    )
}

/// Left-aligned columns separated by two spaces, sized to their widest cell.
pub fn table(headers: &[&str], cells: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = cells
        .iter()
        .map(|row| row.iter().map(|cell| printable(cell).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = line(headers.to_vec());
    for row in &rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up() {
        let t = super::table(&["A", "BB"], &[vec!["xxx".into(), "y".into()]]);
        assert_eq!(t, "A    BB\nxxx  y");
    }

    #[test]
    fn control_characters_are_printed_as_escapes() {
        let hostile = "\u{1b}]0;owned\u{7}\u{1b}[2J";
        assert_eq!(super::printable(hostile), "\\u{1b}]0;owned\\u{7}\\u{1b}[2J");
        assert_eq!(super::printable("Kundemøde"), "Kundemøde");
        let t = super::table(&["A"], &[vec!["x\ny".into()]]);
        assert_eq!(t, "A\nx\\u{a}y");
    }
}
