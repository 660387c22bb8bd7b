//! What an uploaded file is, found from its content (docs/api.md "Attachments"): the type a browser would take it
//! for matters, not its name or the type its sender declared, since a file served back is shown or downloaded on
//! the strength of its type.
//!
//! The five binary formats allowed by default are told by their fixed signatures (the first bytes every such file
//! starts with). Anything else must be UTF-8 text without NUL bytes; text that a browser would render as markup —
//! HTML, or SVG, which can carry script — counts as that, whatever it was declared as.

use frontdesk_protocol::limits::{ATTACHMENTS_DEFAULT_PER_MESSAGE, ATTACHMENT_DEFAULT_MAX_BYTES};
use frontdesk_protocol::rules;

pub const PNG: &str = "image/png";
pub const JPEG: &str = "image/jpeg";
pub const GIF: &str = "image/gif";
pub const WEBP: &str = "image/webp";
pub const PDF: &str = "application/pdf";
pub const TEXT: &str = "text/plain";
pub const SVG: &str = "image/svg+xml";
pub const HTML: &str = "text/html";

/// Every type an org may allow; the last two only when named, since they can carry script.
pub const KNOWN_TYPES: [&str; 8] = [PNG, JPEG, GIF, WEBP, PDF, TEXT, SVG, HTML];
/// What an org allows until `org update` says otherwise.
pub const DEFAULT_TYPES: [&str; 6] = [PNG, JPEG, GIF, WEBP, PDF, TEXT];

/// Types shown in the page (`Content-Disposition: inline`); everything else is downloaded.
pub fn is_inline_image(media_type: &str) -> bool {
    matches!(media_type, PNG | JPEG | GIF | WEBP)
}

/// The type `bytes` are, or `None` for binary content of no allowed format.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: [(&[u8], &str); 5] = [
        (b"\x89PNG\r\n\x1a\n", PNG),
        (b"\xff\xd8\xff", JPEG),
        (b"GIF87a", GIF),
        (b"GIF89a", GIF),
        (b"%PDF-", PDF),
    ];
    for (signature, media_type) in SIGNATURES {
        if bytes.starts_with(signature) {
            return Some(media_type);
        }
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(WEBP);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if text.contains('\0') {
        return None;
    }
    Some(markup_of(text).unwrap_or(TEXT))
}

/// HTML or SVG when `text` starts (after a BOM, whitespace and comments) the way those documents do.
fn markup_of(text: &str) -> Option<&'static str> {
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    const HTML_STARTS: [&str; 9] = [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<script",
        "<iframe",
        "<meta",
        "<style",
        "<!--",
    ];
    if head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg")) {
        return Some(SVG);
    }
    if head.starts_with("<!--") && head.contains("<svg") {
        return Some(SVG);
    }
    if HTML_STARTS.iter().any(|start| head.starts_with(start)) {
        return Some(HTML);
    }
    None
}

/// An org's rules for attachments (`orgs` columns, `org update`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRules {
    pub max_bytes: i64,
    pub max_per_message: i64,
    pub types: Vec<String>,
}

impl Default for AttachmentRules {
    fn default() -> Self {
        Self {
            max_bytes: ATTACHMENT_DEFAULT_MAX_BYTES,
            max_per_message: ATTACHMENTS_DEFAULT_PER_MESSAGE,
            types: DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        }
    }
}

impl AttachmentRules {
    /// From the stored comma-separated list.
    pub fn from_columns(max_bytes: i64, max_per_message: i64, types: &str) -> Self {
        Self {
            max_bytes,
            max_per_message,
            types: types
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    pub fn allows(&self, media_type: &str) -> bool {
        self.types.iter().any(|t| t == media_type)
    }
}

/// Why a file was refused; each names what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Reading stops at the limit, so the file's whole size is not known.
    #[error("file: {name} is larger than {}, the largest file this site accepts ({max} bytes)", mib(*max))]
    TooLarge { name: String, max: i64 },
    #[error("file: {name} is {declared}, which this site does not accept (it accepts {allowed})")]
    TypeNotAllowed {
        name: String,
        declared: String,
        allowed: String,
    },
    #[error("file: {name} was sent as {declared} but its content is {found}")]
    Mismatch {
        name: String,
        declared: String,
        found: String,
    },
}

/// Bytes as MiB for a message: "10 MiB", "1.5 MiB".
fn mib(bytes: i64) -> String {
    let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
    if tenths % 10 == 0 {
        format!("{} MiB", tenths / 10)
    } else {
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    }
}

/// The declared type without parameters (`text/plain; charset=utf-8` → `text/plain`), lower-cased.
pub fn essence(declared: &str) -> String {
    declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Checks a whole file against `rules`: its declared type allowed, its content that type. Returns the stored type.
/// (The size is checked while it arrives, by the route.)
pub fn check(
    rules: &AttachmentRules,
    name: &str,
    declared: &str,
    bytes: &[u8],
) -> Result<&'static str, Refused> {
    let declared = essence(declared);
    let known = KNOWN_TYPES.iter().find(|t| **t == declared);
    let Some(known) = known.filter(|t| rules.allows(t)) else {
        return Err(Refused::TypeNotAllowed {
            name: name.to_owned(),
            declared: if declared.is_empty() {
                "of no declared type".to_owned()
            } else {
                declared
            },
            allowed: rules.types.join(", "),
        });
    };
    let found = sniff(bytes);
    if found != Some(*known) {
        return Err(Refused::Mismatch {
            name: name.to_owned(),
            declared: (*known).to_owned(),
            found: found
                .unwrap_or("binary data of no accepted format")
                .to_owned(),
        });
    }
    Ok(known)
}

/// A file name as kept: without any path, trimmed, at most 255 characters; `None` (with why) for one with control
/// or bidirectional characters, which could make it read as another name in a list.
pub fn file_name(raw: &str) -> Result<String, String> {
    const MAX: usize = 255;
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if let Some(c) = base
        .chars()
        .find(|c| rules::invisible_kind(*c).is_some() || c.is_control())
    {
        return Err(format!(
            "the file name contains the invisible character U+{:04X}; rename the file",
            u32::from(c)
        ));
    }
    let name: String = base.chars().take(MAX).collect();
    Ok(if name.is_empty() {
        "file".to_owned()
    } else {
        name
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_BYTES: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn content_decides_the_type() {
        assert_eq!(sniff(PNG_BYTES), Some(PNG));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), Some(JPEG));
        assert_eq!(sniff(b"GIF89a\x01\0"), Some(GIF));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(WEBP));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(PDF));
        assert_eq!(sniff("plain words, café".as_bytes()), Some(TEXT));
        assert_eq!(sniff(b"  <!DOCTYPE html><p>hi"), Some(HTML));
        assert_eq!(sniff(b"\xef\xbb\xbf<script>alert(1)</script>"), Some(HTML));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<svg onload=\"x()\"/>"),
            Some(SVG)
        );
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"),
            Some(SVG)
        );
        assert_eq!(sniff(b"text\0with a NUL"), None);
        assert_eq!(sniff(b"\x00\x01\x02\xff"), None);
    }

    #[test]
    fn a_file_is_refused_for_its_type_or_for_content_that_is_not_that_type() {
        let rules = AttachmentRules::default();
        assert_eq!(check(&rules, "a.png", "image/png", PNG_BYTES), Ok(PNG));
        assert_eq!(
            check(&rules, "n.txt", "text/plain; charset=utf-8", b"hi"),
            Ok(TEXT)
        );
        // A PNG renamed .pdf and declared a PDF.
        assert!(matches!(
            check(&rules, "x.pdf", "application/pdf", PNG_BYTES),
            Err(Refused::Mismatch { found, .. }) if found == PNG
        ));
        // HTML declared as an image, or as text.
        assert!(matches!(
            check(&rules, "x.png", "image/png", b"<html><script>1</script>"),
            Err(Refused::Mismatch { .. })
        ));
        assert!(matches!(
            check(&rules, "x.txt", "text/plain", b"<script>alert(1)</script>"),
            Err(Refused::Mismatch { found, .. }) if found == HTML
        ));
        // SVG and HTML only when the org names them.
        let svg = b"<svg><script>alert(1)</script></svg>";
        assert!(matches!(
            check(&rules, "x.svg", "image/svg+xml", svg),
            Err(Refused::TypeNotAllowed { .. })
        ));
        let mut open = rules.clone();
        open.types.push(SVG.to_owned());
        assert_eq!(check(&open, "x.svg", "image/svg+xml", svg), Ok(SVG));
        assert!(matches!(
            check(&rules, "x.exe", "application/x-msdownload", b"MZ"),
            Err(Refused::TypeNotAllowed { .. })
        ));
    }

    #[test]
    fn names_lose_their_path_and_keep_no_invisible_characters() {
        assert_eq!(file_name("C:\\fakepath\\shot.png").unwrap(), "shot.png");
        assert_eq!(file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(file_name("  ").unwrap(), "file");
        assert_eq!(file_name(&"é".repeat(300)).unwrap().chars().count(), 255);
        assert!(file_name("invoice\u{202e}fdp.exe").is_err());
        assert!(file_name("a\nb.txt").is_err());
    }
}
