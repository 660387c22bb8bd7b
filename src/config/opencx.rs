//! OpenCX's widget options (its `WidgetConfig`), so a config written for OpenCX's `initOpenScript` works
//! as-is: the ones Frontdesk has an equivalent for are mapped to it, the ones it cannot honour (React
//! components, AI actions' headers, its own screens) are listed here, accepted and named in one warning.
//! Anything else is still an unknown option, refused with its path.

use super::{
    both_names, check_keys, check_keys_with, color, object, whole_number, word_text, ConfigError,
    Position, WordOverride, MAX_OFFSET_PX, MAX_Z_INDEX,
};
use crate::value::Value;

/// Top-level OpenCX options with no effect in Frontdesk. What they do there, and why not here: README's
/// "Coming from OpenCX".
pub const UNHONOURED: &[&str] = &[
    // Its own screens, stylesheet and React components.
    "cssOverrides",
    "disableTooltips",
    "assets",
    "chatBannerItems",
    "advancedInitialMessages",
    "initialQuestionsPosition",
    "chatFooterItems",
    "collectUserData",
    "prefillUserData",
    "extraDataCollectionFields",
    "headerButtons",
    "modesComponents",
    "customComponents",
    "router",
    "oneOpenSessionAllowed",
    "anchorTarget",
    "inline",
    "thisWasHelpfulOrNot",
    "timestamps",
    // What its AI's HTTP actions and its sessions carry.
    "headers",
    "queryParams",
    "bodyProperties",
    "context",
    "messageCustomData",
    "sessionCustomData",
    // Older names its API reference still shows.
    "debug",
    "pathParams",
    "contactToken",
    "settings",
    "soundEffectFiles",
];

/// `bot` / `humanAgent` keys of OpenCX's `Agent` with no effect here.
pub const AGENT_UNHONOURED: &[&str] = &["id", "isAi", "is_ai"];

/// OpenCX's translation keys → Frontdesk's word keys; `None`: no such word in Frontdesk (its welcome form,
/// AI feedback buttons).
pub const WORDS: &[(&str, Option<&str>)] = &[
    ("write_a_message_placeholder", Some("message")),
    ("new_conversation", Some("new_conversation")),
    ("back_to_conversations", Some("back")),
    ("no_conversations_yet", Some("no_conversations")),
    ("welcome_screen_title", Some("greeting")),
    ("your_issue_has_been_resolved", None),
    ("closed_conversations", None),
    ("i_need_more_help", None),
    ("this_was_helpful", None),
    ("welcome_screen_description", None),
    ("your_name_placeholder", None),
    ("your_email_placeholder", None),
    ("optional", None),
    ("start_chat_button", None),
    ("start_chat_button_loading", None),
];

/// Why a word key is not one of Frontdesk's.
pub enum Word {
    Unhonoured,
    Unknown,
}

/// What Frontdesk takes from `theme`.
#[derive(Default)]
pub struct Theme {
    pub primary_color: Option<String>,
    /// The larger of `widgetTrigger.zIndex` and `widgetContentContainer.zIndex`.
    pub z_index: Option<u32>,
    /// `widgetTrigger.offset` as (bottom, side).
    pub offset: Option<(Option<u32>, Option<u32>)>,
    /// `left` given as a number (and `right` not): the launcher goes to the left.
    pub side: Option<Position>,
}

const THEME_KEYS: &[&str] = &["primaryColor", "widgetTrigger", "widgetContentContainer"];
const THEME_UNHONOURED: &[&str] = &["palette", "screens", "triggerOffset"];
const TRIGGER_KEYS: &[&str] = &["zIndex", "offset"];
const TRIGGER_UNHONOURED: &[&str] = &["size"];
const TRIGGER_OFFSET_KEYS: &[&str] = &["bottom", "right", "left"];
const CONTENT_KEYS: &[&str] = &["zIndex"];
const CONTENT_UNHONOURED: &[&str] = &[
    "offset",
    "outline",
    "outlineColor",
    "borderRadius",
    "boxShadow",
    "transitionProperty",
    "transitionTimingFunction",
    "transitionDuration",
];

/// `theme`: OpenCX's object (Frontdesk's own colour is `color`, its own scheme `colorScheme`).
pub fn theme(value: &Value, unhonoured: &mut Vec<String>) -> Result<Theme, ConfigError> {
    let entries = object(value, "options.theme")?;
    check_keys_with(
        entries,
        "options.theme",
        THEME_KEYS,
        THEME_UNHONOURED,
        unhonoured,
    )?;
    let mut theme = Theme {
        primary_color: value
            .get("primaryColor")
            .map(|v| color(v, "options.theme.primaryColor"))
            .transpose()?,
        ..Theme::default()
    };
    let mut z_index = |v: &Value, path: &str| -> Result<(), ConfigError> {
        let z = whole_number(v, path, MAX_Z_INDEX)?;
        theme.z_index = Some(theme.z_index.map_or(z, |other| other.max(z)));
        Ok(())
    };
    if let Some(trigger) = value.get("widgetTrigger") {
        let path = "options.theme.widgetTrigger";
        check_keys_with(
            object(trigger, path)?,
            path,
            TRIGGER_KEYS,
            TRIGGER_UNHONOURED,
            unhonoured,
        )?;
        if let Some(v) = trigger.get("zIndex") {
            z_index(v, "options.theme.widgetTrigger.zIndex")?;
        }
        if let Some(offset) = trigger.get("offset") {
            let path = "options.theme.widgetTrigger.offset";
            check_keys(object(offset, path)?, path, TRIGGER_OFFSET_KEYS)?;
            let bottom = offset
                .get("bottom")
                .map(|v| {
                    whole_number(
                        v,
                        "options.theme.widgetTrigger.offset.bottom",
                        MAX_OFFSET_PX,
                    )
                })
                .transpose()?;
            let right = side_offset(
                offset.get("right"),
                "options.theme.widgetTrigger.offset.right",
            )?;
            let left = side_offset(
                offset.get("left"),
                "options.theme.widgetTrigger.offset.left",
            )?;
            let side = match (right, left) {
                (Some(_), Some(_)) => {
                    return Err(both_names(
                        "options.theme.widgetTrigger.offset.right",
                        "left",
                    ))
                }
                (None, Some(px)) => {
                    theme.side = Some(Position::Left);
                    Some(px)
                }
                (right, None) => right,
            };
            theme.offset = Some((bottom, side));
        }
    }
    if let Some(content) = value.get("widgetContentContainer") {
        let path = "options.theme.widgetContentContainer";
        check_keys_with(
            object(content, path)?,
            path,
            CONTENT_KEYS,
            CONTENT_UNHONOURED,
            unhonoured,
        )?;
        if let Some(v) = content.get("zIndex") {
            z_index(v, "options.theme.widgetContentContainer.zIndex")?;
        }
    }
    Ok(theme)
}

/// `right` / `left`: px, or OpenCX's `"initial"` (not set).
fn side_offset(value: Option<&Value>, path: &str) -> Result<Option<u32>, ConfigError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) if s == "initial" => Ok(None),
        Some(v) => whole_number(v, path, MAX_OFFSET_PX).map(Some),
    }
}

/// `textContent`'s titles, as words for every language: `chatScreen.headerTitle` → `title`,
/// `sessionsScreen.headerTitle` → `earlier_conversations`, `welcomeScreen.title` → `greeting`.
pub fn text_content(
    value: &Value,
    overrides: &mut Vec<WordOverride>,
    unhonoured: &mut Vec<String>,
) -> Result<(), ConfigError> {
    // (screen, its title's key, its keys with no effect here, Frontdesk's word for the title)
    const SCREENS: [(&str, &[&str], &[&str], &str); 3] = [
        ("welcomeScreen", &["title"], &["description"], "greeting"),
        (
            "sessionsScreen",
            &["headerTitle"],
            &[],
            "earlier_conversations",
        ),
        ("chatScreen", &["headerTitle"], &[], "title"),
    ];
    let entries = object(value, "options.textContent")?;
    check_keys(
        entries,
        "options.textContent",
        &["welcomeScreen", "sessionsScreen", "chatScreen"],
    )?;
    for (screen, known, not_here, word) in SCREENS {
        let Some(texts) = value.get(screen) else {
            continue;
        };
        let path = format!("options.textContent.{screen}");
        check_keys_with(object(texts, &path)?, &path, known, not_here, unhonoured)?;
        if let Some(text) = texts.get(known[0]) {
            overrides.push(WordOverride {
                language: None,
                key: word,
                text: word_text(text, &format!("{path}.{}", known[0]))?,
            });
        }
    }
    Ok(())
}
