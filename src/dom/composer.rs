//! Where the visitor writes: the text area, Send, and the line that says a message was cut; above them,
//! the line that says an agent is typing. Each edit tells the controller whether there is text (it
//! reports the visitor's typing from that), never focus alone.
//!
//! The length limit is the server's rule, in characters ([`text::cut_to_limit`]), and not the
//! textarea's `maxlength`, which counts UTF-16 units and so stopped a message of 2,001 emoji that the
//! server would have stored. Typing or pasting past it cuts the text and says so; the server stays the
//! authority for what a script puts in the box.

use super::{append, closest_data, focus, on, set_attributes, Dispatch, Doc, ViewEvent};
use crate::attach::{size_text, ChipView};
use crate::i18n::Strings;
use crate::state::{ScreenKind, ViewModel};
use crate::text;
use gloo_events::{EventListener, EventListenerOptions};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::{HtmlElement, HtmlInputElement, HtmlTextAreaElement};

pub struct Composer {
    /// The text area and Send, in a row.
    element: HtmlElement,
    textarea: HtmlTextAreaElement,
    /// Says the text was cut at the limit; hidden otherwise.
    hint: HtmlElement,
    /// "Ada is typing…": a polite live region (`status`, so that the panel keeps one `aria-live` element, the
    /// announcer), on the page (empty) before it has anything to say.
    typing: HtmlElement,
    /// The chosen files, one chip each (name, size, a progress bar while uploading, why it was refused, Remove).
    chips: HtmlElement,
    /// The progress bars of the chips drawn last, by key: updated in place as the bytes go.
    bars: RefCell<Vec<(u32, HtmlElement)>>,
    /// There are chips: Send then goes with an empty text too (the files without a caption).
    has_files: Rc<Cell<bool>>,
    doc: Doc,
    strings: &'static Strings,
    _listeners: [EventListener; 7],
}

impl Composer {
    pub fn new(doc: &Doc, strings: &'static Strings, dispatch: &Dispatch) -> Composer {
        let element = doc.element("div", "composer");
        let textarea: HtmlTextAreaElement = doc.element("textarea", "").unchecked_into();
        textarea.set_rows(1);
        set_attributes(
            &textarea,
            &[
                ("aria-label", strings.message),
                ("placeholder", strings.message),
            ],
        );
        let send_button = doc.button("", strings.send);
        // The picker: a hidden `<input type=file>` that the attach button opens.
        let input: HtmlInputElement = doc.element("input", "").unchecked_into();
        set_attributes(&input, &[("type", "file"), ("multiple", "")]);
        input.set_hidden(true);
        // A plain "+": an emoji paperclip depends on the visitor's fonts, and an SVG one would be a second
        // `<svg>` in the widget besides the launcher's (e2e/xss.test.mjs counts any other as injected).
        let attach = doc.button("attach", "+");
        set_attributes(
            &attach,
            &[("aria-label", strings.attach), ("title", strings.attach)],
        );
        let chips = doc.element("ul", "chips");
        set_attributes(&chips, &[("aria-label", strings.attach)]);
        chips.set_hidden(true);
        let has_files = Rc::new(Cell::new(false));
        let hint = doc.element("p", "hint");
        set_attributes(&hint, &[("role", "status")]);
        hint.set_hidden(true);
        let typing = doc.element("p", "typing");
        set_attributes(&typing, &[("role", "status")]);
        append(&element, &[&attach, &input, &textarea, &send_button]);
        let picker = input.clone();
        let picked = input.clone();
        let _listeners = [
            send_on_click(&send_button, &textarea, &hint, &has_files, dispatch),
            send_on_enter(&textarea, &hint, &has_files, dispatch),
            limit_on(&textarea, "input", &hint, strings, dispatch),
            limit_on(&textarea, "compositionend", &hint, strings, dispatch),
            EventListener::new(&attach, "click", move |_| picker.click()),
            on(&input, "change", dispatch, move |_| {
                let files = super::files(picked.files());
                // Emptied, so choosing the same file again is a change too.
                picked.set_value("");
                Some(ViewEvent::Files(files))
            }),
            on(&chips, "click", dispatch, |e| {
                closest_data(e, "data-remove", "[data-remove]")
                    .and_then(|key| text::parse_decimal(&key))
                    .map(|key| ViewEvent::RemoveFile(key as u32))
            }),
        ];
        Composer {
            element,
            textarea,
            hint,
            typing,
            chips,
            has_files,
            bars: RefCell::new(Vec::new()),
            doc: doc.clone(),
            strings,
            _listeners,
        }
    }

    /// What the visitor has written and not sent.
    pub fn text(&self) -> String {
        self.textarea.value()
    }

    /// Puts `text` in the composer, for the visitor to edit or send.
    pub fn set_text(&self, text: &str) {
        self.textarea.set_value(text);
    }

    /// The typing line, the hint line, the chips, then the row: the panel's last four children.
    pub fn elements(&self) -> [&HtmlElement; 4] {
        [&self.typing, &self.hint, &self.chips, &self.element]
    }

    /// The chosen files, drawn anew (a handful at most).
    pub fn render_chips(&self, chips: &[ChipView]) {
        self.has_files.set(!chips.is_empty());
        self.chips.set_hidden(chips.is_empty());
        self.chips.set_text_content(None);
        let mut bars = self.bars.borrow_mut();
        bars.clear();
        for chip in chips {
            let li = self.doc.element(
                "li",
                match chip.note {
                    Some(_) => "chip refused",
                    None => "chip",
                },
            );
            append(
                &li,
                &[
                    &self.doc.text("span", "name", chip.name),
                    &self.doc.text("span", "size", &size_text(chip.size)),
                ],
            );
            if let Some(percent) = chip.progress {
                // A `<progress>` (its value shows as a bar), with its ARIA value spelt out as well.
                let bar = self.doc.element("progress", "");
                set_attributes(
                    &bar,
                    &[
                        ("max", "100"),
                        ("role", "progressbar"),
                        ("aria-valuemin", "0"),
                        ("aria-valuemax", "100"),
                        ("aria-label", self.strings.uploading),
                    ],
                );
                set_percent(&bar, percent);
                append(&li, &[&bar]);
                bars.push((chip.key, bar));
            }
            if let Some(note) = chip.note {
                let reason = self.doc.text("span", "reason", note);
                set_attributes(&reason, &[("role", "alert")]);
                append(&li, &[&reason]);
            }
            let remove = self.doc.button("remove", "×");
            let mut label = String::from(self.strings.remove);
            label.push_str(chip.name);
            set_attributes(
                &remove,
                &[
                    ("aria-label", &label),
                    ("data-remove", &text::decimal(chip.key.into())),
                ],
            );
            append(&li, &[&remove]);
            append(&self.chips, &[&li]);
        }
    }

    /// Chip `key`'s upload has sent `percent` of its bytes.
    pub fn chip_progress(&self, key: u32, percent: u8) {
        for (bar_key, bar) in self.bars.borrow().iter() {
            if *bar_key == key {
                set_percent(bar, percent);
            }
        }
    }

    pub fn focus(&self) {
        focus(&self.textarea);
    }

    /// The composer shows only in a conversation.
    pub fn render(&self, model: &ViewModel) {
        let hidden = model.screen.kind() != ScreenKind::Conversation;
        self.element.set_hidden(hidden);
        self.chips.set_hidden(hidden || !self.has_files.get());
        self.typing.set_hidden(hidden);
        if hidden {
            self.hint.set_hidden(true);
        }
        let mut line = String::new();
        if let Some(name) = model.chat.typing {
            line.push_str(if name.is_empty() {
                self.strings.support
            } else {
                name
            });
            line.push_str(self.strings.is_typing);
        }
        // Written only when it changes, so the live region speaks once per change.
        if self.typing.text_content().unwrap_or_default() != line {
            self.typing.set_text_content(Some(&line));
        }
    }
}

fn send_on_click(
    button: &HtmlElement,
    textarea: &HtmlTextAreaElement,
    hint: &HtmlElement,
    has_files: &Rc<Cell<bool>>,
    dispatch: &Dispatch,
) -> EventListener {
    let (textarea, hint, dispatch) = (textarea.clone(), hint.clone(), dispatch.clone());
    let has_files = has_files.clone();
    EventListener::new(button, "click", move |_| {
        if let Some(text) = take_text(&textarea, &hint, has_files.get()) {
            dispatch(ViewEvent::Send(text))
        }
        focus(&textarea);
    })
}

/// Enter sends, Shift+Enter is a new line; an IME composition's Enter is neither.
fn send_on_enter(
    textarea: &HtmlTextAreaElement,
    hint: &HtmlElement,
    has_files: &Rc<Cell<bool>>,
    dispatch: &Dispatch,
) -> EventListener {
    let (area, hint, dispatch) = (textarea.clone(), hint.clone(), dispatch.clone());
    let has_files = has_files.clone();
    EventListener::new_with_options(
        textarea,
        "keydown",
        EventListenerOptions::enable_prevent_default(),
        move |e| {
            let key: &web_sys::KeyboardEvent = e.unchecked_ref();
            if key.key() == "Enter" && !key.shift_key() && !key.is_composing() {
                e.prevent_default();
                if let Some(text) = take_text(&area, &hint, has_files.get()) {
                    dispatch(ViewEvent::Send(text))
                }
            }
        },
    )
}

/// After each edit (but not inside an IME composition, which `compositionend` then covers): cut the
/// text at the limit and say so, or hide the hint once the text fits; and say whether there is text.
fn limit_on(
    textarea: &HtmlTextAreaElement,
    event: &'static str,
    hint: &HtmlElement,
    strings: &'static Strings,
    dispatch: &Dispatch,
) -> EventListener {
    let (area, hint, dispatch) = (textarea.clone(), hint.clone(), dispatch.clone());
    EventListener::new(textarea, event, move |e| {
        // Unreachable: reading a property of an event object does not throw.
        let composing = js_sys::Reflect::get(e, &"isComposing".into()).unwrap_throw();
        if composing.as_bool() == Some(true) {
            return;
        }
        let value = area.value();
        match text::cut_to_limit(&value) {
            Some(cut) => {
                area.set_value(cut);
                // Written anew each time, so the status region announces it each time.
                hint.set_text_content(Some(strings.too_long));
                hint.set_hidden(false);
            }
            None => hint.set_hidden(true),
        }
        dispatch(ViewEvent::Input(!value.trim().is_empty()));
    })
}

/// The text to send, or `None` when there is nothing to send: with files, an empty text is their missing caption.
fn take_text(
    textarea: &HtmlTextAreaElement,
    hint: &HtmlElement,
    has_files: bool,
) -> Option<String> {
    let value = textarea.value();
    if value.trim().is_empty() && !has_files {
        return None;
    }
    textarea.set_value("");
    hint.set_hidden(true);
    Some(value.trim().to_owned())
}

/// A progress bar's value (and its ARIA value) as a whole percentage.
fn set_percent(bar: &HtmlElement, percent: u8) {
    let value = text::decimal(percent.into());
    set_attributes(bar, &[("value", &value), ("aria-valuenow", &value)]);
}
