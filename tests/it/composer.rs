//! The composer's length limit is the server's: characters (Unicode scalar values), not UTF-16 units.

use crate::support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlElement, HtmlTextAreaElement};

/// Puts `text` in the composer as typing or pasting would: the value, then an `input` event.
fn edit(area: &HtmlTextAreaElement, text: &str) {
    area.set_value(text);
    let input = web_sys::Event::new("input").unwrap();
    area.dispatch_event(&input).unwrap();
}

#[wasm_bindgen_test]
async fn the_composer_takes_4000_emoji_and_cuts_the_4001st_character_saying_why() {
    let widget = Started::new(&format!("{{ token: '{TOKEN}', language: 'en' }}")).await;
    widget.0.open();
    let area: HtmlTextAreaElement = find("textarea").unwrap().unchecked_into();
    let hint: HtmlElement = find(".hint").unwrap().unchecked_into();
    assert!(
        !area.has_attribute("maxlength"),
        "maxlength counts UTF-16 units, which is not the server's rule"
    );

    // 4000 emoji: 8000 UTF-16 units, the server's 4000 characters.
    let emoji = "😀".repeat(4000);
    edit(&area, &emoji);
    assert_eq!(area.value(), emoji, "nothing cut");
    assert!(hint.hidden());

    edit(&area, &"é".repeat(4001));
    assert_eq!(area.value(), "é".repeat(4000), "cut at 4000 characters");
    assert!(!hint.hidden(), "the visitor is told");
    assert_eq!(
        hint.text_content().as_deref(),
        Some("A message can be at most 4000 characters: the rest was cut off.")
    );
    assert_eq!(hint.get_attribute("role").as_deref(), Some("status"));

    edit(&area, "short again");
    assert!(hint.hidden(), "the hint goes once the text fits");
}
