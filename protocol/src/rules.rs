//! The input rules both sides apply, each written once: the widget checks options with them before anything is
//! sent, the server checks every request with them. `docs/api.md` ("Input rules") is their prose.
//!
//! Every rule returns [`Invalid`], whose message completes a sentence that starts with the field's name
//! (`email: not an email address`); the caller, which knows the field, adds the name.

use core::fmt::{self, Write as _};

use crate::limits;

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Empty,
    TooLong {
        max: usize,
    },
    TooShort {
        min: usize,
    },
    /// An ASCII character outside the rule's set.
    BadCharacter {
        allowed: &'static str,
    },
    /// A non-ASCII character where only ASCII is allowed (identifiers).
    NotAscii {
        found: char,
        allowed: &'static str,
    },
    /// A control, bidirectional-control or zero-width character: see [`invisible_kind`].
    Invisible {
        found: char,
    },
    NotAnEmail,
    NotAnHttpUrl,
    NotAnOrigin(&'static str),
    NotAnObject,
    TooLarge {
        max: usize,
    },
    NotHex {
        len: usize,
    },
}

/// `U+202E`, and the character itself when it is visible. The hex digits are written by hand: `{:04X}` would
/// bring the integer-formatting machinery into the widget's wasm for these few characters.
struct CodePoint(char);

impl fmt::Display for CodePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("U+")?;
        let value = u32::from(self.0);
        let digits = (value.max(1).ilog2() / 4 + 1).max(4);
        for shift in (0..digits).rev() {
            let digit = char::from_digit((value >> (shift * 4)) & 0xf, 16).unwrap_or('0');
            f.write_char(digit.to_ascii_uppercase())?;
        }
        if invisible_kind(self.0).is_none() && !self.0.is_whitespace() {
            f.write_str(" (")?;
            f.write_char(self.0)?;
            f.write_char(')')?;
        }
        Ok(())
    }
}

/// `contains U+202E, a bidirectional control character, which is not allowed: …`: the sentence of
/// [`Invalid::Invisible`], for callers (the widget) that word their other errors themselves.
pub fn describe_invisible(found: char, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(
        f,
        "contains {}, {}, which is not allowed: it is invisible and can disguise the text",
        CodePoint(found),
        invisible_kind(found).unwrap_or("an invisible character")
    )
}

/// The sentence of [`Invalid::NotAscii`].
pub fn describe_not_ascii(found: char, allowed: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(
        f,
        "contains {}, which is not ASCII; may only contain {allowed}",
        CodePoint(found)
    )
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Empty => f.write_str("must not be empty"),
            Invalid::TooLong { max } => write!(f, "longer than {max} characters"),
            Invalid::TooShort { min } => write!(f, "shorter than {min} characters"),
            Invalid::BadCharacter { allowed } => write!(f, "may only contain {allowed}"),
            Invalid::NotAscii { found, allowed } => describe_not_ascii(*found, allowed, f),
            Invalid::Invisible { found } => describe_invisible(*found, f),
            Invalid::NotAnEmail => f.write_str("not an email address"),
            Invalid::NotAnHttpUrl => f.write_str("not an http:// or https:// URL"),
            Invalid::NotAnOrigin(why) => write!(
                f,
                "not an origin ({why}); expected scheme://host[:port], e.g. https://example.com"
            ),
            Invalid::NotAnObject => f.write_str("must be a JSON object"),
            Invalid::TooLarge { max } => write!(f, "larger than {max} bytes as JSON"),
            Invalid::NotHex { len } => write!(f, "must be {len} lowercase hexadecimal characters"),
        }
    }
}

impl std::error::Error for Invalid {}

/// What kind of invisible character `c` is, if it is one that this protocol refuses in identities and names:
/// controls (C0, DEL, C1), the bidirectional controls that reorder what is shown (U+202A–U+202E embeddings and
/// overrides, U+2066–U+2069 isolates, U+200E/U+200F marks, U+061C the Arabic letter mark), and the zero-width
/// characters (U+200B–U+200D, U+2060 word joiner, U+FEFF byte-order mark). Each can make two different strings
/// look the same, or one look like another, which is how a forged name or address passes a glance.
pub fn invisible_kind(c: char) -> Option<&'static str> {
    match c {
        c if c.is_control() => Some("a control character"),
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => Some("a bidirectional control character"),
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => Some("a zero-width character"),
        _ => None,
    }
}

/// The first invisible character of `s`, if any.
pub fn find_invisible(s: &str) -> Option<char> {
    s.chars().find(|c| invisible_kind(*c).is_some())
}

fn refuse_invisible(s: &str) -> Result<(), Invalid> {
    match find_invisible(s) {
        Some(found) => Err(Invalid::Invisible { found }),
        None => Ok(()),
    }
}

/// Trims `raw` and checks its length in characters (not bytes: limits are what a person can count).
pub fn bounded(raw: &str, max: usize) -> Result<&str, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::Empty);
    }
    if s.chars().count() > max {
        return Err(Invalid::TooLong { max });
    }
    Ok(s)
}

/// A short human text on one line (a name, a phone number, a language tag): trimmed, 1–`max` characters, no
/// control, bidirectional-control or zero-width character.
pub fn label(raw: &str, max: usize) -> Result<&str, Invalid> {
    let s = bounded(raw, max)?;
    refuse_invisible(s)?;
    Ok(s)
}

/// A person's name: [`label`] with [`limits::NAME_MAX_CHARS`].
pub fn name(raw: &str) -> Result<&str, Invalid> {
    label(raw, limits::NAME_MAX_CHARS)
}

/// A message's text: trimmed, 1–4000 characters. Text of nothing but whitespace and invisible characters is
/// empty: it would show as a blank bubble. Inside a message, bidirectional marks and zero-width joiners stay
/// allowed (right-to-left writing and emoji sequences need them); only a message made of nothing else is refused.
pub fn message(raw: &str) -> Result<&str, Invalid> {
    let s = bounded(raw, limits::MESSAGE_MAX_CHARS)?;
    if s.chars()
        .all(|c| c.is_whitespace() || invisible_kind(c).is_some())
    {
        return Err(Invalid::Empty);
    }
    Ok(s)
}

/// A line of text shown as a bubble or a button (a greeting, a suggested question): [`message`]'s rule with a
/// smaller `max`.
pub fn short_text(raw: &str, max: usize) -> Result<&str, Invalid> {
    let s = bounded(raw, max)?;
    message(s)
}

/// An identifier the client chooses: `min..=max` characters of ASCII letters, digits and the bytes of `extra`
/// (`allowed` says the same in words, for the error). Not trimmed: ids are compared byte for byte, so " ws_1"
/// must not quietly become "ws_1".
pub fn identifier<'a>(
    raw: &'a str,
    min: usize,
    max: usize,
    extra: &[u8],
    allowed: &'static str,
) -> Result<&'a str, Invalid> {
    if raw.is_empty() {
        return Err(if min <= 1 {
            Invalid::Empty
        } else {
            Invalid::TooShort { min }
        });
    }
    refuse_invisible(raw)?;
    if let Some(found) = raw.chars().find(|c| !c.is_ascii()) {
        return Err(Invalid::NotAscii { found, allowed });
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    {
        return Err(Invalid::BadCharacter { allowed });
    }
    // All ASCII from here, so bytes are characters.
    if raw.len() < min {
        return Err(Invalid::TooShort { min });
    }
    if raw.len() > max {
        return Err(Invalid::TooLong { max });
    }
    Ok(raw)
}

/// What [`external_id`] allows, in words.
pub const EXTERNAL_ID_ALLOWED: &str = "letters, digits and _ . : @ -";

/// A workspace id (`externalId`, `X-Frontdesk-External-Id`): 1–128 of `[A-Za-z0-9_.:@-]`.
pub fn external_id(raw: &str) -> Result<&str, Invalid> {
    identifier(
        raw,
        1,
        limits::EXTERNAL_ID_MAX_CHARS,
        b"_.:@-",
        EXTERNAL_ID_ALLOWED,
    )
}

/// A message's (or a chat start's) `client_id`: 8–64 of `[A-Za-z0-9_-]`.
pub fn client_id(raw: &str) -> Result<&str, Invalid> {
    identifier(
        raw,
        limits::CLIENT_ID_MIN_CHARS,
        limits::CLIENT_ID_MAX_CHARS,
        b"_-",
        "letters, digits, _ and -",
    )
}

/// The RFC 5322 specials, which cannot appear unquoted before the `@`. (A `match`, not `str::contains`: it
/// keeps the string-searcher code out of the widget's wasm.)
fn is_special(c: char) -> bool {
    matches!(
        c,
        '@' | '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '"' | '\\'
    )
}

/// A domain with at least one dot, of labels of 1–63 letters, digits and hyphens that neither start nor end with
/// a hyphen. Any non-ASCII character other than whitespace counts as a letter: the rule is there to catch
/// mistakes, not to re-implement IDNA (the domain's DNS decides), and it needs no Unicode tables.
fn is_domain(domain: &str) -> bool {
    let mut dots = 0;
    let mut label_len = 0;
    let mut previous = '.';
    for c in domain.chars() {
        if c == '.' {
            if label_len == 0 || previous == '-' {
                return false;
            }
            dots += 1;
            label_len = 0;
        } else {
            let letter = c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_whitespace());
            if !(letter || c == '-')
                || (label_len == 0 && c == '-')
                || label_len == limits::EMAIL_DOMAIN_LABEL_MAX_CHARS
            {
                return false;
            }
            label_len += 1;
        }
        previous = c;
    }
    dots > 0 && label_len > 0 && previous != '-'
}

/// The email rule, the one both sides apply. Returns the address as it is stored and compared: trimmed, ASCII
/// letters lower-cased, nothing else changed.
///
/// Deliberately modest (the only way to know an address works is to send mail to it), and deliberate on:
/// - **Structure**: one `@`; a local part of 1–64 characters without whitespace or the RFC 5322 specials
///   `@ < > ( ) [ ] , ; : " \`, so `a,b@x.com` (a pasted list), `a(b)@x.com` (a comment), `a;b@x.com` and
///   `"ab"@x.com` (a quoted local part) are refused; a domain as [`is_domain`] says (DNS allows no
///   64-character label).
/// - **Non-ASCII letters** are accepted on both sides of the `@` (RFC 6531 addresses such as `élise@exemple.fr`,
///   and domains in Unicode form) and kept exactly as sent. Limits count characters, so a local part of 40 × `é`
///   (80 bytes) is accepted.
/// - **Case**: ASCII letters only are lower-cased (`John@X.com` is `john@x.com`). Never Unicode case rules and
///   never Unicode normalisation: Unicode lower-casing turns U+212A KELVIN SIGN into `k`, and NFC turns it into
///   `K`, so either would give `\u{212A}ate@x.com` the contact (and the chats) of `kate@x.com`. Two spellings kept
///   apart are at worst two contacts; two addresses merged are one person reading another's chats.
/// - **Invisible characters** (controls, bidirectional controls, zero-width characters) are refused with an
///   error that names the character, before anything else is checked.
pub fn email(raw: &str) -> Result<String, Invalid> {
    let s = bounded(raw, limits::EMAIL_MAX_CHARS)?;
    refuse_invisible(s)?;
    let at = s
        .bytes()
        .position(|b| b == b'@')
        .ok_or(Invalid::NotAnEmail)?;
    let (local, domain) = (&s[..at], &s[at + 1..]);
    let local_ok = !local.is_empty()
        && local.chars().count() <= limits::EMAIL_LOCAL_MAX_CHARS
        && !local.chars().any(|c| c.is_whitespace() || is_special(c));
    if !local_ok || !is_domain(domain) {
        return Err(Invalid::NotAnEmail);
    }
    Ok(s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_ordinary_addresses_and_lower_cases_ascii_only() {
        for (raw, stored) in [
            (" John@Doe.com ", "john@doe.com"),
            ("a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk"),
            ("x@xn--bcher-kva.example", "x@xn--bcher-kva.example"),
            (
                "o'brien!#$%&*/=?^_`{|}~-@x.com",
                "o'brien!#$%&*/=?^_`{|}~-@x.com",
            ),
            ("x@BÜCHER.example", "x@bÜcher.example"),
            ("x@bücher.example", "x@bücher.example"),
            ("x@i❤.ws", "x@i❤.ws"),
            ("Élise@Exemple.fr", "Élise@exemple.fr"),
        ] {
            assert_eq!(email(raw).as_deref(), Ok(stored), "{raw}");
        }
        let longest_local = format!("{}@x.com", "a".repeat(64));
        assert!(email(&longest_local).is_ok());
        let longest_label = format!("a@{}.com", "b".repeat(63));
        assert!(email(&longest_label).is_ok());
    }

    /// The cases where the widget and the server disagreed before the rule was written once.
    #[test]
    fn email_decides_the_cases_the_two_sides_disagreed_on() {
        for bad in [
            "a,b@x.com",
            "a(b)@x.com",
            "a;b@x.com",
            "\"ab\"@x.com",
            &format!("a@{}.com", "b".repeat(64)),
        ] {
            assert_eq!(email(bad), Err(Invalid::NotAnEmail), "{bad}");
        }
        let forty_e = format!("{}@x.com", "é".repeat(40));
        assert_eq!(email(&forty_e), Ok(forty_e.clone()));
    }

    #[test]
    fn email_never_folds_unicode_into_someone_elses_address() {
        // U+212A KELVIN SIGN is a letter: kept as it is, so this is not kate@x.com.
        assert_eq!(
            email("\u{212A}ate@x.com").as_deref(),
            Ok("\u{212A}ate@x.com")
        );
        assert_ne!(email("\u{212A}ate@x.com"), email("kate@x.com"));
        assert_ne!(email("\u{212A}ATE@x.com"), email("kate@x.com"));
        // Only ASCII letters are folded: the É stays.
        assert_eq!(email("ÉLISE@x.fr").as_deref(), Ok("Élise@x.fr"));
        assert_eq!(
            email("kate@\u{212A}elvin.example").as_deref(),
            Ok("kate@\u{212A}elvin.example")
        );
        assert_ne!(
            email("kate@\u{212A}elvin.example"),
            email("kate@kelvin.example")
        );
    }

    #[test]
    fn email_refuses_what_cannot_be_an_address() {
        for bad in [
            "john",
            "john@",
            "@doe.com",
            "john@doe",
            "jo hn@doe.com",
            "a@b@c.com",
            "a@-x.com",
            "a@x-.com",
            "a@x..com",
            "<a>@x.com",
            "a@x_y.com",
            "a\\b@x.com",
            "a@.x.com",
            "a@x.com.",
            "a@x.c m",
            "a@x.com\u{3000}x",
            "a@x.c@m",
            "a@x.co-",
        ] {
            assert_eq!(email(bad), Err(Invalid::NotAnEmail), "{bad}");
        }
        assert_eq!(email("  "), Err(Invalid::Empty));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(email(&long), Err(Invalid::TooLong { max: 254 }));
        assert_eq!(
            email(&format!("{}@x.com", "a".repeat(65))),
            Err(Invalid::NotAnEmail)
        );
    }

    #[test]
    fn invisible_characters_are_refused_by_name_in_emails_names_and_ids() {
        for c in [
            '\u{0}', '\u{7}', '\u{7F}', '\u{85}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}',
            '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}',
            '\u{FEFF}',
        ] {
            let found = Invalid::Invisible { found: c };
            assert_eq!(
                email(&format!("ka{c}te@x.com")),
                Err(found.clone()),
                "{c:?}"
            );
            assert_eq!(
                email(&format!("kate@x{c}.com")),
                Err(found.clone()),
                "{c:?}"
            );
            assert_eq!(name(&format!("Ka{c}te")), Err(found.clone()), "{c:?}");
            assert_eq!(external_id(&format!("ws{c}1")), Err(found), "{c:?}");
        }
        assert_eq!(
            email("\u{202E}moc.x@etak"),
            Err(Invalid::Invisible { found: '\u{202E}' })
        );
        assert_eq!(
            Invalid::Invisible { found: '\u{0}' }.to_string(),
            "contains U+0000, a control character, which is not allowed: it is invisible and can disguise the text"
        );
        assert!(Invalid::Invisible { found: '\u{FEFF}' }
            .to_string()
            .starts_with("contains U+FEFF, a zero-width"));
        assert!(Invalid::NotAscii {
            found: '😀',
            allowed: "x"
        }
        .to_string()
        .starts_with("contains U+1F600 (😀), which is not ASCII"));
        let message = Invalid::Invisible { found: '\u{202E}' }.to_string();
        assert!(
            message.starts_with("contains U+202E, a bidirectional control character"),
            "{message}"
        );
    }

    #[test]
    fn identifiers_name_a_non_ascii_character_instead_of_calling_it_empty() {
        let refused = external_id("wś").unwrap_err();
        assert_eq!(
            refused,
            Invalid::NotAscii {
                found: 'ś',
                allowed: EXTERNAL_ID_ALLOWED
            }
        );
        assert_eq!(
            refused.to_string(),
            "contains U+015B (ś), which is not ASCII; may only contain letters, digits and _ . : @ -"
        );
        assert_eq!(external_id(""), Err(Invalid::Empty));
        for bad in [" ws", "ws 1", "ws/1", "a%20b"] {
            assert!(
                matches!(external_id(bad), Err(Invalid::BadCharacter { .. })),
                "{bad}"
            );
        }
        assert_eq!(external_id(&"a".repeat(128)), Ok("a".repeat(128).as_str()));
        assert_eq!(
            external_id(&"a".repeat(129)),
            Err(Invalid::TooLong { max: 128 })
        );
        assert_eq!(client_id("1234567"), Err(Invalid::TooShort { min: 8 }));
        assert_eq!(
            client_id(&"x".repeat(65)),
            Err(Invalid::TooLong { max: 64 })
        );
        assert_eq!(client_id("c_3f9a2b7e1d"), Ok("c_3f9a2b7e1d"));
    }

    #[test]
    fn a_message_of_only_invisible_characters_is_empty() {
        assert_eq!(message("  hello \n"), Ok("hello"));
        for blank in [
            " \t\n",
            "\u{200B}",
            "\u{200B} \u{200D}\u{FEFF}",
            "\u{2060}\n\u{202E}",
        ] {
            assert_eq!(message(blank), Err(Invalid::Empty), "{blank:?}");
        }
        // Inside real text they stay: a family emoji is joined by U+200D, Arabic text carries marks.
        assert!(message("👨\u{200D}👩\u{200D}👧").is_ok());
        assert!(message("\u{200F}مرحبا").is_ok());
        assert!(message(&"€".repeat(4000)).is_ok());
        assert_eq!(
            message(&"a".repeat(4001)),
            Err(Invalid::TooLong { max: 4000 })
        );
    }

    #[test]
    fn labels_trim_and_bound() {
        assert_eq!(name("  John Doe "), Ok("John Doe"));
        assert_eq!(name(""), Err(Invalid::Empty));
        assert_eq!(name(&"a".repeat(201)), Err(Invalid::TooLong { max: 200 }));
        assert_eq!(name("a\nb"), Err(Invalid::Invisible { found: '\n' }));
    }
}
