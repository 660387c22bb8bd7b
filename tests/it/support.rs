//! Helpers shared by the browser tests.

use frontdesk::{FrontdeskHandle, Options};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, ShadowRoot};

pub const TOKEN: &str = "wt_0123456789abcdef0123456789abcdef";

/// Options written as the JavaScript object literal a site owner would write.
pub fn options(literal: &str) -> Options {
    js_sys::eval(&format!("({literal})"))
        .expect("the test's options literal is valid JavaScript")
        .unchecked_into()
}

pub fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

pub fn hosts() -> u32 {
    document()
        .query_selector_all(&format!("[{}]", frontdesk::dom::HOST_ATTRIBUTE))
        .unwrap()
        .length()
}

pub fn shadow_root() -> ShadowRoot {
    document()
        .query_selector(&format!("[{}]", frontdesk::dom::HOST_ATTRIBUTE))
        .unwrap()
        .expect("the widget's host element is on the page")
        .shadow_root()
        .expect("the host has an open shadow root")
}

pub fn find(selector: &str) -> Option<Element> {
    shadow_root().query_selector(selector).unwrap()
}

pub fn local_storage_keys() -> Vec<String> {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    (0..storage.length().unwrap())
        .filter_map(|i| storage.key(i).unwrap())
        .collect()
}

/// `init`'s rejection as the page sees it: an `Error` and its message.
pub async fn init_error(literal: &str) -> String {
    match frontdesk::init(options(literal)).await {
        Ok(handle) => {
            handle.destroy();
            panic!("init({literal}) should have been refused")
        }
        Err(err) => {
            let error: &js_sys::Error = err
                .dyn_ref()
                .unwrap_or_else(|| panic!("rejects with an Error, got {err:?}"));
            String::from(error.message())
        }
    }
}

thread_local! {
    /// The widget the last test started. A failed assertion aborts a wasm test without running
    /// destructors, so each test first destroys what an earlier one may have left.
    static LAST: RefCell<Option<Rc<FrontdeskHandle>>> = const { RefCell::new(None) };
}

/// Destroys whatever an earlier test left running.
pub fn clean_page() {
    if let Some(handle) = LAST.with(|last| last.borrow_mut().take()) {
        handle.destroy();
    }
}

/// A started widget that is destroyed when the test ends.
pub struct Started(pub Rc<FrontdeskHandle>);

impl Started {
    pub async fn new(literal: &str) -> Started {
        clean_page();
        match frontdesk::init(options(literal)).await {
            Ok(handle) => {
                let handle = Rc::new(handle);
                LAST.with(|last| *last.borrow_mut() = Some(handle.clone()));
                Started(handle)
            }
            Err(err) => panic!("init({literal}) failed: {:?}", err),
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        self.0.destroy();
    }
}

pub fn clear_local_storage() {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
}

/// A fresh workspace name per test, so tests sharing one server never see each other's chats.
pub fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    web_sys::window()
        .unwrap()
        .crypto()
        .unwrap()
        .get_random_values_with_u8_array(&mut bytes)
        .unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
