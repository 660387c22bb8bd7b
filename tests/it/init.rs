//! `init(options)` as a page calls it: refusals leave nothing behind, a valid call shows the launcher.

use crate::support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlElement;

#[wasm_bindgen_test]
async fn every_invalid_option_is_refused_by_path_and_leaves_nothing_behind() {
    clean_page();
    let keys_before = local_storage_keys();
    let cases = [
        ("undefined", "options: expected an object, got null"),
        ("{}", "options.token: is required"),
        ("{ token: '' }", "options.token: must not be empty"),
        (
            "{ token: 'sk_live_123' }",
            "options.token: this is your secret key",
        ),
        ("{ token: 'nope' }", "options.token: not a widget token"),
        (
            &format!("{{ token: '{TOKEN}', tokn: 1 }}"),
            "options.tokn: unknown option (did you mean `token`?)",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: {{ data: {{ name: 'A' }}, token: 't' }} }}"),
            "options.user: give either `data` (non-verified) or `token` (verified), not both",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: {{ data: {{ customData: 'pro' }} }} }}"),
            "options.user.data.customData: expected an object, got a string",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: {{ data: {{ customData: new Date() }} }} }}"),
            "options.user.data.customData: expected an object, got an object that is not plain",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: {{ data: {{ customData: {{ n: NaN }} }} }} }}"),
            "options.user.data.customData: must hold only JSON",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: {{ data: {{ email: 'john' }} }} }}"),
            "options.user.data.email: not an email address",
        ),
        (
            &format!(
                "{{ token: '{TOKEN}', user: {{ data: {{ avatarUrl: 'javascript:alert(1)' }} }} }}"
            ),
            "options.user.data.avatarUrl: must be an http:// or https:// URL",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: {{ data: {{ name: 'x'.repeat(300) }} }} }}"),
            "options.user.data.name: too long (at most 200)",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: {{ externalId: 'a b' }} }}"),
            "options.user.externalId: may only contain",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: {{ token: 42 }} }}"),
            "options.user.token: expected a string or a function returning one, got a number",
        ),
        (
            &format!("{{ token: '{TOKEN}', user: document.body }}"),
            "options.user: expected an object, got an object that is not plain",
        ),
    ];
    for (literal, expected) in cases {
        let message = init_error(literal).await;
        assert!(
            message.starts_with(expected),
            "init({literal}) → {message:?}, expected {expected:?}"
        );
        assert_eq!(hosts(), 0, "init({literal}) left an element in the page");
        assert_eq!(
            local_storage_keys(),
            keys_before,
            "init({literal}) wrote to localStorage"
        );
    }
}

#[wasm_bindgen_test]
async fn a_cyclic_custom_data_is_refused_not_walked_forever() {
    clean_page();
    let message = init_error(&format!(
        "(() => {{ const c = {{}}; c.self = c; return {{ token: '{TOKEN}', user: {{ data: {{ customData: c }} }} }}; }})()"
    ))
    .await;
    assert!(
        message.starts_with("options.user.data.customData: must hold only JSON"),
        "{message}"
    );
    assert_eq!(hosts(), 0);
}

#[wasm_bindgen_test]
async fn valid_options_show_a_launcher_named_open_chat_in_a_shadow_root() {
    let widget = Started::new(&format!("{{ token: '{TOKEN}', user: {{ data: {{ name: 'Ann', customData: {{ plan: 'pro' }} }}, externalId: 'ws_1' }} }}")).await;
    assert_eq!(hosts(), 1);
    let launcher = find("button.launcher").expect("a launcher button");
    assert_eq!(
        launcher.get_attribute("aria-label").as_deref(),
        Some("Open chat")
    );
    assert_eq!(
        launcher.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    // The page's own selectors do not see into the widget.
    assert!(document()
        .query_selector("button.launcher")
        .unwrap()
        .is_none());

    let panel: HtmlElement = find(".panel").unwrap().unchecked_into();
    assert!(panel.hidden());
    widget.0.open();
    assert!(!panel.hidden());
    assert_eq!(
        launcher.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    let focused = shadow_root()
        .active_element()
        .expect("focus moved into the panel");
    assert_eq!(
        focused.get_attribute("aria-label").as_deref(),
        Some("Message"),
        "a visitor with no chats lands in the composer"
    );
    widget.0.close();
    assert!(panel.hidden());
}

#[wasm_bindgen_test]
async fn clicking_the_launcher_toggles_the_panel_and_escape_closes_it() {
    let _widget = Started::new(&format!("{{ token: '{TOKEN}' }}")).await;
    let launcher: HtmlElement = find("button.launcher").unwrap().unchecked_into();
    let panel: HtmlElement = find(".panel").unwrap().unchecked_into();
    launcher.click();
    assert!(!panel.hidden());
    let escape = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &{
        let init = web_sys::KeyboardEventInit::new();
        init.set_key("Escape");
        init.set_bubbles(true);
        init
    })
    .unwrap();
    shadow_root()
        .active_element()
        .unwrap()
        .dispatch_event(&escape)
        .unwrap();
    assert!(panel.hidden());
    assert_eq!(
        shadow_root()
            .active_element()
            .and_then(|e| e.get_attribute("aria-label"))
            .as_deref(),
        Some("Open chat"),
        "focus returns to the launcher"
    );
}

#[wasm_bindgen_test]
async fn destroy_removes_everything_and_init_works_again() {
    clean_page();
    let first = frontdesk::init(options(&format!(
        "{{ token: '{TOKEN}', openOnStart: true }}"
    )))
    .await
    .unwrap();
    assert_eq!(hosts(), 1);
    let launcher: HtmlElement = find("button.launcher").unwrap().unchecked_into();
    first.destroy();
    assert_eq!(hosts(), 0);
    // A stale handle is harmless.
    first.open();
    first.destroy();
    launcher.click();
    assert_eq!(hosts(), 0);

    let _second = Started::new(&format!("{{ token: '{TOKEN}' }}")).await;
    assert_eq!(hosts(), 1);
}

#[wasm_bindgen_test]
async fn a_second_init_without_destroy_is_refused() {
    let _first = Started::new(&format!("{{ token: '{TOKEN}' }}")).await;
    let message = init_error(&format!("{{ token: '{TOKEN}' }}")).await;
    assert!(
        message.starts_with("Frontdesk is already running on this page"),
        "{message}"
    );
    assert_eq!(hosts(), 1);
}

#[wasm_bindgen_test]
async fn arabic_is_right_to_left_with_translated_names() {
    // The embed registers how a language's words are had (the script tag fetches `locales/ar.json`); here, the
    // file itself, as the fetch would give it.
    let words = js_sys::JSON::parse(include_str!("../../src/locales/ar.json")).unwrap();
    let loader =
        wasm_bindgen::closure::Closure::<dyn Fn(wasm_bindgen::JsValue) -> js_sys::Promise>::new(
            move |_code| js_sys::Promise::resolve(&words),
        );
    frontdesk::set_locale_loader(loader.as_ref().unchecked_ref::<js_sys::Function>().clone());
    loader.forget();
    let _widget = Started::new(&format!(
        "{{ token: '{TOKEN}', language: 'ar', position: 'left', color: '#c00' }}"
    ))
    .await;
    let host = document()
        .query_selector("[data-frontdesk]")
        .unwrap()
        .unwrap();
    // Right to left at once; the words once the loader answered.
    assert_eq!(host.get_attribute("dir").as_deref(), Some("rtl"));
    for _ in 0..100 {
        if host.get_attribute("lang").as_deref() == Some("ar") {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    assert_eq!(host.get_attribute("lang").as_deref(), Some("ar"));
    let launcher = find("button.launcher").unwrap();
    assert_eq!(
        launcher.get_attribute("aria-label").as_deref(),
        Some("افتح الدردشة")
    );
    assert!(find(".root.left").is_some());
}
