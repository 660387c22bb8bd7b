use super::*;
use serde_json::json;

use crate::value::from_json as value;

fn message(json: serde_json::Value) -> String {
    parse(&value(json)).unwrap_err().to_string()
}

const TOKEN: &str = "wt_0123456789abcdef";

#[test]
fn minimal_options_are_an_anonymous_visitor_with_defaults() {
    let config = parse(&value(json!({ "token": TOKEN }))).unwrap();
    assert_eq!(config.widget_token, TOKEN);
    assert_eq!(config.identity, Identity::Anonymous);
    assert_eq!(config.external_id, None);
    assert_eq!(config.api_url, None);
    assert_eq!(config.ui.color, DEFAULT_COLOR);
    assert_eq!(config.ui.position, Position::Right);
    assert!(!config.ui.open_on_start);
}

#[test]
fn full_non_verified_options() {
    let config = parse(&value(json!({
        "token": TOKEN,
        "apiUrl": "https://chat.example.com/",
        "user": {
            "data": { "name": " John Doe ", "email": "john@doe.com",
                      "avatarUrl": "https://example.com/a.png", "customData": { "plan": "pro", "seats": 3 } },
            "externalId": "workspace_42"
        },
        "color": "#AABBCC", "language": "fr-CA", "position": "left", "openOnStart": true
    })))
    .unwrap();
    assert_eq!(config.api_url.as_deref(), Some("https://chat.example.com"));
    assert_eq!(config.external_id.as_deref(), Some("workspace_42"));
    assert_eq!(
        config.identity,
        Identity::NonVerified(VisitorData {
            name: Some("John Doe".into()),
            email: Some("john@doe.com".into()),
            avatar_url: Some("https://example.com/a.png".into()),
            custom_data: Some(r#"{"plan":"pro","seats":3}"#.into()),
        })
    );
    assert_eq!(config.ui.color, "#aabbcc");
    assert_eq!(config.ui.language, Some(Language::French));
    assert_eq!(config.ui.position, Position::Left);
    assert!(config.ui.open_on_start);
}

#[test]
fn verified_token_string_and_function() {
    let config = parse(&value(
        json!({ "token": TOKEN, "user": { "token": "fdu1.abc.def" } }),
    ))
    .unwrap();
    assert_eq!(
        config.identity,
        Identity::Verified(TokenSource::Static("fdu1.abc.def".into()))
    );

    let options = Value::Object(vec![
        ("token".into(), Value::String(TOKEN.into())),
        (
            "user".into(),
            Value::Object(vec![("token".into(), Value::Function)]),
        ),
    ]);
    assert_eq!(
        parse(&options).unwrap().identity,
        Identity::Verified(TokenSource::Function)
    );
}

#[test]
fn undefined_and_null_options_count_as_absent() {
    let config = parse(&value(
        json!({ "token": TOKEN, "user": null, "apiUrl": null }),
    ))
    .unwrap();
    assert_eq!(config.identity, Identity::Anonymous);
}

#[test]
fn options_must_be_an_object() {
    assert_eq!(
        parse(&Value::Null).unwrap_err().to_string(),
        "options: expected an object, got null"
    );
    assert_eq!(
        message(json!("wt_x")),
        "options: expected an object, got a string"
    );
}

#[test]
fn widget_token_rules() {
    assert_eq!(message(json!({})), "options.token: is required");
    assert_eq!(
        message(json!({ "token": "" })),
        "options.token: must not be empty"
    );
    assert_eq!(
        message(json!({ "token": "   " })),
        "options.token: must not be empty"
    );
    assert_eq!(
        message(json!({ "token": 42 })),
        "options.token: expected a string, got a number"
    );
    assert!(message(json!({ "token": "abc" })).starts_with("options.token: not a widget token"));
    assert!(
        message(json!({ "token": "wt_<script>" })).starts_with("options.token: not a widget token")
    );
    assert!(message(json!({ "token": "sk_123" })).contains("secret key"));
    let long = format!("wt_{}", "a".repeat(200));
    assert_eq!(
        message(json!({ "token": long })),
        "options.token: too long (at most 128)"
    );
}

#[test]
fn data_and_token_together_are_refused() {
    assert_eq!(
        message(json!({ "token": TOKEN, "user": { "data": { "name": "A" }, "token": "t" } })),
        "options.user: give either `data` (non-verified) or `token` (verified), not both"
    );
}

#[test]
fn unknown_keys_at_every_level_name_the_path_and_suggest() {
    let top = message(json!({ "token": TOKEN, "tokn": "x" }));
    assert!(
        top.starts_with("options.tokn: unknown option (did you mean `token`?)"),
        "{top}"
    );
    let user = message(json!({ "token": TOKEN, "user": { "externalID": "a" } }));
    assert!(
        user.starts_with("options.user.externalID: unknown option (did you mean `externalId`?)"),
        "{user}"
    );
    let data =
        message(json!({ "token": TOKEN, "user": { "data": { "avatar_url": "https://a.b/c" } } }));
    assert!(
        data.starts_with(
            "options.user.data.avatar_url: unknown option (did you mean `avatarUrl`?)"
        ),
        "{data}"
    );
    let far = message(json!({ "token": TOKEN, "somethingElse": 1 }));
    assert!(
        far.starts_with("options.somethingElse: unknown option; known options: token, apiUrl"),
        "{far}"
    );
}

#[test]
fn custom_data_must_be_a_json_object() {
    let path = |v: serde_json::Value| {
        message(json!({ "token": TOKEN, "user": { "data": { "customData": v } } }))
    };
    assert_eq!(
        path(json!("pro")),
        "options.user.data.customData: expected an object, got a string"
    );
    assert_eq!(
        path(json!([1])),
        "options.user.data.customData: expected an object, got an array"
    );
    let big = json!({ "blob": "x".repeat(MAX_CUSTOM_DATA_BYTES) });
    assert_eq!(
        path(big),
        "options.user.data.customData: too long (at most 8192)"
    );

    let with_function = Value::Object(vec![
        ("token".into(), Value::String(TOKEN.into())),
        (
            "user".into(),
            Value::Object(vec![(
                "data".into(),
                Value::Object(vec![(
                    "customData".into(),
                    Value::Object(vec![("f".into(), Value::Function)]),
                )]),
            )]),
        ),
    ]);
    assert!(parse(&with_function)
        .unwrap_err()
        .to_string()
        .starts_with("options.user.data.customData: must hold only JSON"));
}

#[test]
fn email_uses_the_protocols_rule() {
    // The rule's cases are tested once, in `frontdesk_protocol::rules`; here only that the option uses it.
    let check =
        |email: &str| message(json!({ "token": TOKEN, "user": { "data": { "email": email } } }));
    for bad in ["john", "a,b@x.com"] {
        assert_eq!(
            check(bad),
            "options.user.data.email: not an email address",
            "{bad}"
        );
    }
    let config = parse(&value(
        json!({ "token": TOKEN, "user": { "data": { "email": " élise@exemple.fr " } } }),
    ))
    .unwrap();
    let Identity::NonVerified(data) = config.identity else {
        panic!("non-verified")
    };
    assert_eq!(data.email.as_deref(), Some("élise@exemple.fr"));
}

#[test]
fn avatar_and_api_urls_must_be_http() {
    let avatar =
        |url: &str| message(json!({ "token": TOKEN, "user": { "data": { "avatarUrl": url } } }));
    for bad in [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "//evil.com/a.png",
        "https://",
        "http:// x.com",
        "ftp://a.b/c",
    ] {
        assert_eq!(
            avatar(bad),
            "options.user.data.avatarUrl: must be an http:// or https:// URL",
            "{bad}"
        );
    }
    assert_eq!(
        message(json!({ "token": TOKEN, "apiUrl": "javascript:alert(1)" })),
        "options.apiUrl: must be an http:// or https:// URL"
    );
    let long = format!("https://a.com/{}", "x".repeat(MAX_URL_CHARS));
    assert_eq!(
        avatar(&long),
        "options.user.data.avatarUrl: too long (at most 2048)"
    );
}

#[test]
fn strings_have_limits_and_must_not_be_blank() {
    let name = |n: String| message(json!({ "token": TOKEN, "user": { "data": { "name": n } } }));
    assert_eq!(
        name("  ".into()),
        "options.user.data.name: must not be empty"
    );
    assert_eq!(
        name("n".repeat(MAX_NAME_CHARS + 1)),
        "options.user.data.name: too long (at most 200)"
    );
    let token = "t".repeat(MAX_USER_TOKEN_CHARS + 1);
    assert_eq!(
        message(json!({ "token": TOKEN, "user": { "token": token } })),
        "options.user.token: too long (at most 4096)"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "user": { "token": 7 } })),
        "options.user.token: expected a string or a function returning one, got a number"
    );
}

#[test]
fn external_id_charset_and_length() {
    let ext =
        |id: serde_json::Value| message(json!({ "token": TOKEN, "user": { "externalId": id } }));
    assert_eq!(ext(json!("")), "options.user.externalId: must not be empty");
    assert_eq!(
        ext(json!("a b")),
        "options.user.externalId: may only contain letters, digits and _ . : @ -"
    );
    assert_eq!(
        ext(json!("ws/../x")),
        "options.user.externalId: may only contain letters, digits and _ . : @ -"
    );
    assert_eq!(
        ext(json!("x".repeat(129))),
        "options.user.externalId: too long (at most 128)"
    );
    assert_eq!(
        ext(json!(42)),
        "options.user.externalId: expected a string, got a number"
    );
    let ok = parse(&value(
        json!({ "token": TOKEN, "user": { "externalId": "org:42@eu-1.a_b" } }),
    ))
    .unwrap();
    assert_eq!(ok.external_id.as_deref(), Some("org:42@eu-1.a_b"));
}

#[test]
fn ui_options_are_checked() {
    assert_eq!(
        message(json!({ "token": TOKEN, "position": "center" })),
        "options.position: expected \"right\" or \"left\""
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "color": "#aabbccdd" })),
        "options.color: expected a hex colour such as \"#2251d1\""
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "color": "blue" })),
        "options.color: expected a hex colour such as \"#2251d1\""
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "position": "top" })),
        "options.position: expected \"right\" or \"left\""
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "language": "xx" })),
        "options.language: unsupported language; supported: en, fr, de, es, pt, it, nl, pl, tr, ru, uk, ja, zh, ar, he, fa"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "openOnStart": "yes" })),
        "options.openOnStart: expected a boolean, got a string"
    );
    assert!(Language::from_tag("ar-EG").unwrap().is_right_to_left());
}

#[test]
fn languages_come_from_the_option_then_the_browser_then_english() {
    for (code, language) in Language::ALL {
        assert_eq!(language.code(), *code, "ALL is in the enum's order");
        assert_eq!(Language::from_tag(&code.to_uppercase()), Some(*language));
    }
    let rtl: Vec<_> = Language::ALL
        .iter()
        .filter(|(_, l)| l.is_right_to_left())
        .map(|(code, _)| *code)
        .collect();
    assert_eq!(rtl, ["ar", "he", "fa"]);
    assert_eq!(Language::from_tag("pt-BR"), Some(Language::Portuguese));
    assert_eq!(Language::from_tag("zh_Hant_TW"), Some(Language::Chinese));
    assert_eq!(Language::from_tag("iw-IL"), Some(Language::Hebrew));
    assert_eq!(Language::from_tag("sw-KE"), None);
    assert_eq!(Language::from_tag(""), None);

    let choose = Language::choose;
    assert_eq!(
        choose(Some(Language::German), Some("ru-RU")),
        Language::German
    );
    assert_eq!(choose(None, Some("ru-RU")), Language::Russian);
    assert_eq!(
        choose(None, Some("sw-KE")),
        Language::English,
        "unsupported browser language"
    );
    assert_eq!(choose(None, None), Language::English);

    assert_eq!(Language::English.date_locale(Some("en-GB")), "en-GB");
    assert_eq!(Language::French.date_locale(Some("en-GB")), "fr");
    assert_eq!(Language::Hebrew.date_locale(Some("iw-IL")), "he");
    assert_eq!(Language::Persian.date_locale(None), "fa");
}

#[test]
fn user_must_be_an_object() {
    assert_eq!(
        message(json!({ "token": TOKEN, "user": "bob" })),
        "options.user: expected an object, got a string"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "user": { "data": 1 } })),
        "options.user.data: expected an object, got a number"
    );
}

#[test]
fn invisible_and_non_ascii_characters_are_named() {
    let data =
        |key: &str, v: &str| message(json!({ "token": TOKEN, "user": { "data": { key: v } } }));
    assert_eq!(
        data("name", "Kate\u{202E}"),
        "options.user.data.name: contains U+202E, a bidirectional control character, which is not allowed: it is invisible and can disguise the text"
    );
    assert!(data("email", "\u{200B}kate@x.com")
        .starts_with("options.user.data.email: contains U+200B, a zero-width character"));
    assert_eq!(
        message(json!({ "token": TOKEN, "user": { "externalId": "wś" } })),
        "options.user.externalId: contains U+015B (ś), which is not ASCII; may only contain letters, digits and _ . : @ -"
    );
}

#[test]
fn new_options_default_to_off_and_absent() {
    let ui = parse(&value(json!({ "token": TOKEN }))).unwrap().ui;
    assert_eq!(ui.color_scheme, ColorScheme::Light);
    assert!(!ui.sound && !ui.hide_outside_office_hours);
    assert_eq!(ui.initial_messages, None);
    assert_eq!(ui.initial_questions, None);
    assert!(ui.translation_overrides.is_empty());
    assert_eq!(ui.bot, AgentDisplay::default());
    assert_eq!(ui.human_agent, AgentDisplay::default());
    assert_eq!(
        (
            ui.open_after_seconds,
            ui.z_index,
            ui.offset_bottom,
            ui.offset_side
        ),
        (None, None, None, None)
    );
}

#[test]
fn frontdesk_names_of_the_new_options() {
    let config = parse(&value(json!({
        "token": TOKEN,
        "colorScheme": "auto", "sound": true, "hideOutsideOfficeHours": true,
        "initialMessages": ["Hi!", " Ask us anything. "], "initialQuestions": [],
        "translationOverrides": { "fr": { "title": "Aide", "send": "Envoyer !" } },
        "bot": { "name": "Frontdesk bot", "avatarUrl": "https://a.example/bot.png" },
        "humanAgent": { "name": "Support team" },
        "openAfterNSeconds": 5, "zIndex": 1000, "offset": { "bottom": 40, "side": 0 }
    })))
    .unwrap();
    assert!(config.unhonoured.is_empty());
    assert_eq!(config.unhonoured_warning(), None);
    let ui = config.ui;
    assert_eq!(ui.color_scheme, ColorScheme::Auto);
    assert!(ui.sound && ui.hide_outside_office_hours);
    assert_eq!(
        ui.initial_messages,
        Some(vec!["Hi!".to_owned(), "Ask us anything.".to_owned()])
    );
    // An empty list is not "absent": it turns the org's suggested questions off.
    assert_eq!(ui.initial_questions, Some(vec![]));
    assert_eq!(
        ui.words_for("fr").collect::<Vec<_>>(),
        [("send", "Envoyer !"), ("title", "Aide")]
    );
    assert_eq!(ui.words_for("en").count(), 0);
    assert_eq!(
        ui.bot,
        AgentDisplay {
            name: Some("Frontdesk bot".into()),
            avatar_url: Some("https://a.example/bot.png".into())
        }
    );
    assert_eq!(ui.human_agent.name.as_deref(), Some("Support team"));
    assert_eq!(ui.open_after_seconds, Some(5));
    assert_eq!(ui.z_index, Some(1000));
    assert_eq!((ui.offset_bottom, ui.offset_side), (Some(40), Some(0)));
    for (scheme, expected) in [("light", ColorScheme::Light), ("dark", ColorScheme::Dark)] {
        let ui = parse(&value(json!({ "token": TOKEN, "colorScheme": scheme })))
            .unwrap()
            .ui;
        assert_eq!(ui.color_scheme, expected);
    }
}

/// The example of OpenCX's documentation and type (`WidgetConfig`), with a Frontdesk token: accepted,
/// mapped, and the options with no effect here named in one warning.
#[test]
fn an_opencx_config_is_accepted_and_mapped() {
    let config = parse(&value(json!({
        "token": TOKEN,
        "language": "fr",
        "isOpen": true,
        "openAfterNSeconds": 10,
        "theme": {
            "primaryColor": "#7C3AED",
            "palette": "stone",
            "widgetTrigger": { "zIndex": 50, "offset": { "bottom": 24, "left": 16, "right": "initial" },
                               "size": { "button": 56 } },
            "widgetContentContainer": { "zIndex": 60, "borderRadius": "12px" }
        },
        "initialMessages": ["Hello, how can I help you?"],
        "initialQuestions": ["What is my account balance?", "How do I pay my bill?"],
        "initialQuestionsPosition": "above-chat-input",
        "translationOverrides": {
            "fr": { "write_a_message_placeholder": "Écrivez…", "start_chat_button": "Parler" },
            "en": { "new_conversation": "Start a chat", "back_to_conversations": "All chats" }
        },
        "textContent": {
            "chatScreen": { "headerTitle": "Acme help" },
            "welcomeScreen": { "title": "Welcome!", "description": "We reply fast." }
        },
        "bot": { "name": "Acme bot", "avatar": "https://acme.example/bot.png", "id": null },
        "humanAgent": { "name": "Acme team", "avatarUrl": "https://acme.example/team.png" },
        "user": { "data": { "name": "John", "email": "john@doe.com" }, "externalId": "ws_1" },
        "cssOverrides": "* { font-family: serif }",
        "headers": { "X-Api": "1" },
        "customComponents": {},
        "anchorTarget": "_blank",
        "collectUserData": false,
        "router": { "chatScreenOnly": true }
    })))
    .unwrap();
    let ui = &config.ui;
    assert_eq!(ui.color, "#7c3aed");
    assert!(ui.open_on_start);
    assert_eq!(ui.open_after_seconds, Some(10));
    assert_eq!(ui.z_index, Some(60), "the larger of the two");
    assert_eq!((ui.offset_bottom, ui.offset_side), (Some(24), Some(16)));
    assert_eq!(ui.position, Position::Left);
    assert_eq!(
        ui.initial_messages.as_deref(),
        Some(&["Hello, how can I help you?".to_owned()][..])
    );
    assert_eq!(ui.initial_questions.as_ref().map(Vec::len), Some(2));
    // The language's words first, then textContent's for every language (applied last, so they win).
    assert_eq!(
        ui.words_for("fr").collect::<Vec<_>>(),
        [
            ("message", "Écrivez…"),
            ("greeting", "Welcome!"),
            ("title", "Acme help")
        ]
    );
    assert_eq!(
        ui.words_for("en-GB").collect::<Vec<_>>(),
        [
            ("back", "All chats"),
            ("new_conversation", "Start a chat"),
            ("greeting", "Welcome!"),
            ("title", "Acme help")
        ]
    );
    assert_eq!(ui.bot.name.as_deref(), Some("Acme bot"));
    assert_eq!(
        ui.bot.avatar_url.as_deref(),
        Some("https://acme.example/bot.png")
    );
    assert_eq!(
        ui.human_agent.avatar_url.as_deref(),
        Some("https://acme.example/team.png")
    );
    assert_eq!(config.external_id.as_deref(), Some("ws_1"));
    // In the order met (serde_json's test objects iterate their keys sorted).
    assert_eq!(
        config.unhonoured,
        [
            "options.anchorTarget",
            "options.collectUserData",
            "options.cssOverrides",
            "options.customComponents",
            "options.headers",
            "options.initialQuestionsPosition",
            "options.router",
            "options.theme.palette",
            "options.theme.widgetTrigger.size",
            "options.theme.widgetContentContainer.borderRadius",
            "options.translationOverrides.fr.start_chat_button",
            "options.textContent.welcomeScreen.description",
        ]
    );
    let warning = config.unhonoured_warning().unwrap();
    assert!(
        warning.starts_with(
            "Frontdesk: these OpenCX options have no equivalent in Frontdesk and are ignored: "
        ),
        "{warning}"
    );
    for path in [
        "options.cssOverrides",
        "options.headers",
        "options.theme.palette",
        "options.translationOverrides.fr.start_chat_button",
        "options.textContent.welcomeScreen.description",
    ] {
        assert!(warning.contains(path), "{path} in {warning}");
    }
}

#[test]
fn typos_are_still_refused_with_their_path_beside_opencx_names() {
    let top = message(json!({ "token": TOKEN, "isopen": true }));
    assert!(
        top.starts_with("options.isopen: unknown option (did you mean `isOpen`?)"),
        "{top}"
    );
    let unhonoured_typo = message(json!({ "token": TOKEN, "cssOverride": "" }));
    assert!(
        unhonoured_typo
            .starts_with("options.cssOverride: unknown option (did you mean `cssOverrides`?)"),
        "{unhonoured_typo}"
    );
    let theme = message(json!({ "token": TOKEN, "theme": { "primaryColour": "#fff" } }));
    assert!(
        theme.starts_with(
            "options.theme.primaryColour: unknown option (did you mean `primaryColor`?)"
        ),
        "{theme}"
    );
    let trigger = message(
        json!({ "token": TOKEN, "theme": { "widgetTrigger": { "offset": { "top": 3 } } } }),
    );
    assert!(
        trigger.starts_with("options.theme.widgetTrigger.offset.top: unknown option"),
        "{trigger}"
    );
    let text =
        message(json!({ "token": TOKEN, "textContent": { "chatScreen": { "headerTitel": "x" } } }));
    assert!(
        text.starts_with(
            "options.textContent.chatScreen.headerTitel: unknown option (did you mean `headerTitle`?)"
        ),
        "{text}"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "translationOverrides": { "fr": { "tittle": "Aide" } } })),
        "options.translationOverrides.fr.tittle: unknown word (did you mean `title`?); the words are the keys of the README's \"Words\" list"
    );
    assert!(message(json!({ "token": TOKEN, "bot": { "nme": "x" } }))
        .starts_with("options.bot.nme: unknown option (did you mean `name`?)"));
}

#[test]
fn our_name_and_its_opencx_name_together_are_refused() {
    assert_eq!(
        message(json!({ "token": TOKEN, "color": "#fff", "theme": { "primaryColor": "#000" } })),
        "options.color: given together with `theme.primaryColor`, which means the same: keep one of them"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "openOnStart": true, "isOpen": false })),
        "options.openOnStart: given together with `isOpen`, which means the same: keep one of them"
    );
    assert!(message(
        json!({ "token": TOKEN, "zIndex": 1, "theme": { "widgetTrigger": { "zIndex": 2 } } })
    )
    .starts_with("options.zIndex: given together with `theme.widgetTrigger.zIndex`"));
    assert!(message(json!({ "token": TOKEN, "offset": { "bottom": 1 },
        "theme": { "widgetTrigger": { "offset": { "bottom": 2 } } } }))
    .starts_with("options.offset: given together with `theme.widgetTrigger.offset`"));
    assert!(message(json!({ "token": TOKEN,
        "theme": { "widgetTrigger": { "offset": { "left": 1, "right": 2 } } } }))
    .starts_with("options.theme.widgetTrigger.offset.right: given together with `left`"));
    assert!(message(json!({ "token": TOKEN,
        "bot": { "avatar": "https://a.b/c.png", "avatarUrl": "https://a.b/c.png" } }))
    .starts_with("options.bot.avatarUrl: given together with `avatar`"));
    // `position` picks the side even when OpenCX's `left` offset is given.
    let ui = parse(&value(json!({ "token": TOKEN, "position": "right",
        "theme": { "widgetTrigger": { "offset": { "left": 8 } } } })))
    .unwrap()
    .ui;
    assert_eq!((ui.position, ui.offset_side), (Position::Right, Some(8)));
}

#[test]
fn lists_and_words_are_bounded() {
    let five = vec!["a"; MAX_INITIAL_MESSAGES];
    assert!(parse(&value(json!({ "token": TOKEN, "initialMessages": five }))).is_ok());
    let six = vec!["a"; MAX_INITIAL_MESSAGES + 1];
    assert_eq!(
        message(json!({ "token": TOKEN, "initialMessages": six })),
        "options.initialMessages: too many items (at most 5)"
    );
    assert_eq!(
        message(
            json!({ "token": TOKEN, "initialQuestions": vec!["q"; MAX_INITIAL_QUESTIONS + 1] })
        ),
        "options.initialQuestions: too many items (at most 5)"
    );
    assert_eq!(
        message(
            json!({ "token": TOKEN, "initialMessages": ["Hi", "x".repeat(MAX_INITIAL_MESSAGE_CHARS + 1)] })
        ),
        "options.initialMessages[1]: too long (at most 500)"
    );
    assert_eq!(
        message(
            json!({ "token": TOKEN, "initialQuestions": ["x".repeat(MAX_INITIAL_QUESTION_CHARS + 1)] })
        ),
        "options.initialQuestions[0]: too long (at most 200)"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "initialQuestions": ["ok", "  "] })),
        "options.initialQuestions[1]: must not be empty"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "initialQuestions": [3] })),
        "options.initialQuestions[0]: expected a string, got a number"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "initialMessages": "Hi" })),
        "options.initialMessages: expected an array of strings, got a string"
    );
    assert_eq!(
        message(
            json!({ "token": TOKEN, "translationOverrides": { "en": { "title": "x".repeat(MAX_WORD_CHARS + 1) } } })
        ),
        "options.translationOverrides.en.title: too long (at most 300)"
    );
    assert!(message(
        json!({ "token": TOKEN, "translationOverrides": { "en": { "title": "Help\u{202E}" } } })
    )
    .starts_with("options.translationOverrides.en.title: contains U+202E"));
    assert!(message(
        json!({ "token": TOKEN, "translationOverrides": { "e n": { "title": "x" } } })
    )
    .starts_with("options.translationOverrides.e n: may only contain a language tag"));
    // Every word in 24 languages fits; more is refused.
    let all: serde_json::Map<String, serde_json::Value> = WORD_KEYS
        .iter()
        .map(|k| ((*k).to_owned(), json!("x")))
        .collect();
    let languages: serde_json::Map<String, serde_json::Value> =
        (0..MAX_WORD_OVERRIDES / WORD_KEYS.len() + 1)
            .map(|i| (format!("l{i}"), json!(all.clone())))
            .collect();
    assert_eq!(
        message(json!({ "token": TOKEN, "translationOverrides": languages })),
        "options.translationOverrides: too many items (at most 1000)"
    );
}

#[test]
fn numbers_and_switches_are_checked() {
    assert_eq!(
        message(json!({ "token": TOKEN, "openAfterNSeconds": 3601 })),
        "options.openAfterNSeconds: expected a whole number from 0 to 3600"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "openAfterNSeconds": 1.5 })),
        "options.openAfterNSeconds: expected a whole number from 0 to 3600"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "openAfterNSeconds": -1 })),
        "options.openAfterNSeconds: expected a whole number from 0 to 3600"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "openAfterNSeconds": "5" })),
        "options.openAfterNSeconds: expected a number, got a string"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "zIndex": 2147483648u64 })),
        "options.zIndex: expected a whole number from 0 to 2147483647"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "offset": { "side": 401 } })),
        "options.offset.side: expected a whole number from 0 to 400"
    );
    assert_eq!(
        message(
            json!({ "token": TOKEN, "theme": { "widgetTrigger": { "offset": { "right": "20px" } } } })
        ),
        "options.theme.widgetTrigger.offset.right: expected a number, got a string"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "colorScheme": "system" })),
        "options.colorScheme: expected \"light\", \"dark\" or \"auto\""
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "sound": 1 })),
        "options.sound: expected a boolean, got a number"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "isOpen": "yes" })),
        "options.isOpen: expected a boolean, got a string"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "theme": { "primaryColor": "rgb(1,2,3)" } })),
        "options.theme.primaryColor: expected a hex colour such as \"#2251d1\""
    );
    assert_eq!(
        message(
            json!({ "token": TOKEN, "humanAgent": { "avatarUrl": "data:image/png;base64,AA" } })
        ),
        "options.humanAgent.avatarUrl: must be an http:// or https:// URL"
    );
    assert_eq!(
        message(json!({ "token": TOKEN, "bot": { "name": "" } })),
        "options.bot.name: must not be empty"
    );
}

#[test]
fn null_opencx_keys_are_absent_and_not_warned_about() {
    let config = parse(&value(
        json!({ "token": TOKEN, "cssOverrides": null, "theme": null,
        "bot": { "id": null }, "textContent": { "welcomeScreen": { "description": null } } }),
    ))
    .unwrap();
    assert!(config.unhonoured.is_empty(), "{:?}", config.unhonoured);
    let config = parse(&value(json!({ "token": TOKEN, "bot": { "isAi": true } }))).unwrap();
    assert_eq!(config.unhonoured, ["options.bot.isAi"]);
}
