//! JavaScript values in, JavaScript errors out: the conversions of the wasm boundary.

use crate::value::Value;
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
        let token = js_sys::Reflect::get(&user, &"token".into()).ok()?;
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
