//! The rating prompt under a resolved chat: five score buttons (a group, each named "n of 5" and
//! pressed when chosen), an optional comment, Send rating; then a thank-you. Asked again after a chat is
//! reopened and resolved anew.

use super::{append, closest_data, focus, on, set_attributes, Dispatch, Doc, ViewEvent};
use crate::i18n::Strings;
use crate::protocol::limits::RATING_COMMENT_MAX_CHARS;
use crate::state::RatingView;
use crate::text::decimal;
use gloo_events::EventListener;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::{HtmlButtonElement, HtmlElement, HtmlTextAreaElement};

pub struct Csat {
    element: HtmlElement,
    ask: HtmlElement,
    scores: Vec<HtmlElement>,
    comment: HtmlTextAreaElement,
    send: HtmlButtonElement,
    thanks: HtmlElement,
    strings: &'static Strings,
    /// The score chosen, 0 for none.
    chosen: Rc<Cell<u8>>,
    shown: Cell<RatingView>,
    _listeners: [EventListener; 2],
}

impl Csat {
    pub fn new(doc: &Doc, strings: &'static Strings, dispatch: &Dispatch) -> Csat {
        let element = doc.element("div", "csat");
        let ask = doc.element("div", "");
        ask.set_hidden(true);
        let question = doc.text("p", "", strings.rate_question);
        let group = doc.element("div", "scores");
        set_attributes(
            &group,
            &[("role", "group"), ("aria-label", strings.rate_question)],
        );
        let mut scores = Vec::with_capacity(5);
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
                    ("data-score", &n),
                ],
            );
            append(&group, &[&button]);
            scores.push(button);
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
        let send: HtmlButtonElement = doc.button("primary", strings.send_rating).unchecked_into();
        send.set_disabled(true);
        append(&ask, &[&question, &group, &comment, &send]);
        let thanks = doc.element("p", "notice");
        set_attributes(&thanks, &[("role", "status"), ("tabindex", "-1")]);
        append(&element, &[&ask, &thanks]);

        let chosen = Rc::new(Cell::new(0));
        let choose = {
            let (chosen, scores, send) = (chosen.clone(), scores.clone(), send.clone());
            EventListener::new(&group, "click", move |e| {
                let Some(score) = closest_data(e, "data-score", "[data-score]") else {
                    return;
                };
                let score = crate::text::parse_decimal(&score).unwrap_or(0) as u8;
                chosen.set(score);
                press(&scores, score);
                send.set_disabled(false);
            })
        };
        let rate = {
            let (chosen, comment) = (chosen.clone(), comment.clone());
            on(&send, "click", dispatch, move |_| {
                (chosen.get() > 0).then(|| ViewEvent::Rate(chosen.get(), comment.value()))
            })
        };
        Csat {
            element,
            ask,
            scores,
            comment,
            send,
            thanks,
            strings,
            chosen,
            shown: Cell::new(RatingView::Hidden),
            _listeners: [choose, rate],
        }
    }

    pub fn element(&self) -> &HtmlElement {
        &self.element
    }

    /// The prompt while the chat's resolution is unrated (blank each time it is asked anew), the
    /// thank-you once it is rated.
    pub fn render(&self, rating: RatingView) {
        let was = self.shown.replace(rating);
        if was == rating {
            return;
        }
        if rating == RatingView::Ask {
            self.chosen.set(0);
            press(&self.scores, 0);
            self.comment.set_value("");
            self.send.set_disabled(true);
        }
        // Unreachable failure: a constant, valid selector.
        let had_focus = self.ask.matches(":focus-within").unwrap_throw();
        self.ask.set_hidden(rating != RatingView::Ask);
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

/// Marks `score`'s button pressed and the others not (0: none).
fn press(scores: &[HtmlElement], score: u8) {
    let mut n = 0;
    for button in scores {
        n += 1;
        set_attributes(
            button,
            &[("aria-pressed", if n == score { "true" } else { "false" })],
        );
    }
}
