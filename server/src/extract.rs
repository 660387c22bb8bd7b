//! Body and query extractors whose rejections are [`ApiError`]s, so a bad request gets our error body and a
//! message naming the field (axum's own say `Failed to deserialize…` in plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// For an app served without `startup::app`'s extension layer.
const DEFAULT_BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// How long a body may take to arrive in full, put into every request's extensions by `startup::app`. A total,
/// not a per-read timeout: a client that sends one byte a second must not hold the connection for ever.
#[derive(Debug, Clone, Copy)]
pub struct BodyReadTimeout(pub std::time::Duration);

/// A JSON body. An empty body reads as `{}` (every body field of this API is optional or reported by name when
/// missing), unknown fields are refused by name, and type errors name the field's path (`visitor.custom_data`).
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        let timeout = req
            .extensions()
            .get::<BodyReadTimeout>()
            .map_or(DEFAULT_BODY_READ_TIMEOUT, |t| t.0);
        let bytes = tokio::time::timeout(timeout, Bytes::from_request(req, state))
            .await
            .map_err(|_| ApiError::BodyTimeout(timeout.as_secs()))?
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge,
                _ => ApiError::InvalidBody(format!("body: could not be read ({})", e.body_text())),
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return parse(b"{}").map(Json);
        }
        if is_json != Some(true) {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse(&bytes).map(Json)
    }
}

/// Deserialises `bytes`, collecting every unknown field instead of stopping at the first.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would also read a struct from an array, by position; a body is an object or a mistake.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::InvalidBody("body: must be a JSON object".into()));
    }
    reject_duplicate_keys(bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let parsed: Result<T, _> = serde_ignored::deserialize(
        serde_path_to_error::Deserializer::new(&mut de, &mut track),
        |path| unknown.push(dotted(&path)),
    );
    let value = parsed
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| describe(&e, &track.path().to_string()))?;
    if !unknown.is_empty() {
        let s = if unknown.len() == 1 { "" } else { "s" };
        return Err(ApiError::InvalidBody(format!(
            "unknown field{s}: {} (check the spelling)",
            unknown.join(", ")
        )));
    }
    Ok(value)
}

/// Refuses a body with a key given twice in one object, naming it (`visitor.name: given twice`). serde would
/// refuse it for a struct field with a message that names no field, and would keep the last one silently inside
/// free-form values (`custom_data`), so the sender would not learn which of the two was stored. A body that is
/// not valid JSON is refused as such first, whatever it repeats before the syntax error.
fn reject_duplicate_keys(bytes: &[u8]) -> Result<(), ApiError> {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::InvalidBody(format!("body: not valid JSON ({e})")));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde::de::DeserializeSeed::deserialize(NoDuplicateKeys(String::new()), &mut de) {
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            let full = e.to_string();
            let message = full
                .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
                .unwrap_or(&full);
            Err(ApiError::InvalidBody(message.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Walks any JSON value, failing with `path: given twice` at the first repeated key; the string is the path so
/// far.
struct NoDuplicateKeys(String);

impl NoDuplicateKeys {
    fn child(&self, step: &str) -> Self {
        Self(if self.0.is_empty() {
            step.to_owned()
        } else {
            format!("{}.{step}", self.0)
        })
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for NoDuplicateKeys {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeys {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(Self(format!("{}[{index}]", self.0)))?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(&key);
            if !seen.insert(key) {
                return Err(serde::de::Error::custom(format_args!(
                    "{}: given twice (each key may appear once in an object)",
                    child.0
                )));
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}

/// `visitor.nmae`, as a person would write the path (serde_ignored marks `Option`s with `?`).
fn dotted(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", dotted(parent)),
        Path::Map { parent, key } => match dotted(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => dotted(parent),
    }
}

fn describe(e: &serde_json::Error, path: &str) -> ApiError {
    use serde_json::error::Category;
    let full = e.to_string();
    let without_position = full
        .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&full);
    ApiError::InvalidBody(match (e.classify(), path) {
        (Category::Syntax | Category::Eof | Category::Io, _) => {
            format!("body: not valid JSON ({full})")
        }
        (Category::Data, "." | "") => "body: must be a JSON object".to_owned(),
        (Category::Data, path) => format!("{path}: {without_position}"),
    })
}

/// A query string; a malformed one is a 422 `invalid_query` naming the parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| ApiError::InvalidQuery(format!("{}: {}", e.path(), e.inner())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        custom_data: Option<serde_json::Value>,
        name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        email: Option<String>,
        visitor: Option<Inner>,
    }

    fn message(body: &str) -> String {
        parse::<Outer>(body.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn names_every_unknown_field_with_its_path() {
        assert_eq!(
            message(r#"{"emial":"a","visitor":{"nmae":"x"}}"#),
            "unknown fields: emial, visitor.nmae (check the spelling)"
        );
    }

    #[test]
    fn names_the_field_of_a_type_error() {
        assert_eq!(
            message(r#"{"email":42}"#),
            "email: invalid type: integer `42`, expected a string"
        );
        assert_eq!(
            message(r#"{"visitor":{"name":[]}}"#),
            "visitor.name: invalid type: sequence, expected a string"
        );
    }

    #[test]
    fn says_what_is_wrong_with_the_whole_body() {
        assert_eq!(message("[1]"), "body: must be a JSON object");
        assert!(message("{\"email\":").starts_with("body: not valid JSON"));
        assert!(message("{} x").starts_with("body: not valid JSON (trailing characters"));
    }

    #[test]
    fn a_key_given_twice_is_named_wherever_it_is() {
        assert_eq!(
            message(r#"{"email":"a@x.com","email":"b@x.com"}"#),
            "email: given twice (each key may appear once in an object)"
        );
        assert_eq!(
            message(r#"{"visitor":{"name":"a","name":"b"}}"#),
            "visitor.name: given twice (each key may appear once in an object)"
        );
        assert_eq!(
            message(r#"{"visitor":{"custom_data":{"plan":[{"id":1,"id":2}]}}}"#),
            "visitor.custom_data.plan[0].id: given twice (each key may appear once in an object)"
        );
        assert!(message(r#"{"email":"a", "email""#).starts_with("body: not valid JSON"));
    }

    #[test]
    fn custom_data_may_hold_anything() {
        let parsed: Outer =
            parse(br#"{"visitor":{"custom_data":{"any":{"nested":[1,{"x":null}]}}}}"#).unwrap();
        assert!(parsed.visitor.unwrap().custom_data.is_some());
    }
}
