//! Files the visitor chose to send: the org's rules (`GET /widget/v1/settings`), the check a file gets before it
//! is uploaded, and how a size is written. Pure: the files themselves stay in `app`, the chips in `dom`.
//! The server checks everything again (and the content itself); this only spares the visitor an upload that
//! would be refused.

use crate::i18n::Strings;
use crate::protocol::{limits, AttachmentRules};
use crate::text::decimal;

/// The rules until the org's arrive (or when they cannot be asked for: a device that never chatted has no
/// identity yet): the server's defaults.
pub fn default_rules() -> AttachmentRules {
    let mut types = Vec::new();
    for media_type in [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
    ] {
        types.push(media_type.to_owned());
    }
    AttachmentRules {
        max_bytes: limits::ATTACHMENT_DEFAULT_MAX_BYTES,
        max_per_message: limits::ATTACHMENTS_DEFAULT_PER_MESSAGE,
        types,
    }
}

/// Why a file is refused before it is uploaded, in the visitor's words; `None` when it may go. `chosen` is
/// how many files are already in the message.
pub fn check(
    media_type: &str,
    size: i64,
    chosen: usize,
    rules: &AttachmentRules,
    strings: &Strings,
) -> Option<String> {
    let mut reason = String::new();
    if chosen as i64 >= rules.max_per_message {
        reason.push_str(strings.too_many_files);
        reason.push_str(&decimal(rules.max_per_message));
    } else if size > rules.max_bytes {
        reason.push_str(strings.file_too_large);
        reason.push_str(&size_text(rules.max_bytes));
    } else if size == 0 {
        reason.push_str(strings.file_empty);
    } else {
        // The browser's type for the file (by its name); the server then checks the content.
        let mut allowed = false;
        for t in &rules.types {
            allowed |= t == media_type;
        }
        if allowed {
            return None;
        }
        reason.push_str(strings.file_type_refused);
    }
    Some(reason)
}

/// A chosen file as its chip above the composer shows it.
pub struct ChipView<'a> {
    pub key: u32,
    pub name: &'a str,
    pub size: i64,
    /// Why it was refused (before upload, or the server's reason), or that it waits for the connection.
    pub note: Option<&'a str>,
    /// Its upload is under way: the percentage sent so far (0–100).
    pub progress: Option<u8>,
}

/// Shown as a thumbnail (an `<img>` of the downloaded bytes) rather than a row that downloads.
pub fn is_image(media_type: &str) -> bool {
    media_type.starts_with("image/")
}

/// "512 B", "48 KB", "10 MB" (1024 a step, whole units, rounded up so a limit never reads as less than it is).
pub fn size_text(bytes: i64) -> String {
    let (mut value, mut unit) = (bytes, " B");
    for next in [" KB", " MB"] {
        if value < 1024 {
            break;
        }
        value = (value + 1023) / 1024;
        unit = next;
    }
    let mut text = decimal(value);
    text.push_str(unit);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> AttachmentRules {
        AttachmentRules {
            max_bytes: 1024 * 1024,
            max_per_message: 2,
            types: vec!["image/png".into(), "application/pdf".into()],
        }
    }

    #[test]
    fn a_file_within_the_rules_may_go() {
        assert_eq!(
            check("image/png", 1024 * 1024, 0, &rules(), &crate::i18n::ENGLISH),
            None
        );
        assert_eq!(
            check("application/pdf", 1, 1, &rules(), &crate::i18n::ENGLISH),
            None
        );
    }

    #[test]
    fn a_file_over_the_size_or_of_another_type_or_too_many_is_refused_with_the_reason() {
        assert_eq!(
            check(
                "image/png",
                1024 * 1024 + 1,
                0,
                &rules(),
                &crate::i18n::ENGLISH
            )
            .unwrap(),
            "Larger than the limit of 1 MB"
        );
        assert_eq!(
            check("text/html", 10, 0, &rules(), &crate::i18n::ENGLISH).unwrap(),
            "This type of file cannot be sent"
        );
        // No type at all (the browser did not know it) is not an allowed one either.
        assert!(check("", 10, 0, &rules(), &crate::i18n::ENGLISH).is_some());
        assert_eq!(
            check("image/png", 10, 2, &rules(), &crate::i18n::ENGLISH).unwrap(),
            "At most files in a message: 2"
        );
        assert_eq!(
            check("image/png", 0, 0, &rules(), &crate::i18n::ENGLISH).unwrap(),
            "The file is empty"
        );
    }

    #[test]
    fn the_default_rules_are_the_servers() {
        let rules = default_rules();
        assert_eq!(rules.max_bytes, 10 * 1024 * 1024);
        assert_eq!(rules.max_per_message, 5);
        assert!(check("image/webp", 5, 0, &rules, &crate::i18n::ENGLISH).is_none());
        assert!(check("image/svg+xml", 5, 0, &rules, &crate::i18n::ENGLISH).is_some());
    }

    #[test]
    fn sizes_are_written_in_whole_units_rounded_up() {
        assert_eq!(size_text(0), "0 B");
        assert_eq!(size_text(1023), "1023 B");
        assert_eq!(size_text(1024), "1 KB");
        assert_eq!(size_text(48_213), "48 KB");
        assert_eq!(size_text(10 * 1024 * 1024), "10 MB");
        assert_eq!(size_text(10 * 1024 * 1024 + 1), "11 MB");
    }

    #[test]
    fn images_show_as_thumbnails() {
        assert!(is_image("image/png") && !is_image("application/pdf"));
    }
}
