//! JavaScript values in, JavaScript errors and events out: the conversions of the wasm boundary.

use crate::events::{Event, EventName};
use crate::value::Value;
use std::cell::{Cell, RefCell};
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};

/// Deep enough for any real `customData`, shallow enough that a cyclic object ends quickly.
const MAX_DEPTH: usize = 16;
/// Stops a page from making the widget walk a huge object before the size check refuses it.
const MAX_NODES: usize = 5_000;

/// Copies a JavaScript value into a [`Value`] tree.
pub fn to_value(value: &JsValue) -> Value {
    let mut budget = MAX_NODES;
    convert(value, 0, &mut budget)
}

/// Copies a parsed server answer. Its size was bounded by the server, not by a page, so the node
/// budget only guards against a runaway answer.
pub fn to_response_value(value: &JsValue) -> Value {
    let mut budget = 2_000_000;
    convert(value, 0, &mut budget)
}

fn convert(value: &JsValue, depth: usize, budget: &mut usize) -> Value {
    if *budget == 0 {
        return Value::Other("an object too large");
    }
    *budget -= 1;
    if value.is_undefined() || value.is_null() {
        return Value::Null;
    }
    if let Some(b) = value.as_bool() {
        return Value::Bool(b);
    }
    if let Some(s) = value.as_string() {
        return Value::String(s);
    }
    if value.as_f64().is_some() {
        let text = js_sys::Number::unchecked_from_js_ref(value)
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_default();
        return Value::Number(text);
    }
    if value.is_function() {
        return Value::Function;
    }
    if depth >= MAX_DEPTH {
        return Value::Other("a structure nested too deeply (or cyclic)");
    }
    if js_sys::Array::is_array(value) {
        let array: &js_sys::Array = value.unchecked_ref();
        let mut items = Vec::new();
        for item in array.iter() {
            items.push(convert(&item, depth + 1, budget));
        }
        return Value::Array(items);
    }
    if value.is_object() {
        let object: &js_sys::Object = value.unchecked_ref();
        if !is_plain(object) {
            return Value::Other("an object that is not plain (a class instance or DOM node)");
        }
        let mut entries = Vec::new();
        for entry in js_sys::Object::entries(object).iter() {
            let pair: js_sys::Array = entry.unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            entries.push((key, convert(&pair.get(1), depth + 1, budget)));
        }
        return Value::Object(entries);
    }
    Value::Other("a symbol or bigint")
}

/// `{…}` and `Object.create(null)`, not a `Date`, a `Map` or a DOM node.
fn is_plain(object: &js_sys::Object) -> bool {
    let proto = js_sys::Object::get_prototype_of(object);
    proto.is_null() || js_sys::Object::get_prototype_of(&proto).is_null()
}

/// The error the Promise of `init` rejects with: a real `Error`, so the console shows its message and stack.
pub fn error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}

/// `user.token` given as a function: called for the first token and again when the server says the
/// token expired. It may return the token or a Promise of it.
pub struct TokenFunction(js_sys::Function);

impl TokenFunction {
    /// `options.user.token`, read again from the original object (the parsed `Config` only records
    /// that it is a function).
    pub fn from_options(options: &JsValue) -> Option<TokenFunction> {
        let user = js_sys::Reflect::get(options, &"user".into()).ok()?;
        TokenFunction::from_user(&user)
    }

    /// `user.token` of a `user` object (`updateUser(user)`).
    pub fn from_user(user: &JsValue) -> Option<TokenFunction> {
        let token = js_sys::Reflect::get(user, &"token".into()).ok()?;
        token.dyn_into::<js_sys::Function>().ok().map(TokenFunction)
    }

    pub async fn call(&self) -> Result<String, String> {
        let returned = self
            .0
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| format!("options.user.token: the function threw: {}", describe(&e)))?;
        let value = if returned.has_type::<js_sys::Promise>() {
            wasm_bindgen_futures::JsFuture::from(returned.unchecked_into::<js_sys::Promise>())
                .await
                .map_err(|e| {
                    format!(
                        "options.user.token: the function's promise rejected: {}",
                        describe(&e)
                    )
                })?
        } else {
            returned
        };
        match value.as_string() {
            Some(token) if !token.trim().is_empty() && token.len() <= crate::config::MAX_USER_TOKEN_CHARS => Ok(token),
            _ => Err("options.user.token: the function must return (or resolve to) the token string from /widget/authenticate-user".into()),
        }
    }
}

/// A thrown value as text, for messages.
pub fn describe(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value
        .as_string()
        .unwrap_or_else(|| "an unknown error".into())
}

/// `bytes` random bytes from `crypto.getRandomValues`, as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .expect_throw("Frontdesk needs crypto.getRandomValues")
        .get_random_values_with_u8_array(&mut buffer)
        .expect_throw("unreachable: getRandomValues accepts up to 65536 bytes");
    let mut out = String::with_capacity(bytes * 2);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in buffer {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// A message for the site owner in the browser console.
pub fn console_error(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(message));
}

/// The callbacks a page gave `chat.on(name, callback)`. Owned by the handle: `destroy()` drops them.
#[derive(Default)]
pub struct Listeners {
    list: RefCell<Vec<(EventName, js_sys::Function)>>,
    /// `ready` has fired: a `ready` listener added later is called at once (a page that calls `on` after
    /// `init` resolved would otherwise race the first load).
    ready: Cell<bool>,
}

impl Listeners {
    pub fn add(&self, name: EventName, callback: js_sys::Function) {
        self.list.borrow_mut().push((name, callback.clone()));
        if name == EventName::Ready && self.ready.get() {
            call(name, &callback, &JsValue::UNDEFINED);
        }
    }

    /// Removes `callback`'s registrations for `name` (all of them, if added twice).
    pub fn remove(&self, name: EventName, callback: &JsValue) {
        self.list
            .borrow_mut()
            .retain(|(n, f)| !(*n == name && JsValue::from(f.clone()) == *callback));
    }

    pub fn clear(&self) {
        self.list.borrow_mut().clear();
    }

    /// Calls every listener of the event's name, in the order they were added. A listener that throws is
    /// reported in the console and the others still run; one that adds or removes listeners changes only
    /// the next emit.
    pub fn emit(&self, event: &Event) {
        let name = event.name();
        if name == EventName::Ready && self.ready.replace(true) {
            return;
        }
        let callbacks: Vec<js_sys::Function> = self
            .list
            .borrow()
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, f)| f.clone())
            .collect();
        if callbacks.is_empty() {
            return;
        }
        let payload = payload(event);
        for callback in &callbacks {
            call(name, callback, &payload);
        }
    }
}

fn call(name: EventName, callback: &js_sys::Function, payload: &JsValue) {
    if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, payload) {
        let label = EventName::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map_or("", |(label, _)| *label);
        console_error(&format!(
            "Frontdesk: a \"{label}\" listener threw: {}",
            describe(&thrown)
        ));
    }
}

/// What a callback receives: nothing (`ready`, `open`, `close`), the count (`unread`), the console's text
/// (`error`), or a plain object.
fn payload(event: &Event) -> JsValue {
    match event {
        Event::Ready | Event::Open | Event::Close => JsValue::UNDEFINED,
        Event::Unread(count) => JsValue::from(*count),
        Event::Error(text) => JsValue::from_str(text),
        Event::ConversationStarted(session_id) => object(&[("sessionId", session_id.into())]),
        Event::ConversationResolved { session_id, by } => {
            object(&[("sessionId", session_id.into()), ("by", by.as_str().into())])
        }
        Event::Message(message) => {
            let attachments = js_sys::Array::new();
            for file in &message.attachments {
                attachments.push(&object(&[
                    ("id", file.id.as_str().into()),
                    ("name", file.name.as_str().into()),
                    ("type", file.media_type.as_str().into()),
                    ("size", (file.size as f64).into()),
                ]));
            }
            object(&[
                ("id", (message.id as f64).into()),
                ("sessionId", message.session_id.as_str().into()),
                ("author", message.author.as_str().into()),
                (
                    "authorName",
                    message
                        .author_name
                        .as_deref()
                        .map_or(JsValue::NULL, JsValue::from_str),
                ),
                ("text", message.text.as_str().into()),
                ("attachments", attachments.into()),
                ("sentAt", message.sent_at.as_str().into()),
            ])
        }
    }
}

fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in entries {
        // Unreachable failure: setting a property on a plain object just made.
        js_sys::Reflect::set(&object, &JsValue::from_str(key), value).unwrap_throw();
    }
    object.into()
}
