//! Spreadsheet plumbing for knowledge import/export: decoding uploaded CSV
//! text (UTF-8 with or without BOM, or GBK as Excel in China writes it) and
//! reading/writing the first sheet of an XLSX workbook. XLSX is a zip of XML
//! files; the `zip` crate (deflate only, already used by the bot's model
//! installer) does the archive and the few XML elements a sheet needs are
//! scanned here, so no spreadsheet crate is pulled in.

use std::io::{Cursor, Read, Write};

/// How the bytes of an uploaded CSV are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, else GBK.
    Auto,
    Utf8,
    Gbk,
}

impl TextEncoding {
    pub fn parse(s: Option<&str>) -> Option<Self> {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("auto") => Some(TextEncoding::Auto),
            Some("utf-8") | Some("utf8") => Some(TextEncoding::Utf8),
            Some("gbk") | Some("gb2312") | Some("gb18030") => Some(TextEncoding::Gbk),
            _ => None,
        }
    }
}

/// The text of an upload, or why it cannot be read in that encoding.
pub fn decode_text(bytes: &[u8], enc: TextEncoding) -> Result<String, &'static str> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8 = || std::str::from_utf8(body).map(str::to_string);
    let gbk = || {
        encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|c| c.into_owned())
    };
    match enc {
        TextEncoding::Utf8 => utf8().map_err(|_| "is not valid UTF-8"),
        TextEncoding::Gbk => gbk().ok_or("is not valid GBK"),
        TextEncoding::Auto => utf8()
            .ok()
            .or_else(gbk)
            .ok_or("is neither UTF-8 nor GBK text"),
    }
}

// ---- XML scanning -------------------------------------------------------------

enum Ev<'a> {
    /// local name, attribute text, self-closing
    Open(&'a str, &'a str, bool),
    Close(&'a str),
    Text(String),
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let ch = match ent {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every event of an XML document, in order (no validation: a malformed
/// document gives whatever could be read).
fn scan(xml: &str) -> Vec<Ev<'_>> {
    let mut out = Vec::new();
    let mut rest = xml;
    while !rest.is_empty() {
        match rest.find('<') {
            None => {
                out.push(Ev::Text(unescape(rest)));
                break;
            }
            Some(i) => {
                if i > 0 {
                    out.push(Ev::Text(unescape(&rest[..i])));
                }
                rest = &rest[i..];
            }
        }
        if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").unwrap_or(r.len());
            out.push(Ev::Text(r[..end].to_string()));
            rest = r.get(end + 3..).unwrap_or("");
            continue;
        }
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |e| &rest[e + 3..]);
            continue;
        }
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            out.push(Ev::Close(local(name.trim())));
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, attrs) = tag
            .split_once(|c: char| c.is_whitespace())
            .unwrap_or((tag, ""));
        out.push(Ev::Open(local(name), attrs, self_closing));
    }
    out
}

fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let quote = after.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let val_end = after[1..].find(quote)? + 1;
        if local(key) == name {
            return Some(unescape(&after[1..val_end]));
        }
        rest = &after[val_end + 1..];
    }
    None
}

/// "B12" → (column 1, row 12), both 0-based.
fn cell_ref(r: &str) -> Option<(usize, usize)> {
    let letters: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = &r[letters.len()..];
    let mut col = 0usize;
    for c in letters.chars() {
        col = col * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1);
    }
    let row: usize = digits.parse().ok()?;
    (col > 0 && row > 0).then(|| (col - 1, row - 1))
}

fn col_name(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

// ---- XLSX ---------------------------------------------------------------------

/// The most cells one upload may hold (a guard against zip bombs of XML).
const MAX_XML: u64 = 200 * 1024 * 1024;

fn entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, String> {
    let f = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("{name}: {e}")),
    };
    let mut s = String::new();
    f.take(MAX_XML)
        .read_to_string(&mut s)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(Some(s))
}

fn shared_strings(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let (mut in_t, mut in_ph) = (false, false);
    for ev in scan(xml) {
        match ev {
            Ev::Open("si", _, false) => cur = Some(String::new()),
            Ev::Open("si", _, true) => out.push(String::new()),
            Ev::Close("si") => out.push(cur.take().unwrap_or_default()),
            Ev::Open("rPh", _, false) => in_ph = true,
            Ev::Close("rPh") => in_ph = false,
            Ev::Open("t", _, false) => in_t = true,
            Ev::Close("t") => in_t = false,
            Ev::Text(t) if in_t && !in_ph => {
                if let Some(c) = cur.as_mut() {
                    c.push_str(&t);
                }
            }
            _ => {}
        }
    }
    out
}

/// The first sheet of an XLSX workbook as rows of cell text, row *i* of the
/// result being spreadsheet row *i + 1* (blank rows kept, so row numbers in
/// reports match what the user sees). Numbers come as written in the file.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not an XLSX file: {e}"))?;
    let strings = entry(&mut zip, "xl/sharedStrings.xml")?
        .map(|x| shared_strings(&x))
        .unwrap_or_default();
    let sheet_name = if zip.by_name("xl/worksheets/sheet1.xml").is_ok() {
        "xl/worksheets/sheet1.xml".to_string()
    } else {
        let mut names: Vec<String> = zip
            .file_names()
            .filter(|n| n.starts_with("xl/worksheets/") && n.ends_with(".xml"))
            .map(str::to_string)
            .collect();
        names.sort();
        names
            .into_iter()
            .next()
            .ok_or("not an XLSX file: it has no worksheet")?
    };
    let xml = entry(&mut zip, &sheet_name)?.ok_or("not an XLSX file: no worksheet")?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let (mut row, mut col) = (0usize, 0usize);
    let mut next_row = 0usize;
    let mut kind = String::new();
    let mut value: Option<String> = None;
    let (mut in_v, mut in_t) = (false, false);
    let put = |rows: &mut Vec<Vec<String>>, r: usize, c: usize, v: String| {
        if r > 1_100_000 || c > 1000 {
            return;
        }
        if rows.len() <= r {
            rows.resize(r + 1, Vec::new());
        }
        let cells = &mut rows[r];
        if cells.len() <= c {
            cells.resize(c + 1, String::new());
        }
        cells[c] = v;
    };
    for ev in scan(&xml) {
        match ev {
            Ev::Open("row", a, sc) => {
                row = attr(a, "r")
                    .and_then(|r| r.parse::<usize>().ok())
                    .filter(|&r| r > 0)
                    .map_or(next_row, |r| r - 1);
                next_row = row + 1;
                col = 0;
                if !sc && rows.len() <= row {
                    rows.resize(row + 1, Vec::new());
                }
            }
            Ev::Open("c", a, sc) => {
                if let Some((c, r)) = attr(a, "r").as_deref().and_then(cell_ref) {
                    col = c;
                    row = r;
                }
                kind = attr(a, "t").unwrap_or_default();
                value = None;
                if sc {
                    col += 1;
                }
            }
            Ev::Close("c") => {
                let v = value.take().unwrap_or_default();
                let text = match kind.as_str() {
                    "s" => v
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| strings.get(i).cloned())
                        .unwrap_or_default(),
                    _ => v,
                };
                put(&mut rows, row, col, text);
                col += 1;
            }
            Ev::Open("v", _, false) => in_v = true,
            Ev::Close("v") => in_v = false,
            Ev::Open("t", _, false) => in_t = true,
            Ev::Close("t") => in_t = false,
            Ev::Text(t) if in_v || in_t => value.get_or_insert_with(String::new).push_str(&t),
            _ => {}
        }
    }
    for r in &mut rows {
        while r.last().is_some_and(|c| c.is_empty()) {
            r.pop();
        }
    }
    Ok(rows)
}

fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML 1.0.
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/><xf applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf></cellXfs></styleSheet>"#;

/// A one-sheet XLSX workbook of text cells (inline strings, wrapped).
pub fn write_xlsx(sheet: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, cells) in rows.iter().enumerate() {
        body.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, v) in cells.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            body.push_str(&format!(
                "<c r=\"{}{}\" t=\"inlineStr\" s=\"1\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                col_name(c),
                r + 1,
                xml_text(v)
            ));
        }
        body.push_str("</row>");
    }
    body.push_str("</sheetData></worksheet>");
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        xml_text(sheet)
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let files: [(&str, &str); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", &workbook),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
        ("xl/worksheets/sheet1.xml", &body),
    ];
    for (name, text) in files {
        zip.start_file(name, opts).map_err(|e| e.to_string())?;
        zip.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(zip.finish().map_err(|e| e.to_string())?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_and_gbk_are_decoded() {
        let text = "分类,问题\n售后,怎么退货\n";
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(text.as_bytes());
        assert_eq!(decode_text(&bom, TextEncoding::Auto).as_deref(), Ok(text));
        let (gbk, _, bad) = encoding_rs::GBK.encode(text);
        assert!(!bad);
        assert_eq!(decode_text(&gbk, TextEncoding::Auto).as_deref(), Ok(text));
        assert_eq!(decode_text(&gbk, TextEncoding::Gbk).as_deref(), Ok(text));
        assert!(decode_text(&gbk, TextEncoding::Utf8).is_err());
    }

    #[test]
    fn xlsx_round_trip_keeps_text_and_row_numbers() {
        let rows = vec![
            vec!["id".to_string(), "question".into(), "answer".into()],
            vec![],
            vec![
                "".into(),
                "怎么退货 & <换货>".into(),
                "第一行\n第二行".into(),
            ],
        ];
        let bytes = write_xlsx("知识库", &rows).unwrap_or_default();
        let back = read_xlsx(&bytes).unwrap_or_default();
        assert_eq!(back, rows);
    }

    #[test]
    fn shared_strings_and_numbers_are_read() {
        let xml = r#"<sst><si><t>hello</t></si><si><r><t>a&amp;</t></r><r><t xml:space="preserve">b</t></r><rPh><t>x</t></rPh></si></sst>"#;
        assert_eq!(shared_strings(xml), vec!["hello", "a&b"]);
        assert_eq!(cell_ref("AB12"), Some((27, 11)));
        assert_eq!(col_name(27), "AB");
        assert_eq!(col_name(0), "A");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(read_xlsx(b"not a zip").is_err());
    }
}
