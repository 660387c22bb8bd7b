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
