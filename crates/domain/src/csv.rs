//! CSV as RFC 4180 has it (quoted fields, doubled quotes, CRLF or LF), for the
//! customer import and export. Small enough not to need a dependency.

/// Parse a whole CSV text into rows of cells. A UTF-8 byte-order mark (as
/// spreadsheet programs write) is dropped; blank lines are skipped. An
/// unterminated quote runs to the end of the text.
pub fn parse(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                row.push(std::mem::take(&mut cell));
                if !(row.len() == 1 && row[0].is_empty()) {
                    rows.push(std::mem::take(&mut row));
                } else {
                    row.clear();
                }
            }
            _ => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// One CSV line (with CRLF). Cells with a comma, quote or line break are
/// quoted; a cell that a spreadsheet would run as a formula (`=`, `@`, or `+`/`-`
/// not followed by a digit) is prefixed with `'` so an export cannot carry one.
pub fn write_row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let c = c.as_ref();
        let mut chars = c.chars();
        let first = chars.next();
        let second = chars.next();
        let formula = match first {
            Some('=' | '@' | '\t' | '\r') => true,
            Some('+' | '-') => !second.is_some_and(|d| d.is_ascii_digit()),
            _ => false,
        };
        let c = if formula {
            format!("'{c}")
        } else {
            c.to_string()
        };
        if c.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&c);
        }
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_line_breaks_and_bom() {
        let rows =
            parse("\u{feff}name,notes\r\n\"王, 先生\",\"说 \"\"你好\"\"\n第二行\"\n\n李四,\n");
        assert_eq!(
            rows,
            vec![
                vec!["name".to_string(), "notes".into()],
                vec!["王, 先生".into(), "说 \"你好\"\n第二行".into()],
                vec!["李四".into(), "".into()],
            ]
        );
        assert_eq!(parse("a,b"), vec![vec!["a".to_string(), "b".into()]]);
    }

    #[test]
    fn writes_what_it_parses_and_defuses_formulas() {
        let line = write_row(&[
            "王, 先生",
            "说 \"你好\"",
            "=HYPERLINK(1)",
            "+8613812345678",
            "-x",
        ]);
        assert_eq!(
            parse(&line),
            vec![vec![
                "王, 先生".to_string(),
                "说 \"你好\"".into(),
                "'=HYPERLINK(1)".into(),
                "+8613812345678".into(),
                "'-x".into()
            ]]
        );
    }
}
