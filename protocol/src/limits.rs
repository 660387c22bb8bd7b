//! Lengths and sizes that both sides enforce. Character limits count Unicode scalar values (what a person
//! counts), not bytes and not UTF-16 units.

/// A message's text, after trimming.
pub const MESSAGE_MAX_CHARS: usize = 4000;
/// A person's, an org's or an agent's name.
pub const NAME_MAX_CHARS: usize = 200;
/// RFC 5321's limit on a forward path.
pub const EMAIL_MAX_CHARS: usize = 254;
/// RFC 5321's limit on the part before the `@`.
pub const EMAIL_LOCAL_MAX_CHARS: usize = 64;
/// RFC 1035's limit on one label of a domain name.
pub const EMAIL_DOMAIN_LABEL_MAX_CHARS: usize = 63;
/// A workspace id (`externalId`).
pub const EXTERNAL_ID_MAX_CHARS: usize = 128;
/// The widget's id for a message (and for the chat its first message starts).
pub const CLIENT_ID_MIN_CHARS: usize = 8;
pub const CLIENT_ID_MAX_CHARS: usize = 64;
/// A phone number: E.164 numbers are at most 15 digits; the rest leaves room for formatting.
pub const PHONE_MAX_CHARS: usize = 32;
/// A BCP 47 language tag: tags seen in practice are far shorter.
pub const LANGUAGE_MAX_CHARS: usize = 35;
/// An avatar URL.
pub const URL_MAX_CHARS: usize = 2048;
/// `custom_data` as JSON text, as the server accepts it.
pub const CUSTOM_DATA_MAX_BYTES: usize = 16 * 1024;
/// Messages in one page of a chat's history (`limit`), and in a page asked for without a `limit`.
pub const MESSAGE_PAGE_MAX: i64 = 1000;
/// A rating's comment, in characters (Unicode scalar values) after trimming.
pub const RATING_COMMENT_MAX_CHARS: usize = 1000;
/// A rating's score: 1 to 5.
pub const RATING_SCORE_MIN: i64 = 1;
pub const RATING_SCORE_MAX: i64 = 5;
/// How long a typing signal shows without a fresh one, in seconds; the sender refreshes it every
/// [`TYPING_REFRESH_SECS`] while typing goes on.
pub const TYPING_SHOWN_SECS: u32 = 6;
pub const TYPING_REFRESH_SECS: u32 = 2;
/// Attachments, unless the org says otherwise (`org update`): the largest file, and the most files in a message.
pub const ATTACHMENT_DEFAULT_MAX_BYTES: i64 = 10 * 1024 * 1024;
pub const ATTACHMENTS_DEFAULT_PER_MESSAGE: i64 = 5;
/// The largest file any org may allow (the upload route's body limit).
pub const ATTACHMENT_HARD_MAX_BYTES: i64 = 50 * 1024 * 1024;

/// Greeting bubbles of an org or a page, and the characters of each.
pub const GREETING_MAX_MESSAGES: usize = 5;
pub const GREETING_MAX_CHARS: usize = 500;
/// Suggested first questions of an org or a page, and the characters of each.
pub const SUGGESTED_QUESTIONS_MAX: usize = 6;
pub const SUGGESTED_QUESTION_MAX_CHARS: usize = 200;
