//! Reading a user list as spreadsheets write it: the encoding, the separator and the column
//! names are recognised, then every row is checked as the single-user form checks it.

use std::collections::HashMap;

use super::super::directory::{UserInput, validate};
use super::super::validation::Invalid;
use crate::domain::Email;

/// Largest file accepted (about 40,000 typical rows).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Most rows accepted in one file.
pub const MAX_ROWS: usize = 20_000;

/// The columns the import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Email,
    Name,
    Extension,
    Department,
    Sync,
}

impl Column {
    /// Header names, compared lower-cased with spaces, `-`, `_` and `.` removed.
    fn from_header(raw: &str) -> Option<Column> {
        let key: String = raw
            .trim()
            .trim_start_matches('\u{feff}')
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match key.as_str() {
            "email" | "mail" | "emailadresse" | "mailadresse" | "emailaddress" | "epost" => {
                Column::Email
            }
            "navn" | "name" | "fuldtnavn" | "fullname" | "displayname" | "visningsnavn" => {
                Column::Name
            }
            "lokalnummer" | "lokalnr" | "extension" | "ext" | "telefon" | "telefonnummer"
            | "tlf" | "phone" => Column::Extension,
            "afdeling" | "department" | "dept" => Column::Department,
            "synkronisering" | "synk" | "sync" | "kalendersynkronisering" | "calendarsync" => {
                Column::Sync
            }
            _ => return None,
        })
    }
}

/// Why a whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    Empty,
    TooLarge,
    TooManyRows,
    NoEmailColumn,
    /// The same column twice (e.g. "mail" and "e-mail").
    RepeatedColumn(String),
    /// The CSV structure itself is broken (e.g. a quote never closed), at this line.
    Unreadable(u64),
}

/// Why one row is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowProblem {
    Field(Column, Invalid),
    /// The address already appeared on that line of the file.
    Duplicate(u64),
    SyncValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub email: Email,
    pub display_name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
    /// `None`: the file does not say (no column, or an empty cell).
    pub sync: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// The e-mail cell as written, shortened, to help find the row.
    pub email: String,
    pub problem: RowProblem,
}

/// A file read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub separator: char,
    pub encoding: &'static str,
    /// Which of name, extension, department and sync the file has; a missing column leaves
    /// that field alone.
    pub columns: Vec<Column>,
    pub unknown_columns: Vec<String>,
    pub rows: Vec<Row>,
    pub errors: Vec<RowError>,
}

impl Parsed {
    pub fn has(&self, column: Column) -> bool {
        self.columns.contains(&column)
    }
}

/// Decodes the bytes: a byte-order mark decides; otherwise strict UTF-8, and failing that
/// Windows-1252, which is what Excel on a Danish Windows saves as "CSV (semikolonsepareret)".
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return (text.into_owned(), encoding.name());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "UTF-8"),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), "windows-1252")
        }
    }
}

/// The separator is the one of `;`, `,` and tab that the header line uses most (outside
/// quotes); a one-column file gets `;`.
fn separator(text: &str) -> char {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(';', 0usize), (',', 0), ('\t', 0)];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && let Some(n) = counts.iter_mut().find(|(s, _)| *s == c) {
            n.1 += 1;
        }
    }
    counts.iter().fold((';', 0), |best, &(s, n)| if n > best.1 { (s, n) } else { best }).0
}

/// Export prefixes cells that a spreadsheet would run as a formula with `'`; that one
/// character is removed again here, so a file goes out and comes back unchanged.
pub fn unprotect(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(super::FORMULA_STARTS) => rest,
        _ => cell,
    }
}

fn sync_value(raw: &str) -> Result<Option<bool>, RowProblem> {
    match raw.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "ja" | "j" | "yes" | "y" | "1" | "x" | "true" | "sand" | "til" | "on" => Ok(Some(true)),
        "nej" | "n" | "no" | "0" | "false" | "falsk" | "fra" | "off" => Ok(Some(false)),
        _ => Err(RowProblem::SyncValue),
    }
}

fn shortened(raw: &str) -> String {
    let clean: String = raw.trim().chars().filter(|c| !c.is_control()).take(80).collect();
    clean
}

/// Reads a whole file. Refuses it only when nothing sensible can be read; bad rows are
/// reported one by one and the good rows kept.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FileProblem> {
    if bytes.len() > MAX_BYTES {
        return Err(FileProblem::TooLarge);
    }
    let (text, encoding) = decode(bytes);
    Ok(Parsed { encoding, ..parse_text(&text)? })
}

/// Reads a decoded file (kept as text between the preview and the import).
pub fn parse_text(text: &str) -> Result<Parsed, FileProblem> {
    if text.trim().is_empty() {
        return Err(FileProblem::Empty);
    }
    // The CSV reader counts lines right only for `\n` endings; Windows writes `\r\n`.
    let text = text.replace("\r\n", "\n");
    let text = text.as_str();
    let separator = separator(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator as u8)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|_| FileProblem::Unreadable(1))?.clone();
    let mut at: HashMap<Column, usize> = HashMap::new();
    let mut columns = Vec::new();
    let mut unknown_columns = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        match Column::from_header(header) {
            Some(c) if at.contains_key(&c) => {
                return Err(FileProblem::RepeatedColumn(shortened(header)));
            }
            Some(c) => {
                at.insert(c, i);
                columns.push(c);
            }
            None if header.trim().is_empty() => {}
            None => unknown_columns.push(shortened(header)),
        }
    }
    if !at.contains_key(&Column::Email) {
        return Err(FileProblem::NoEmailColumn);
    }
    let mut parsed = Parsed {
        separator,
        encoding: "UTF-8",
        columns,
        unknown_columns,
        rows: Vec::new(),
        errors: Vec::new(),
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record
            .map_err(|e| FileProblem::Unreadable(e.position().map_or(0, csv::Position::line)))?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if parsed.rows.len() + parsed.errors.len() >= MAX_ROWS {
            return Err(FileProblem::TooManyRows);
        }
        let line = record.position().map_or(0, csv::Position::line);
        let cell = |c: Column| at.get(&c).and_then(|&i| record.get(i)).map(unprotect);
        let raw_email = cell(Column::Email).unwrap_or("");
        match check_row(line, &cell, &mut seen) {
            Ok(row) => parsed.rows.push(row),
            Err(problem) => {
                parsed.errors.push(RowError { line, email: shortened(raw_email), problem });
            }
        }
    }
    Ok(parsed)
}

fn check_row<'a>(
    line: u64,
    cell: &impl Fn(Column) -> Option<&'a str>,
    seen: &mut HashMap<String, u64>,
) -> Result<Row, RowProblem> {
    let email = cell(Column::Email).unwrap_or("");
    if email.trim().is_empty() {
        return Err(RowProblem::Field(Column::Email, Invalid::Required));
    }
    let input = UserInput {
        email: email.to_owned(),
        display_name: cell(Column::Name).map(str::to_owned),
        extension: cell(Column::Extension).map(str::to_owned),
        department: cell(Column::Department).map(str::to_owned),
    };
    let valid = validate(&input).map_err(|errors| {
        let fields = [
            ("email", Column::Email),
            ("display_name", Column::Name),
            ("extension", Column::Extension),
            ("department", Column::Department),
        ];
        fields
            .iter()
            .find_map(|(f, c)| errors.get(f).map(|p| RowProblem::Field(*c, p)))
            .unwrap_or(RowProblem::Field(Column::Email, Invalid::Email))
    })?;
    let sync = sync_value(cell(Column::Sync).unwrap_or(""))?;
    if let Some(first) = seen.get(&valid.email.key()) {
        return Err(RowProblem::Duplicate(*first));
    }
    seen.insert(valid.email.key(), line);
    Ok(Row {
        line,
        email: valid.email,
        display_name: valid.display_name,
        extension: valid.extension,
        department: valid.department,
        sync,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(bytes: &[u8]) -> Parsed {
        match parse(bytes) {
            Ok(p) => p,
            Err(e) => panic!("refused: {e:?}"),
        }
    }

    #[test]
    fn danish_excel_semicolon_windows_1252() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252
            .encode("Navn;E-mail;Lokalnummer\r\nSøren Ærø;soren@firma.dk;201\r\n");
        let p = parsed(&bytes);
        assert_eq!(p.encoding, "windows-1252");
        assert_eq!(p.separator, ';');
        assert_eq!(p.rows[0].display_name.as_deref(), Some("Søren Ærø"));
        assert_eq!(p.rows[0].extension.as_deref(), Some("201"));
        assert_eq!(p.rows[0].line, 2);
    }

    #[test]
    fn utf8_with_and_without_bom_comma_and_tab() {
        for (text, sep) in [
            ("\u{feff}email,name\nsoren@firma.dk,Søren Ærø\n", ','),
            ("email,name\nsoren@firma.dk,Søren Ærø\n", ','),
            ("Mail\tNavn\nsoren@firma.dk\tSøren Ærø\n", '\t'),
            ("\"e-mail\";\"navn\"\n\"soren@firma.dk\";\"Søren Ærø\"\n", ';'),
        ] {
            let p = parsed(text.as_bytes());
            assert_eq!(p.encoding, "UTF-8", "{text}");
            assert_eq!(p.separator, sep, "{text}");
            assert_eq!(p.rows[0].display_name.as_deref(), Some("Søren Ærø"), "{text}");
        }
    }

    #[test]
    fn utf16_as_excel_unicode_text_saves_it() {
        let mut bytes = vec![0xff, 0xfe];
        for unit in "E-mail\tNavn\r\nsoren@firma.dk\tSøren Ærø\r\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let p = parsed(&bytes);
        assert_eq!(p.rows[0].display_name.as_deref(), Some("Søren Ærø"));
    }

    #[test]
    fn headers_in_either_language_and_unknown_ones_listed() {
        let p = parsed(
            "E-MAIL;Afdeling;Synkronisering;Telefon;Kostcenter\na@b.dk;Salg;x;22;7\n".as_bytes(),
        );
        assert_eq!(p.unknown_columns, vec!["Kostcenter".to_owned()]);
        assert_eq!(p.rows[0].department.as_deref(), Some("Salg"));
        assert_eq!(p.rows[0].sync, Some(true));
        assert!(!p.has(Column::Name));
        assert_eq!(parse(b"navn;afdeling\nA;B\n"), Err(FileProblem::NoEmailColumn));
        assert!(matches!(parse(b"mail;e-mail\n"), Err(FileProblem::RepeatedColumn(_))));
    }

    #[test]
    fn sync_words() {
        for (word, value) in [
            ("ja", Some(true)),
            ("Nej", Some(false)),
            ("YES", Some(true)),
            ("no", Some(false)),
            ("1", Some(true)),
            ("0", Some(false)),
            ("x", Some(true)),
            ("", None),
        ] {
            assert_eq!(sync_value(word), Ok(value), "{word}");
        }
        assert_eq!(sync_value("måske"), Err(RowProblem::SyncValue));
    }

    #[test]
    fn every_row_problem_is_reported_with_its_line() {
        let long = "x".repeat(201);
        let text = format!(
            "email;navn;lokalnummer;sync\na@b.dk;A;1;ja\nnot-an-address;B;2;ja\nA@B.dk;C;3;nej\n\
             c@b.dk;{long};4;\nd@b.dk;D;12ab;\ne@b.dk;E;5;måske\n;F;6;\n"
        );
        let p = parsed(text.as_bytes());
        let problems: Vec<(u64, RowProblem)> =
            p.errors.iter().map(|e| (e.line, e.problem)).collect();
        assert_eq!(
            problems,
            vec![
                (3, RowProblem::Field(Column::Email, Invalid::Email)),
                (4, RowProblem::Duplicate(2)),
                (5, RowProblem::Field(Column::Name, Invalid::TooLong(200))),
                (6, RowProblem::Field(Column::Extension, Invalid::Extension)),
                (7, RowProblem::SyncValue),
                (8, RowProblem::Field(Column::Email, Invalid::Required)),
            ]
        );
        assert_eq!(p.rows.len(), 1);
    }

    #[test]
    fn limits() {
        assert_eq!(parse(&vec![b'a'; MAX_BYTES + 1]), Err(FileProblem::TooLarge));
        assert_eq!(parse(b" \n"), Err(FileProblem::Empty));
        let mut many = String::from("email\n");
        for i in 0..=MAX_ROWS {
            many.push_str(&format!("u{i}@b.dk\n"));
        }
        assert_eq!(parse(many.as_bytes()), Err(FileProblem::TooManyRows));
    }

    #[test]
    fn the_protecting_quote_is_removed_only_before_a_formula_character() {
        assert_eq!(unprotect("'=HYPERLINK(\"x\")"), "=HYPERLINK(\"x\")");
        assert_eq!(unprotect("'+45 1234"), "+45 1234");
        assert_eq!(unprotect("'t Hooft"), "'t Hooft");
    }
}
