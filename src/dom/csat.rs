//! The rating prompt under a resolved chat: five score buttons (a group, each named "n of 5" and
//! pressed when chosen), an optional comment, Send rating; then a thank-you. Asked again after a chat is
//! reopened and resolved anew.

use super::{append, closest_data, focus, set_attributes, Dispatch, Doc, ViewEvent};
use crate::i18n::Strings;
use crate::protocol::limits::RATING_COMMENT_MAX_CHARS;
use crate::state::RatingView;
use crate::text::{decimal, parse_decimal};
use gloo_events::EventListener;
use std::cell::{Cell, OnceCell};
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::{HtmlButtonElement, HtmlElement, HtmlTextAreaElement};

pub struct Csat {
    element: HtmlElement,
    doc: Doc,
    dispatch: Dispatch,
    /// Built the first time a rating is asked for: most chats never are, and the page then holds one
    /// text area, the composer's.
    ask: OnceCell<Ask>,
    thanks: HtmlElement,
    strings: &'static Strings,
    shown: Cell<RatingView>,
}

/// The prompt itself.
struct Ask {
    element: HtmlElement,
    scores: HtmlElement,
    comment: HtmlTextAreaElement,
    send: HtmlButtonElement,
    /// One listener for the scores and Send (`data-act`).
    _click: EventListener,
}

impl Csat {
    pub fn new(doc: &Doc, strings: &'static Strings, dispatch: &Dispatch) -> Csat {
        let element = doc.element("div", "csat");
        // On the page from the start, empty: a live region announces what is written into it later.
        let thanks = doc.element("p", "notice");
        set_attributes(&thanks, &[("role", "status"), ("tabindex", "-1")]);
        append(&element, &[&thanks]);
        Csat {
            element,
            doc: doc.clone(),
            dispatch: dispatch.clone(),
            ask: OnceCell::new(),
            thanks,
            strings,
            shown: Cell::new(RatingView::Hidden),
        }
    }

    pub fn element(&self) -> &HtmlElement {
        &self.element
    }

    fn ask(&self) -> &Ask {
        self.ask.get_or_init(|| {
            let (doc, strings) = (&self.doc, self.strings);
            let element = doc.element("div", "");
            let question = doc.text("p", "", strings.rate_question);
            let scores = doc.element("div", "scores");
            set_attributes(
                &scores,
                &[("role", "group"), ("aria-label", strings.rate_question)],
            );
            for score in 1..=5 {
                let n = decimal(score);
                let mut name = n.clone();
                name.push_str(strings.of_five);
                let button = doc.button("", &n);
                set_attributes(
                    &button,
                    &[
                        ("aria-label", &name),
                        ("aria-pressed", "false"),
                        ("data-act", &n),
                    ],
                );
                append(&scores, &[&button]);
            }
            let comment: HtmlTextAreaElement = doc.element("textarea", "").unchecked_into();
            comment.set_rows(2);
            // `maxlength` counts UTF-16 units, never fewer than the server's characters: what fits is accepted.
            comment.set_max_length(RATING_COMMENT_MAX_CHARS as i32);
            set_attributes(
                &comment,
                &[
                    ("aria-label", strings.comment),
                    ("placeholder", strings.comment),
                ],
            );
            let send: HtmlButtonElement =
                doc.button("primary", strings.send_rating).unchecked_into();
            set_attributes(&send, &[("data-act", "send")]);
            append(&element, &[&question, &scores, &comment, &send]);
            // Before the thank-you, so the prompt keeps its place.
            // Unreachable failure: a new element, before a child of the prompt's container.
            self.element
                .insert_before(&element, Some(&self.thanks))
                .unwrap_throw();
            let _click = {
                let (scores, comment, send) = (scores.clone(), comment.clone(), send.clone());
                let dispatch = self.dispatch.clone();
                EventListener::new(&element, "click", move |e| {
                    let Some(act) = closest_data(e, "data-act", "[data-act]") else {
                        return;
                    };
                    if act == "send" {
                        if let Some(score) = pressed(&scores) {
                            dispatch(ViewEvent::Rate(score, comment.value()));
                        }
                    } else {
                        press(&scores, parse_decimal(&act).unwrap_or(0) as u8);
                        send.set_disabled(false);
                    }
                })
            };
            Ask {
                element,
                scores,
                comment,
                send,
                _click,
            }
        })
    }

    /// The prompt while the chat's resolution is unrated (blank each time it is asked anew), the
    /// thank-you once it is rated.
    pub fn render(&self, rating: RatingView) {
        let was = self.shown.replace(rating);
        if was == rating {
            return;
        }
        let mut had_focus = false;
        if rating == RatingView::Ask {
            let ask = self.ask();
            press(&ask.scores, 0);
            ask.comment.set_value("");
            ask.send.set_disabled(true);
            ask.element.set_hidden(false);
        } else if let Some(ask) = self.ask.get() {
            // Unreachable failure: a constant, valid selector.
            had_focus = ask.element.matches(":focus-within").unwrap_throw();
            ask.element.set_hidden(true);
        }
        self.thanks.set_text_content(match rating {
            RatingView::Thanks => Some(self.strings.thanks),
            _ => None,
        });
        // Sending hid the button that had focus: it goes to the thank-you, which says what happened.
        if rating == RatingView::Thanks && had_focus {
            focus(&self.thanks);
        }
    }
}

/// Marks the button of `score` pressed and the others not (0: none).
fn press(scores: &HtmlElement, score: u8) {
    let buttons = scores.children();
    for i in 0..buttons.length() {
        if let Some(button) = buttons.item(i) {
            set_attributes(
                &button,
                &[(
                    "aria-pressed",
                    if i + 1 == u32::from(score) {
                        "true"
                    } else {
                        "false"
                    },
                )],
            );
        }
    }
}

/// The score whose button is pressed.
fn pressed(scores: &HtmlElement) -> Option<u8> {
    let buttons = scores.children();
    for i in 0..buttons.length() {
        if buttons.item(i)?.get_attribute("aria-pressed").as_deref() == Some("true") {
            return Some(i as u8 + 1);
        }
    }
    None
}
