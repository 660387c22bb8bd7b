//! The widget against the real server: `scripts/test.sh` starts `frontdesk-server` on a free
//! loopback port with a fresh SQLite file, creates an org, mints a verified user token, and passes
//! them in at compile time (`FRONTDESK_TEST_*`).

use crate::support::*;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlElement, HtmlTextAreaElement};

struct Server {
    api: &'static str,
    widget_token: &'static str,
    secret_key: &'static str,
    user_token: &'static str,
}

fn required(value: Option<&'static str>) -> &'static str {
    match value {
        Some(value) => value,
        None => panic!("run the browser tests through `npm test`: scripts/test.sh starts the server and sets FRONTDESK_TEST_*"),
    }
}

fn server() -> Server {
    Server {
        api: required(option_env!("FRONTDESK_TEST_API")),
        widget_token: required(option_env!("FRONTDESK_TEST_WIDGET_TOKEN")),
        secret_key: required(option_env!("FRONTDESK_TEST_SECRET_KEY")),
        user_token: required(option_env!("FRONTDESK_TEST_USER_TOKEN")),
    }
}

/// Polls `condition` every 50 ms for up to 10 s: network answers take their time.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..200 {
        if condition() {
            return;
        }
        TimeoutFuture::new(50).await;
    }
    panic!("timed out waiting for: {what}");
}

/// `fetch` with the secret key, as an agent's tool would (only the tests do this from a browser).
async fn agent(method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
    let s = server();
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().unwrap();
    headers
        .set("Authorization", &format!("Bearer {}", s.secret_key))
        .unwrap();
    headers.set("Content-Type", "application/json").unwrap();
    init.set_headers(&headers);
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    let promise = web_sys::window()
        .unwrap()
        .fetch_with_str_and_init(&format!("{}{path}", s.api), &init);
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .unwrap()
        .unchecked_into();
    let text = wasm_bindgen_futures::JsFuture::from(response.text().unwrap())
        .await
        .unwrap();
    let text = text.as_string().unwrap();
    // A 204 (typing) has no body.
    if text.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_str(&text).unwrap()
}

fn textarea() -> HtmlTextAreaElement {
    find("textarea").expect("a composer").unchecked_into()
}

fn type_and_send(text: &str) {
    let area = textarea();
    area.set_value(text);
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_bubbles(true);
    init.set_cancelable(true);
    let enter =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    area.dispatch_event(&enter).unwrap();
}

fn message_texts() -> Vec<String> {
    let list = shadow_root().query_selector_all(".messages li").unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i).and_then(|n| n.text_content()))
        .collect()
}

fn sent_count() -> u32 {
    shadow_root()
        .query_selector_all(".msg.visitor:not(.pending)")
        .unwrap()
        .length()
}

fn options_for(user: &str) -> String {
    let s = server();
    format!(
        "{{ token: '{}', apiUrl: '{}', language: 'en'{user} }}",
        s.widget_token, s.api
    )
}

#[wasm_bindgen_test]
async fn an_anonymous_visitor_chats_and_gets_a_live_agent_reply_rendered_as_text() {
    clear_local_storage();
    let workspace = format!("ws-{}", random_suffix());
    let widget = Started::new(&options_for(&format!(
        ", user: {{ externalId: '{workspace}' }}"
    )))
    .await;
    assert!(
        local_storage_keys().is_empty(),
        "no device id before the visitor writes"
    );
    widget.0.open();
    let xss = "<img src=x onerror=\"window.__xss=1\"> <script>window.__xss=1</script>";
    type_and_send(xss);
    eventually("the message is stored", || sent_count() == 1).await;

    let keys = local_storage_keys();
    let device_key = format!("frontdesk:v1:{}:{workspace}:device", server().widget_token);
    assert!(keys.contains(&device_key), "{keys:?}");

    let sessions = agent(
        "GET",
        &format!("/api/sessions?external_id={workspace}"),
        None,
    )
    .await;
    let session = &sessions["sessions"][0];
    assert_eq!(session["verified"], false);
    assert_eq!(session["last_message"]["content"], xss);
    let id = session["id"].as_str().unwrap().to_owned();

    agent(
        "POST",
        &format!("/api/sessions/{id}/messages"),
        Some(r#"{"content":"Hello <b>there</b> https://example.com/help"}"#),
    )
    .await;
    eventually("the agent's reply shows without a reload", || {
        message_texts()
            .iter()
            .any(|t| t.contains("Hello <b>there</b>"))
    })
    .await;
    let root = shadow_root();
    assert!(
        root.query_selector(".messages img, .messages script, .messages b")
            .unwrap()
            .is_none(),
        "markup stayed text"
    );
    let link = root
        .query_selector(".msg.agent a")
        .unwrap()
        .expect("the URL became a link");
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://example.com/help")
    );
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("noopener noreferrer nofollow")
    );
    let live = root.query_selector("[aria-live]").unwrap().unwrap();
    assert!(
        live.text_content().unwrap().contains("Hello <b>there</b>"),
        "announced to screen readers"
    );
    assert!(
        js_sys::Reflect::get(&web_sys::window().unwrap(), &"__xss".into())
            .unwrap()
            .is_undefined()
    );
}

#[wasm_bindgen_test]
async fn a_message_of_4000_emoji_is_sent_and_stored_whole() {
    clear_local_storage();
    let workspace = format!("ws-{}", random_suffix());
    let widget = Started::new(&options_for(&format!(
        ", user: {{ externalId: '{workspace}' }}"
    )))
    .await;
    widget.0.open();
    // 8000 UTF-16 units: the old `maxlength` stopped at half of it.
    let emoji = "🙂".repeat(4000);
    let area = textarea();
    area.set_value(&emoji);
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    type_and_send(&area.value());
    eventually("the message is stored", || sent_count() == 1).await;
    let sessions = agent(
        "GET",
        &format!("/api/sessions?external_id={workspace}"),
        None,
    )
    .await;
    assert_eq!(
        sessions["sessions"][0]["last_message"]["content"].as_str(),
        Some(emoji.as_str())
    );
}

#[wasm_bindgen_test]
async fn a_reply_while_closed_counts_on_the_badge() {
    clear_local_storage();
    let workspace = format!("ws-{}", random_suffix());
    let widget = Started::new(&options_for(&format!(
        ", user: {{ data: {{ name: 'Badge' }}, externalId: '{workspace}' }}"
    )))
    .await;
    widget.0.open();
    type_and_send("hi");
    eventually("sent", || sent_count() == 1).await;
    widget.0.close();
    let sessions = agent(
        "GET",
        &format!("/api/sessions?external_id={workspace}"),
        None,
    )
    .await;
    let id = sessions["sessions"][0]["id"].as_str().unwrap().to_owned();
    agent(
        "POST",
        &format!("/api/sessions/{id}/messages"),
        Some(r#"{"content":"one"}"#),
    )
    .await;
    agent(
        "POST",
        &format!("/api/sessions/{id}/messages"),
        Some(r#"{"content":"two"}"#),
    )
    .await;
    let badge: HtmlElement = find(".badge").unwrap().unchecked_into();
    eventually("the badge counts two replies", || {
        badge.text_content().as_deref() == Some("2") && !badge.hidden()
    })
    .await;
    let launcher = find("button.launcher").unwrap();
    assert_eq!(
        launcher.get_attribute("aria-label").as_deref(),
        Some("Open chat (2 unread)")
    );
    widget.0.open();
    assert!(badge.hidden(), "opening reads them");
}

#[wasm_bindgen_test]
async fn non_verified_data_is_stored_as_unverified_and_logout_forgets_the_device() {
    clear_local_storage();
    let workspace = format!("ws-{}", random_suffix());
    let widget = Started::new(&options_for(&format!(
        ", user: {{ data: {{ name: 'Alice', email: 'alice@example.com', customData: {{ plan: 'pro' }} }}, externalId: '{workspace}' }}"
    )))
    .await;
    widget.0.open();
    type_and_send("hello");
    eventually("sent", || sent_count() == 1).await;
    let sessions = agent(
        "GET",
        &format!("/api/sessions?external_id={workspace}"),
        None,
    )
    .await;
    let contact = &sessions["sessions"][0]["contact"];
    assert_eq!(contact["non_verified_custom_data"]["plan"], "pro");
    assert!(contact["custom_data"].is_null(), "{contact}");

    widget.0.logout();
    assert!(
        local_storage_keys().is_empty(),
        "{:?}",
        local_storage_keys()
    );
    assert!(message_texts().is_empty(), "the history left the screen");
}

#[wasm_bindgen_test]
async fn a_verified_user_sends_the_token_and_keeps_nothing_about_identity_on_the_device() {
    clear_local_storage();
    let workspace = format!("ws-{}", random_suffix());
    let s = server();
    let widget = Started::new(&options_for(&format!(
        ", user: {{ token: '{}', externalId: '{workspace}' }}",
        s.user_token
    )))
    .await;
    widget.0.open();
    type_and_send("verified hello");
    eventually("sent", || sent_count() == 1).await;
    assert!(
        local_storage_keys().iter().all(|k| !k.ends_with(":device")),
        "{:?}",
        local_storage_keys()
    );
    let sessions = agent(
        "GET",
        &format!("/api/sessions?external_id={workspace}"),
        None,
    )
    .await;
    assert_eq!(sessions["sessions"][0]["verified"], true);

    // The same user on a "second device" (no local state) sees the chat in the list.
    drop(widget);
    clear_local_storage();
    let again = Started::new(&options_for(&format!(
        ", user: {{ token: () => Promise.resolve('{}'), externalId: '{workspace}' }}",
        s.user_token
    )))
    .await;
    again.0.open();
    eventually("the earlier verified chat is listed", || {
        find(".sessions [data-session] .preview")
            .and_then(|e| e.text_content())
            .as_deref()
            == Some("verified hello")
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_wrong_widget_token_shows_a_calm_notice() {
    clear_local_storage();
    let s = server();
    let widget = Started::new(&format!(
        "{{ token: 'wt_doesnotexist', apiUrl: '{}', user: {{ token: '{}' }}, language: 'en' }}",
        s.api, s.user_token
    ))
    .await;
    widget.0.open();
    let notice: HtmlElement = find(".notice.error").unwrap().unchecked_into();
    eventually("the notice shows", || !notice.hidden()).await;
    assert_eq!(
        notice.text_content().as_deref(),
        Some("Chat is unavailable right now. Please try again later.")
    );
}

/// Two visitors in one browser whose long-polls have the same URL (two widgets on one page, or a logged-out tab
/// beside a logged-in one) are answered each in its own time. Through the HTTP cache, Chromium held the second
/// request back until the first one's answer, so a live reply waited up to 20 s.
#[wasm_bindgen_test]
async fn two_visitors_long_polling_the_same_url_do_not_wait_for_each_other() {
    use frontdesk::api::{Api, Auth};
    use std::cell::RefCell;
    use std::rc::Rc;
    let server = server();
    let visitor = |device_id: &str| {
        Api::new(
            server.api.to_owned(),
            server.widget_token.to_owned(),
            None,
            Auth::Device(RefCell::new(Some(device_id.to_owned()))),
        )
    };
    // `waiting` has nothing to be told and holds its poll; `told` has a message, so its poll (the same URL)
    // answers at once, unless the browser makes it queue behind the other.
    let waiting = visitor("5a1e0f00c0ffee00000000000000aa01");
    let told = visitor("5a1e0f00c0ffee00000000000000aa02");
    let session = told
        .start_session(frontdesk::protocol::start_session_body(
            "same-url-chat-1",
            None,
            &[],
        ))
        .await
        .expect("a chat");
    told.send(&session.id, "same-url-message-1", "hello", &[])
        .await
        .expect("a message");
    let answered: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    for (name, api) in [("waiting", waiting), ("told", told)] {
        let answered = answered.clone();
        let signal = web_sys::AbortController::new().unwrap().signal();
        wasm_bindgen_futures::spawn_local(async move {
            api.updates(0, 0, 3, &signal).await.expect("an answer");
            answered.borrow_mut().push(name);
        });
        // The waiting poll is in flight first, as the other tab's would be.
        TimeoutFuture::new(200).await;
    }
    eventually("both long-polls answered", || answered.borrow().len() == 2).await;
    assert_eq!(*answered.borrow(), ["told", "waiting"]);
}

fn click(selector: &str) {
    find(selector)
        .unwrap_or_else(|| panic!("{selector} is on the page"))
        .unchecked_into::<HtmlElement>()
        .click();
}

fn text_of(selector: &str) -> String {
    find(selector)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn an_agent_types_then_resolves_and_the_visitors_rating_is_stored() {
    clear_local_storage();
    let workspace = format!("ws-{}", random_suffix());
    let _widget = Started::new(&options_for(&format!(
        ", user: {{ externalId: '{workspace}' }}"
    )))
    .await;
    _widget.0.open();
    type_and_send("please close this");
    eventually("the message is stored", || sent_count() == 1).await;
    let sessions = agent(
        "GET",
        &format!("/api/sessions?external_id={workspace}"),
        None,
    )
    .await;
    let id = sessions["sessions"][0]["id"].as_str().unwrap().to_owned();

    agent(
        "POST",
        &format!("/api/sessions/{id}/typing"),
        Some(r#"{"typing":true}"#),
    )
    .await;
    eventually("the agent's typing shows", || {
        text_of(".typing").ends_with("is typing…")
    })
    .await;
    agent("POST", &format!("/api/sessions/{id}/resolve"), Some("{}")).await;
    eventually(
        "the resolution's divider and the rating prompt show",
        || text_of(".event").starts_with("Resolved by") && find("[aria-label='4 of 5']").is_some(),
    )
    .await;
    assert_eq!(
        text_of(".typing"),
        "",
        "a resolution ends the agent's typing"
    );

    click("[aria-label='4 of 5']");
    find(".csat textarea")
        .unwrap()
        .unchecked_into::<HtmlTextAreaElement>()
        .set_value("Quick");
    click(".csat [data-act=send]");
    eventually("the thank-you shows", || {
        text_of(".csat [role=status]") == "Thank you for your feedback!"
    })
    .await;
    let sessions = agent(
        "GET",
        &format!("/api/sessions?external_id={workspace}"),
        None,
    )
    .await;
    assert_eq!(sessions["sessions"][0]["rating"]["score"], 4);
    assert_eq!(sessions["sessions"][0]["rating"]["comment"], "Quick");
}
