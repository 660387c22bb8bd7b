//! `init(options)` → a typed [`Config`], or an error naming the option path.
//!
//! Parse, don't validate: once a `Config` exists every field is known good, so nothing after this
//! module re-checks options. Pure Rust: no `JsValue`, no DOM, so every rule is a native unit test.

use crate::value::Value;
use frontdesk_protocol::{limits, rules, Invalid};
use std::fmt;

/// Longest strings accepted: the server's limits (`frontdesk-protocol`), so what passes here is not
/// refused there.
pub const MAX_NAME_CHARS: usize = limits::NAME_MAX_CHARS;
pub const MAX_EMAIL_CHARS: usize = limits::EMAIL_MAX_CHARS;
pub const MAX_URL_CHARS: usize = limits::URL_MAX_CHARS;
pub const MAX_EXTERNAL_ID_CHARS: usize = limits::EXTERNAL_ID_MAX_CHARS;
/// The widget's own: a token is opaque to the protocol, and these bound what a page can make it send.
pub const MAX_WIDGET_TOKEN_CHARS: usize = 128;
pub const MAX_USER_TOKEN_CHARS: usize = 4096;
/// Half of what the server takes (`limits::CUSTOM_DATA_MAX_BYTES`): every chat start carries it, and a
/// page's data about a visitor fits in far less.
pub const MAX_CUSTOM_DATA_BYTES: usize = frontdesk_protocol::limits::CUSTOM_DATA_MAX_BYTES / 2;

/// Greeting bubbles (`initialMessages`): a few short lines, not a page of text.
pub const MAX_INITIAL_MESSAGES: usize = 5;
pub const MAX_INITIAL_MESSAGE_CHARS: usize = 500;
/// Suggested first questions (`initialQuestions`): each becomes the visitor's first message when clicked.
pub const MAX_INITIAL_QUESTIONS: usize = 5;
pub const MAX_INITIAL_QUESTION_CHARS: usize = 200;
/// One overridden word (`translationOverrides`, `textContent`): the longest of the widget's own words
/// ("Chat is unavailable right now…") is under 100 characters.
pub const MAX_WORD_CHARS: usize = 300;
/// Overridden words over all languages: every word of a dozen languages fits.
pub const MAX_WORD_OVERRIDES: usize = 1000;
/// `openAfterNSeconds`: an hour; a page open longer than that has no use for an automatic opening.
pub const MAX_OPEN_AFTER_SECONDS: u32 = 3600;
/// `offset.bottom` / `offset.side`, in CSS pixels: beyond this the launcher leaves a phone's screen.
pub const MAX_OFFSET_PX: u32 = 400;
/// `zIndex`: CSS's largest (a 32-bit signed integer).
pub const MAX_Z_INDEX: u32 = i32::MAX as u32;

const TOP_LEVEL_KEYS: &[&str] = &[
    "token",
    "apiUrl",
    "user",
    "color",
    "language",
    "position",
    "openOnStart",
    "colorScheme",
    "sound",
    "hideOutsideOfficeHours",
    "initialMessages",
    "initialQuestions",
    "translationOverrides",
    "bot",
    "humanAgent",
    "openAfterNSeconds",
    "zIndex",
    "offset",
    // OpenCX's names, mapped to ours (`opencx`).
    "theme",
    "isOpen",
    "textContent",
];
const USER_KEYS: &[&str] = &["data", "token", "externalId"];
const USER_DATA_KEYS: &[&str] = &["name", "email", "avatarUrl", "customData"];

/// Options after parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// OpenCX options that were accepted but have no effect here, by path (`options.cssOverrides`): the
    /// boundary names them all in one `console.warn` (`unhonoured_warning`).
    pub unhonoured: Vec<String>,
    /// The org's public widget token (`wt_…`).
    pub widget_token: String,
    /// Server base URL without a trailing slash; `None` = the boundary's default (the script's origin).
    pub api_url: Option<String>,
    pub identity: Identity,
    /// Workspace scope; `None` is the default scope.
    pub external_id: Option<String>,
    pub ui: UiOptions,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    /// No `user`: a visitor known only by this device's id.
    Anonymous,
    /// `user.data`: told apart by the device id; the data is only a claim.
    NonVerified(VisitorData),
    /// `user.token`: the server derives the contact from the token alone.
    Verified(TokenSource),
}

/// `user.data`, as the wire's `visitor` of a chat start: `custom_data` is `customData` as JSON text, ready
/// for the wire (the server stores it as `non_verified_custom_data`).
pub type VisitorData = frontdesk_protocol::wire::VisitorFields<String>;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenSource {
    Static(String),
    /// An async function the boundary keeps and calls for a token (again when the server says expired).
    Function,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UiOptions {
    /// `#rrggbb` or `#rgb`.
    pub color: String,
    /// `None`: follow the browser's language when we have it, else English.
    pub language: Option<Language>,
    pub position: Position,
    /// `openOnStart`, or OpenCX's `isOpen`.
    pub open_on_start: bool,
    pub color_scheme: ColorScheme,
    /// A short tone on a new reply (`sound`); off by default.
    pub sound: bool,
    /// `hideOutsideOfficeHours`: no launcher while the org's office hours say the team is away.
    pub hide_outside_office_hours: bool,
    /// Greeting bubbles shown before the first message (`initialMessages`); `None`: the org's own.
    pub initial_messages: Option<Vec<String>>,
    /// Suggested first questions (`initialQuestions`); `None`: the org's own.
    pub initial_questions: Option<Vec<String>>,
    /// Words replaced by the page (`translationOverrides`, `textContent`), in the order given; read them
    /// through [`UiOptions::words_for`].
    pub translation_overrides: Vec<WordOverride>,
    /// OpenCX's `bot`: the name and avatar the greeting bubbles are shown from.
    pub bot: AgentDisplay,
    /// OpenCX's `humanAgent`: its name is shown for an agent's reply that has none (`words`).
    pub human_agent: AgentDisplay,
    /// `openAfterNSeconds`: opens the panel once, this long after start.
    pub open_after_seconds: Option<u32>,
    /// The widget's host element's `z-index` (`zIndex`, or OpenCX's `theme.widgetTrigger.zIndex` /
    /// `theme.widgetContentContainer.zIndex`: the host holds both, so the larger one).
    pub z_index: Option<u32>,
    /// The launcher's distance from the bottom edge, in px (`offset.bottom`, OpenCX's
    /// `theme.widgetTrigger.offset.bottom`).
    pub offset_bottom: Option<u32>,
    /// The launcher's distance from its side edge, in px (`offset.side`, OpenCX's
    /// `theme.widgetTrigger.offset.right` / `.left`, which also pick the side).
    pub offset_side: Option<u32>,
}

impl UiOptions {
    /// The overridden words that apply to the language `code` (`"fr"`), as `(word key, text)`, in the
    /// order to apply them: a later one replaces an earlier one of the same key, so the language's own
    /// come first and those for every language (`textContent`) last.
    pub fn words_for<'a>(&'a self, code: &'a str) -> impl Iterator<Item = (&'static str, &'a str)> {
        let for_language = self.translation_overrides.iter().filter(move |o| {
            o.language
                .as_deref()
                .is_some_and(|tag| primary_subtag(tag).eq_ignore_ascii_case(primary_subtag(code)))
        });
        let for_all = self
            .translation_overrides
            .iter()
            .filter(|o| o.language.is_none());
        for_language
            .chain(for_all)
            .map(|o| (o.key, o.text.as_str()))
    }
}

fn primary_subtag(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or("")
}

/// One word of the widget replaced by the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordOverride {
    /// The language tag it was given under (`translationOverrides.fr`), lowercase; `None`: every language
    /// (`textContent`).
    pub language: Option<String>,
    /// Frontdesk's word key: a field of `i18n::Strings` (`WORD_KEYS`).
    pub key: &'static str,
    pub text: String,
}

/// A name and avatar shown instead of the server's (`bot`, `humanAgent`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentDisplay {
    pub name: Option<String>,
    /// http(s) only.
    pub avatar_url: Option<String>,
}

/// `colorScheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorScheme {
    Light,
    Dark,
    /// Follows the visitor's `prefers-color-scheme`, also when it changes.
    Auto,
}

/// A language the widget has words for (`src/locales/<code>.json`). The order is `ALL`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    French,
    German,
    Spanish,
    /// Brazilian Portuguese.
    Portuguese,
    Italian,
    Dutch,
    Polish,
    Turkish,
    Russian,
    Ukrainian,
    Japanese,
    /// Simplified Chinese.
    Chinese,
    Arabic,
    Hebrew,
    Persian,
}

impl Language {
    /// Every language with its code (ISO 639-1, the name of its file), in the enum's order.
    pub const ALL: &'static [(&'static str, Language)] = &[
        ("en", Language::English),
        ("fr", Language::French),
        ("de", Language::German),
        ("es", Language::Spanish),
        ("pt", Language::Portuguese),
        ("it", Language::Italian),
        ("nl", Language::Dutch),
        ("pl", Language::Polish),
        ("tr", Language::Turkish),
        ("ru", Language::Russian),
        ("uk", Language::Ukrainian),
        ("ja", Language::Japanese),
        ("zh", Language::Chinese),
        ("ar", Language::Arabic),
        ("he", Language::Hebrew),
        ("fa", Language::Persian),
    ];

    /// `fr-CA` → French, `zh-TW` → Chinese, `iw` (Hebrew's old code, which some browsers still send) →
    /// Hebrew; unknown → `None`.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("iw") {
            return Some(Language::Hebrew);
        }
        Language::ALL
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(primary))
            .map(|(_, language)| *language)
    }

    /// The language of the `language` option, else of the browser (`navigator.language`) when the
    /// widget has it, else English.
    pub fn choose(option: Option<Language>, browser: Option<&str>) -> Language {
        option
            .or_else(|| browser.and_then(Language::from_tag))
            .unwrap_or(Language::English)
    }

    /// The locale dates and times are written in: the browser's own (`en-GB`, `fr-CA`: its region's
    /// habits, a 24-hour clock…) when it is this language, else this language's code.
    pub fn date_locale(self, browser: Option<&str>) -> String {
        match browser {
            Some(tag) if Language::from_tag(tag) == Some(self) && !tag.starts_with("iw") => {
                tag.to_owned()
            }
            _ => self.code().to_owned(),
        }
    }

    pub fn code(self) -> &'static str {
        Language::ALL[self as usize].0
    }

    pub fn is_right_to_left(self) -> bool {
        matches!(
            self,
            Language::Arabic | Language::Hebrew | Language::Persian
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Right,
    Left,
}

pub const DEFAULT_COLOR: &str = "#2251d1";

/// What is wrong with one option. The message is written for the site owner reading the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Required,
    Empty,
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    TooLong {
        max: usize,
    },
    UnknownKey {
        suggestion: Option<&'static str>,
        known: &'static [&'static str],
    },
    DataAndToken,
    NotEmail,
    NotHttpUrl,
    SecretKeyInPage,
    NotWidgetToken,
    BadCharacters {
        allowed: &'static str,
    },
    /// A control, bidirectional-control or zero-width character (`frontdesk_protocol::rules`).
    Invisible(char),
    /// A non-ASCII character in an identifier.
    NotAscii {
        found: char,
        allowed: &'static str,
    },
    NotJson,
    NotColor,
    UnknownLanguage,
    NotPosition,
    NotColorScheme,
    /// Our option and its OpenCX name both given (`color` and `theme.primaryColor`).
    BothNames {
        other: &'static str,
    },
    TooMany {
        max: usize,
    },
    NotWholeNumber {
        max: u32,
    },
    UnknownWord {
        suggestion: Option<&'static str>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Required => f.write_str("is required"),
            Problem::Empty => f.write_str("must not be empty"),
            Problem::WrongType { expected, found } => write!(f, "expected {expected}, got {found}"),
            Problem::TooLong { max } => {
                write!(f, "too long (at most {})", crate::text::decimal(*max as i64))
            }
            Problem::UnknownKey { suggestion, known } => {
                f.write_str("unknown option")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                f.write_str("; known options: ")?;
                write_list(f, known.iter().copied())
            }
            Problem::DataAndToken => f.write_str(
                "give either `data` (non-verified) or `token` (verified), not both",
            ),
            Problem::NotEmail => f.write_str("not an email address"),
            Problem::NotHttpUrl => f.write_str("must be an http:// or https:// URL"),
            Problem::SecretKeyInPage => f.write_str(
                "this is your secret key (sk_…): it must never be sent to a browser; use the widget token (wt_…) and rotate the secret key",
            ),
            Problem::NotWidgetToken => {
                f.write_str("not a widget token (expected wt_ followed by letters and digits)")
            }
            Problem::BadCharacters { allowed } => write!(f, "may only contain {allowed}"),
            // The protocol's sentences, not `Invalid`'s whole `Display`: only these two reach the widget.
            Problem::Invisible(found) => rules::describe_invisible(*found, f),
            Problem::NotAscii { found, allowed } => rules::describe_not_ascii(*found, allowed, f),
            Problem::NotJson => f.write_str(
                "must hold only JSON values (no functions, DOM nodes, NaN or Infinity)",
            ),
            Problem::NotColor => f.write_str("expected a hex colour such as \"#2251d1\""),
            Problem::UnknownLanguage => {
                f.write_str("unsupported language; supported: ")?;
                write_list(f, Language::ALL.iter().map(|(code, _)| *code))
            }
            Problem::NotPosition => f.write_str("expected \"right\" or \"left\""),
            Problem::NotColorScheme => f.write_str("expected \"light\", \"dark\" or \"auto\""),
            Problem::BothNames { other } => write!(
                f,
                "given together with `{other}`, which means the same: keep one of them"
            ),
            Problem::TooMany { max } => {
                write!(f, "too many items (at most {})", crate::text::decimal(*max as i64))
            }
            Problem::NotWholeNumber { max } => write!(
                f,
                "expected a whole number from 0 to {}",
                crate::text::decimal(i64::from(*max))
            ),
            Problem::UnknownWord { suggestion } => {
                f.write_str("unknown word")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                f.write_str("; the words are the keys of the README's \"Words\" list")
            }
        }
    }
}

/// `a, b, c`, written straight to `f`: `join` would bring its own copy routine into the wasm.
fn write_list<'a>(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = &'a str>) -> fmt::Result {
    for (index, item) in items.enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        f.write_str(item)?;
    }
    Ok(())
}

/// An option that cannot be used: `options.user.data.email: not an email address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub problem: Problem,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn error(path: &str, problem: Problem) -> ConfigError {
    ConfigError {
        path: path.to_owned(),
        problem,
    }
}

/// Parses the value passed to `init`.
pub fn parse(options: &Value) -> Result<Config, ConfigError> {
    let entries = object(options, "options")?;
    let mut unhonoured = Vec::new();
    check_keys_with(
        entries,
        "options",
        TOP_LEVEL_KEYS,
        opencx::UNHONOURED,
        &mut unhonoured,
    )?;

    let widget_token = widget_token(options.get("token"))?;
    let api_url = options
        .get("apiUrl")
        .map(|v| http_url(v, "options.apiUrl"))
        .transpose()?
        .map(|url| url.trim_end_matches('/').to_owned());

    let (identity, external_id) = match options.get("user") {
        None => (Identity::Anonymous, None),
        Some(user) => parse_user(user)?,
    };

    let theme = match options.get("theme") {
        None => opencx::Theme::default(),
        Some(theme) => opencx::theme(theme, &mut unhonoured)?,
    };
    let offset = options.get("offset").map(offset).transpose()?;
    let mut translation_overrides = match options.get("translationOverrides") {
        None => Vec::new(),
        Some(v) => translation_overrides(v, &mut unhonoured)?,
    };
    if let Some(v) = options.get("textContent") {
        opencx::text_content(v, &mut translation_overrides, &mut unhonoured)?;
    }
    if translation_overrides.len() > MAX_WORD_OVERRIDES {
        return Err(error(
            "options.translationOverrides",
            Problem::TooMany {
                max: MAX_WORD_OVERRIDES,
            },
        ));
    }

    let ui = UiOptions {
        color: match (options.get("color"), theme.primary_color) {
            (Some(_), Some(_)) => return Err(both_names("options.color", "theme.primaryColor")),
            (Some(v), None) => color(v, "options.color")?,
            (None, Some(primary)) => primary,
            (None, None) => DEFAULT_COLOR.to_owned(),
        },
        language: options
            .get("language")
            .map(|v| {
                let tag = string(v, "options.language", 35)?;
                Language::from_tag(tag).ok_or(error("options.language", Problem::UnknownLanguage))
            })
            .transpose()?,
        // `position` wins over the side OpenCX's `theme.widgetTrigger.offset.left` implies.
        position: match options.get("position") {
            None => theme.side.unwrap_or(Position::Right),
            Some(v) => match string(v, "options.position", 16)? {
                "right" => Position::Right,
                "left" => Position::Left,
                _ => return Err(error("options.position", Problem::NotPosition)),
            },
        },
        open_on_start: match (options.get("openOnStart"), options.get("isOpen")) {
            (Some(_), Some(_)) => return Err(both_names("options.openOnStart", "isOpen")),
            (Some(v), None) => boolean(v, "options.openOnStart")?,
            (None, Some(v)) => boolean(v, "options.isOpen")?,
            (None, None) => false,
        },
        color_scheme: match options.get("colorScheme") {
            None => ColorScheme::Light,
            Some(v) => match string(v, "options.colorScheme", 16)? {
                "light" => ColorScheme::Light,
                "dark" => ColorScheme::Dark,
                "auto" => ColorScheme::Auto,
                _ => return Err(error("options.colorScheme", Problem::NotColorScheme)),
            },
        },
        sound: optional_boolean(options.get("sound"), "options.sound")?,
        hide_outside_office_hours: optional_boolean(
            options.get("hideOutsideOfficeHours"),
            "options.hideOutsideOfficeHours",
        )?,
        initial_messages: options
            .get("initialMessages")
            .map(|v| {
                texts(
                    v,
                    "options.initialMessages",
                    MAX_INITIAL_MESSAGES,
                    MAX_INITIAL_MESSAGE_CHARS,
                )
            })
            .transpose()?,
        initial_questions: options
            .get("initialQuestions")
            .map(|v| {
                texts(
                    v,
                    "options.initialQuestions",
                    MAX_INITIAL_QUESTIONS,
                    MAX_INITIAL_QUESTION_CHARS,
                )
            })
            .transpose()?,
        translation_overrides,
        bot: options
            .get("bot")
            .map(|v| agent_display(v, "options.bot", &mut unhonoured))
            .transpose()?
            .unwrap_or_default(),
        human_agent: options
            .get("humanAgent")
            .map(|v| agent_display(v, "options.humanAgent", &mut unhonoured))
            .transpose()?
            .unwrap_or_default(),
        open_after_seconds: options
            .get("openAfterNSeconds")
            .map(|v| whole_number(v, "options.openAfterNSeconds", MAX_OPEN_AFTER_SECONDS))
            .transpose()?,
        z_index: match (options.get("zIndex"), theme.z_index) {
            (Some(_), Some(_)) => {
                return Err(both_names("options.zIndex", "theme.widgetTrigger.zIndex"))
            }
            (Some(v), None) => Some(whole_number(v, "options.zIndex", MAX_Z_INDEX)?),
            (None, from_theme) => from_theme,
        },
        offset_bottom: None,
        offset_side: None,
    };
    let (offset_bottom, offset_side) = match (offset, theme.offset) {
        (Some(_), Some(_)) => {
            return Err(both_names("options.offset", "theme.widgetTrigger.offset"))
        }
        (Some(ours), None) => ours,
        (None, Some(theirs)) => theirs,
        (None, None) => (None, None),
    };

    Ok(Config {
        unhonoured,
        widget_token,
        api_url,
        identity,
        external_id,
        ui: UiOptions {
            offset_bottom,
            offset_side,
            ..ui
        },
    })
}

impl Config {
    /// The one console warning for the OpenCX options that have no effect here; `None` when there are none.
    pub fn unhonoured_warning(&self) -> Option<String> {
        if self.unhonoured.is_empty() {
            return None;
        }
        let mut warning = String::from(
            "Frontdesk: these OpenCX options have no equivalent in Frontdesk and are ignored: ",
        );
        for (index, path) in self.unhonoured.iter().enumerate() {
            if index > 0 {
                warning.push_str(", ");
            }
            warning.push_str(path);
        }
        Some(warning)
    }
}

fn both_names(path: &str, other: &'static str) -> ConfigError {
    error(path, Problem::BothNames { other })
}

/// `offset: { bottom, side }`, in px.
fn offset(value: &Value) -> Result<(Option<u32>, Option<u32>), ConfigError> {
    let entries = object(value, "options.offset")?;
    check_keys(entries, "options.offset", &["bottom", "side"])?;
    let px = |key: &str, path: &str| {
        value
            .get(key)
            .map(|v| whole_number(v, path, MAX_OFFSET_PX))
            .transpose()
    };
    Ok((
        px("bottom", "options.offset.bottom")?,
        px("side", "options.offset.side")?,
    ))
}

/// `translationOverrides: { [language tag]: { [word]: text } }`, OpenCX's shape; a word is Frontdesk's
/// key or one of OpenCX's (`opencx::WORDS`).
fn translation_overrides(
    value: &Value,
    unhonoured: &mut Vec<String>,
) -> Result<Vec<WordOverride>, ConfigError> {
    let mut overrides = Vec::new();
    for (tag, words) in object(value, "options.translationOverrides")? {
        let path = format!("options.translationOverrides.{tag}");
        let well_formed = !tag.is_empty()
            && tag.len() <= 35
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(ConfigError {
                path,
                problem: Problem::BadCharacters {
                    allowed: "a language tag such as \"fr\" or \"pt-BR\"",
                },
            });
        }
        if matches!(words, Value::Null) {
            continue;
        }
        for (word, text) in object(words, &path)? {
            let word_path = format!("{path}.{word}");
            if matches!(text, Value::Null) {
                continue;
            }
            let key = match word_key(word) {
                Ok(key) => key,
                Err(opencx::Word::Unhonoured) => {
                    unhonoured.push(word_path);
                    continue;
                }
                Err(opencx::Word::Unknown) => {
                    return Err(ConfigError {
                        path: word_path,
                        problem: Problem::UnknownWord {
                            suggestion: closest(word, WORD_KEYS),
                        },
                    })
                }
            };
            overrides.push(WordOverride {
                language: Some(tag.to_ascii_lowercase()),
                key,
                text: word_text(text, &word_path)?,
            });
        }
    }
    Ok(overrides)
}

/// Frontdesk's key for a word named by either its Frontdesk key or its OpenCX key.
fn word_key(word: &str) -> Result<&'static str, opencx::Word> {
    if let Some(key) = WORD_KEYS.iter().find(|k| **k == word) {
        return Ok(key);
    }
    match opencx::WORDS.iter().find(|(theirs, _)| *theirs == word) {
        Some((_, Some(ours))) => Ok(ours),
        Some((_, None)) => Err(opencx::Word::Unhonoured),
        None => Err(opencx::Word::Unknown),
    }
}

/// One overridden word: text on one line, no invisible characters that could disguise it.
fn word_text(value: &Value, path: &str) -> Result<String, ConfigError> {
    let text = string(value, path, MAX_WORD_CHARS)?;
    rules::label(text, MAX_WORD_CHARS)
        .map(str::to_owned)
        .map_err(|e| error(path, problem(e)))
}

/// The keys of the widget's words (the fields of `i18n::Strings`, which are also the keys of the language
/// files): what `translationOverrides` may replace.
pub const WORD_KEYS: &[&str] = &[
    "open_chat",
    "close_chat",
    "title",
    "greeting",
    "message",
    "send",
    "new_conversation",
    "earlier_conversations",
    "back",
    "no_conversations",
    "you",
    "support",
    "pending",
    "failed_retry",
    "unavailable",
    "new_reply",
    "unread",
    "too_long",
    "resolved",
    "resolved_by",
    "you_ended",
    "reopened",
    "you_rated",
    "of_five",
    "is_typing",
    "seen",
    "end_chat",
    "end_confirm",
    "end",
    "cancel",
    "rate_question",
    "comment",
    "send_rating",
    "thanks",
    "attach",
    "remove",
    "uploading",
    "file_too_large",
    "file_type_refused",
    "too_many_files",
    "file_empty",
    "waiting_online",
    "retry_online",
    "replies_soon",
    "back_at",
    "away",
    "leave_email_prompt",
    "your_email",
    "save_email",
    "email_saved",
    "email_invalid",
    "suggested_questions",
    "unread_title",
];

/// A list of short texts (`initialMessages`, `initialQuestions`): at most `max_items`, each 1–`max_chars`
/// characters, not blank.
fn texts(
    value: &Value,
    path: &str,
    max_items: usize,
    max_chars: usize,
) -> Result<Vec<String>, ConfigError> {
    let Value::Array(items) = value else {
        return Err(error(
            path,
            Problem::WrongType {
                expected: "an array of strings",
                found: value.kind(),
            },
        ));
    };
    if items.len() > max_items {
        return Err(error(path, Problem::TooMany { max: max_items }));
    }
    let mut texts = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        // `decimal`, not `{index}`: integer formatting would bring its own code into the wasm.
        let item_path = format!("{path}[{}]", crate::text::decimal(index as i64));
        let text = string(item, &item_path, max_chars)?;
        let text = rules::message(text).map_err(|e| error(&item_path, problem(e)))?;
        texts.push(text.to_owned());
    }
    Ok(texts)
}

/// `bot` / `humanAgent`: `{ name, avatarUrl }` (and OpenCX's deprecated `avatar` for `avatarUrl`).
fn agent_display(
    value: &Value,
    path: &str,
    unhonoured: &mut Vec<String>,
) -> Result<AgentDisplay, ConfigError> {
    let entries = object(value, path)?;
    check_keys_with(
        entries,
        path,
        &["name", "avatarUrl", "avatar"],
        opencx::AGENT_UNHONOURED,
        unhonoured,
    )?;
    let name = value
        .get("name")
        .map(|v| {
            let name_path = format!("{path}.name");
            let name = string(v, &name_path, MAX_NAME_CHARS)?;
            rules::name(name)
                .map(str::to_owned)
                .map_err(|e| error(&name_path, problem(e)))
        })
        .transpose()?;
    let avatar_url = match (value.get("avatarUrl"), value.get("avatar")) {
        (Some(_), Some(_)) => return Err(both_names(&format!("{path}.avatarUrl"), "avatar")),
        (Some(v), None) => Some(http_url(v, &format!("{path}.avatarUrl"))?),
        (None, Some(v)) => Some(http_url(v, &format!("{path}.avatar"))?),
        (None, None) => None,
    };
    Ok(AgentDisplay { name, avatar_url })
}

fn boolean(value: &Value, path: &str) -> Result<bool, ConfigError> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(error(
            path,
            Problem::WrongType {
                expected: "a boolean",
                found: other.kind(),
            },
        )),
    }
}

fn optional_boolean(value: Option<&Value>, path: &str) -> Result<bool, ConfigError> {
    value.map_or(Ok(false), |v| boolean(v, path))
}

/// A whole number from 0 to `max`, read from its JavaScript text (no float parsing in the wasm).
fn whole_number(value: &Value, path: &str, max: u32) -> Result<u32, ConfigError> {
    match value {
        Value::Number(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or(error(path, Problem::NotWholeNumber { max })),
        other => Err(error(
            path,
            Problem::WrongType {
                expected: "a number",
                found: other.kind(),
            },
        )),
    }
}

/// `user` (of `init`'s options, or `updateUser`'s argument): the identity and the workspace.
pub fn parse_user(user: &Value) -> Result<(Identity, Option<String>), ConfigError> {
    let entries = object(user, "options.user")?;
    check_keys(entries, "options.user", USER_KEYS)?;

    let external_id = user
        .get("externalId")
        .map(|v| external_id(v, "options.user.externalId"))
        .transpose()?;

    let identity = match (user.get("data"), user.get("token")) {
        (Some(_), Some(_)) => return Err(error("options.user", Problem::DataAndToken)),
        (Some(data), None) => Identity::NonVerified(visitor_data(data)?),
        (None, Some(Value::Function)) => Identity::Verified(TokenSource::Function),
        (None, Some(token)) => {
            let token = string(token, "options.user.token", MAX_USER_TOKEN_CHARS).map_err(|e| {
                match e.problem {
                    Problem::WrongType { found, .. } => error(
                        "options.user.token",
                        Problem::WrongType {
                            expected: "a string or a function returning one",
                            found,
                        },
                    ),
                    _ => e,
                }
            })?;
            if !token.chars().all(|c| c.is_ascii_graphic()) {
                return Err(error(
                    "options.user.token",
                    Problem::BadCharacters {
                        allowed: "the characters of a token from /widget/authenticate-user",
                    },
                ));
            }
            Identity::Verified(TokenSource::Static(token.to_owned()))
        }
        (None, None) => Identity::Anonymous,
    };
    Ok((identity, external_id))
}

fn visitor_data(data: &Value) -> Result<VisitorData, ConfigError> {
    let entries = object(data, "options.user.data")?;
    check_keys(entries, "options.user.data", USER_DATA_KEYS)?;

    let name = data
        .get("name")
        .map(|v| {
            let path = "options.user.data.name";
            let name = string(v, path, MAX_NAME_CHARS)?;
            rules::name(name)
                .map(str::to_owned)
                .map_err(|e| error(path, problem(e)))
        })
        .transpose()?;
    let email = data
        .get("email")
        .map(|v| {
            let path = "options.user.data.email";
            let email = string(v, path, MAX_EMAIL_CHARS)?.trim();
            // Sent as the page gave it: the server stores the rule's canonical form.
            rules::email(email)
                .map(|_| email.to_owned())
                .map_err(|e| error(path, problem(e)))
        })
        .transpose()?;
    let avatar_url = data
        .get("avatarUrl")
        .map(|v| http_url(v, "options.user.data.avatarUrl"))
        .transpose()?;
    let custom_data = data
        .get("customData")
        .map(|v| {
            let path = "options.user.data.customData";
            object(v, path)?;
            let json = v.to_json().ok_or(error(path, Problem::NotJson))?;
            if json.len() > MAX_CUSTOM_DATA_BYTES {
                return Err(error(
                    path,
                    Problem::TooLong {
                        max: MAX_CUSTOM_DATA_BYTES,
                    },
                ));
            }
            Ok(json)
        })
        .transpose()?;

    Ok(VisitorData {
        name,
        email,
        avatar_url,
        custom_data,
    })
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a [(String, Value)], ConfigError> {
    match value {
        Value::Object(entries) => Ok(entries),
        other => Err(error(
            path,
            Problem::WrongType {
                expected: "an object",
                found: other.kind(),
            },
        )),
    }
}

fn check_keys(
    entries: &[(String, Value)],
    path: &str,
    known: &'static [&'static str],
) -> Result<(), ConfigError> {
    check_keys_with(entries, path, known, &[], &mut Vec::new())
}

/// Refuses a key neither `known` nor `unhonoured` (OpenCX's options that have no effect here), naming its
/// path; records the unhonoured ones given (not null) in `found`.
fn check_keys_with(
    entries: &[(String, Value)],
    path: &str,
    known: &'static [&'static str],
    unhonoured: &'static [&'static str],
    found: &mut Vec<String>,
) -> Result<(), ConfigError> {
    for (key, value) in entries {
        if known.contains(&key.as_str()) {
            continue;
        }
        if unhonoured.contains(&key.as_str()) {
            if !matches!(value, Value::Null) {
                found.push(format!("{path}.{key}"));
            }
            continue;
        }
        return Err(ConfigError {
            path: format!("{path}.{key}"),
            problem: Problem::UnknownKey {
                suggestion: closest(key, known).or_else(|| closest(key, unhonoured)),
                known,
            },
        });
    }
    Ok(())
}

/// The known key a typo most likely meant: one edit away, or the same ignoring case.
fn closest(key: &str, known: &'static [&'static str]) -> Option<&'static str> {
    known
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(key) || edit_distance(k, key) <= 1 + key.len() / 6)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn string<'a>(value: &'a Value, path: &str, max_chars: usize) -> Result<&'a str, ConfigError> {
    match value {
        Value::String(s) if s.trim().is_empty() => Err(error(path, Problem::Empty)),
        Value::String(s) if s.chars().count() > max_chars => {
            Err(error(path, Problem::TooLong { max: max_chars }))
        }
        Value::String(s) => Ok(s),
        other => Err(error(
            path,
            Problem::WrongType {
                expected: "a string",
                found: other.kind(),
            },
        )),
    }
}

fn widget_token(value: Option<&Value>) -> Result<String, ConfigError> {
    let path = "options.token";
    let token = string(
        value.ok_or(error(path, Problem::Required))?,
        path,
        MAX_WIDGET_TOKEN_CHARS,
    )?;
    if token.starts_with("sk_") {
        return Err(error(path, Problem::SecretKeyInPage));
    }
    let well_formed = token.strip_prefix("wt_").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if !well_formed {
        return Err(error(path, Problem::NotWidgetToken));
    }
    Ok(token.to_owned())
}

fn external_id(value: &Value, path: &str) -> Result<String, ConfigError> {
    let id = string(value, path, MAX_EXTERNAL_ID_CHARS)?;
    rules::external_id(id)
        .map(str::to_owned)
        .map_err(|e| error(path, problem(e)))
}

/// A protocol rule's refusal in the words of the other options' errors.
fn problem(invalid: Invalid) -> Problem {
    match invalid {
        Invalid::Empty => Problem::Empty,
        Invalid::TooLong { max } => Problem::TooLong { max },
        Invalid::BadCharacter { allowed } => Problem::BadCharacters { allowed },
        Invalid::Invisible { found } => Problem::Invisible(found),
        Invalid::NotAscii { found, allowed } => Problem::NotAscii { found, allowed },
        Invalid::NotAnEmail => Problem::NotEmail,
        // Not among the answers of the three rules called here (email, name, external id); a catch-all
        // keeps `Invalid`'s whole `Display` out of the wasm.
        _ => Problem::NotEmail,
    }
}

fn http_url(value: &Value, path: &str) -> Result<String, ConfigError> {
    let url = string(value, path, MAX_URL_CHARS)?.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return Err(error(path, Problem::NotHttpUrl));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let clean = url.chars().all(|c| !c.is_whitespace() && !c.is_control());
    if host.is_empty() || host.starts_with(':') || !clean {
        return Err(error(path, Problem::NotHttpUrl));
    }
    Ok(url.to_owned())
}

fn color(value: &Value, path: &str) -> Result<String, ConfigError> {
    // The length bound only stops absurd input; a wrong value of any sane length gets the useful message.
    let text = string(value, path, 32)?;
    let digits = text.strip_prefix('#').unwrap_or("");
    if matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(error(path, Problem::NotColor))
    }
}

mod opencx;
#[cfg(test)]
mod tests;
