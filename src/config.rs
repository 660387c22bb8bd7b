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

const TOP_LEVEL_KEYS: &[&str] = &[
    "token",
    "apiUrl",
    "user",
    "color",
    "language",
    "position",
    "openOnStart",
];
const USER_KEYS: &[&str] = &["data", "token", "externalId"];
const USER_DATA_KEYS: &[&str] = &["name", "email", "avatarUrl", "customData"];

/// Options after parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
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
    pub open_on_start: bool,
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
    check_keys(entries, "options", TOP_LEVEL_KEYS)?;

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

    let ui = UiOptions {
        color: match options.get("color") {
            None => DEFAULT_COLOR.to_owned(),
            Some(v) => color(v, "options.color")?,
        },
        language: options
            .get("language")
            .map(|v| {
                let tag = string(v, "options.language", 35)?;
                Language::from_tag(tag).ok_or(error("options.language", Problem::UnknownLanguage))
            })
            .transpose()?,
        position: match options.get("position") {
            None => Position::Right,
            Some(v) => match string(v, "options.position", 16)? {
                "right" => Position::Right,
                "left" => Position::Left,
                _ => return Err(error("options.position", Problem::NotPosition)),
            },
        },
        open_on_start: match options.get("openOnStart") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(error(
                    "options.openOnStart",
                    Problem::WrongType {
                        expected: "a boolean",
                        found: other.kind(),
                    },
                ))
            }
        },
    };

    Ok(Config {
        widget_token,
        api_url,
        identity,
        external_id,
        ui,
    })
}

fn parse_user(user: &Value) -> Result<(Identity, Option<String>), ConfigError> {
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
    match entries.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some((key, _)) => Err(ConfigError {
            path: format!("{path}.{key}"),
            problem: Problem::UnknownKey {
                suggestion: closest(key, known),
                known,
            },
        }),
    }
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

#[cfg(test)]
mod tests;
