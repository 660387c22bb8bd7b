//! Message text → runs of plain text and links. The view turns runs into text nodes and anchors;
//! nothing here or there ever parses HTML, so `<script>` in a message stays text.

/// The longest message the server stores: 4000 characters after trimming, counted as Unicode scalar
/// values (Rust `char`s), not UTF-16 units (an emoji is one character but two units) nor bytes
/// (docs/api.md).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// `None` when `text` is a message the server's length rule accepts; otherwise the longest start of
/// it that the rule accepts (leading whitespace dropped, as the server trims it anyway).
pub fn cut_to_limit(text: &str) -> Option<&str> {
    if text.trim().chars().count() <= MAX_MESSAGE_CHARS {
        return None;
    }
    let start = text.trim_start();
    let end = start
        .char_indices()
        .nth(MAX_MESSAGE_CHARS)
        .map_or(start.len(), |(index, _)| index);
    Some(&start[..end])
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run<'a> {
    Text(&'a str),
    /// Only `http://` and `https://`, so a `javascript:` URL can never become a link.
    Link(&'a str),
}

/// Splits `text` into text and http(s) links. Trailing punctuation (`.`, `,`, `)`…) stays text, as a
/// reader expects of "see https://example.com.".
pub fn runs(text: &str) -> Vec<Run<'_>> {
    let mut runs = Vec::new();
    let mut rest = text;
    while let Some(start) = find_link_start(rest) {
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(candidate.len());
        let link =
            candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'']);
        let scheme_len = if link.starts_with("https://") { 8 } else { 7 };
        if link.len() <= scheme_len {
            runs.push(Run::Text(&rest[..start + scheme_len]));
            rest = &rest[start + scheme_len..];
            continue;
        }
        if start > 0 {
            runs.push(Run::Text(&rest[..start]));
        }
        runs.push(Run::Link(link));
        rest = &rest[start + link.len()..];
    }
    if !rest.is_empty() {
        runs.push(Run::Text(rest));
    }
    runs
}

/// `n` in decimal. The one place the widget writes a number: with `format!` or `to_string()` on
/// integers, core's integer formatting (its digit table, padding and one routine per width) came into
/// the wasm, about 0.6 KB gzipped.
pub fn decimal(n: i64) -> String {
    // Filled from the end; 20 digits hold any u64, so any |i64|.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(21);
    if n < 0 {
        out.push('-');
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
    out
}

/// The integer `text` writes in decimal (an optional sign, then digits), as `str::parse::<i64>` reads
/// it, without core's generic integer parsing.
pub fn parse_decimal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(digit - b'0');
        // Accumulated negatively, so that i64::MIN, one further from zero than i64::MAX, fits.
        value = value.checked_mul(10)?.checked_sub(digit)?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// Where the first `http://` or `https://` starts: a byte scan rather than `str::find`, whose
/// substring searcher would be the only one in the wasm (about 0.8 KB). The index is a character
/// boundary, since `h` is ASCII.
fn find_link_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find(|&i| {
        let rest = &bytes[i..];
        rest.starts_with(b"http://") || rest.starts_with(b"https://")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_characters_as_the_server_does() {
        // 4000 emoji are 8000 UTF-16 units and 16000 bytes, and still one message.
        assert_eq!(cut_to_limit(&"😀".repeat(4000)), None);
        assert_eq!(cut_to_limit(&"é".repeat(4000)), None);
        // Whitespace around the text is not counted: the server trims it.
        assert_eq!(cut_to_limit(&format!("  \n{}\n ", "x".repeat(4000))), None);
        let over = "x".repeat(4001);
        assert_eq!(cut_to_limit(&over), Some(&over[..4000]));
        let emoji = format!("  {}", "😀".repeat(4001));
        let cut = cut_to_limit(&emoji).unwrap();
        assert_eq!(cut.chars().count(), 4000);
        assert!(cut.chars().all(|c| c == '😀'), "no character is split");
    }

    #[test]
    fn decimal_writes_integers_as_rust_does() {
        for n in [
            0,
            7,
            -7,
            10,
            99,
            100,
            4000,
            1_234_567_890,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn parse_decimal_reads_integers_as_rust_does() {
        for text in [
            "0",
            "7",
            "-7",
            "+7",
            "007",
            "4000",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "-9223372036854775809",
            "",
            "-",
            "+",
            "1.5",
            "1e3",
            " 1",
            "1 ",
            "0x10",
            "--1",
            "١",
        ] {
            assert_eq!(parse_decimal(text), text.parse::<i64>().ok(), "{text:?}");
        }
    }

    #[test]
    fn plain_text_is_one_run() {
        assert_eq!(
            runs("<img src=x onerror=alert(1)>"),
            vec![Run::Text("<img src=x onerror=alert(1)>")]
        );
    }

    #[test]
    fn http_links_are_found_and_punctuation_left_out() {
        assert_eq!(
            runs("see https://example.com/a?b=1. or (http://x.org)"),
            vec![
                Run::Text("see "),
                Run::Link("https://example.com/a?b=1"),
                Run::Text(". or ("),
                Run::Link("http://x.org"),
                Run::Text(")"),
            ]
        );
    }

    #[test]
    fn other_schemes_stay_text() {
        assert_eq!(
            runs("javascript:alert(1) data:text/html,x"),
            vec![Run::Text("javascript:alert(1) data:text/html,x")]
        );
        assert_eq!(
            runs("https:// nothing"),
            vec![Run::Text("https://"), Run::Text(" nothing")]
        );
    }

    #[test]
    fn a_link_cannot_swallow_markup() {
        assert_eq!(
            runs("https://a.b/<script>"),
            vec![Run::Link("https://a.b/"), Run::Text("<script>")]
        );
    }
}
