//! The widget-facing API of `docs/api.md`, over the browser's `fetch`, called directly: a request
//! builder crate (gloo-net) cost about 0.9 KB of gzipped wasm and glue for what is one call here. Uploads
//! go by `XMLHttpRequest` instead, for its upload progress (`fetch` reports none).
//!
//! Every response is turned into Rust types or an [`ApiError`] here; callers never see a `JsValue`.
//! A verified identity whose token expired gets one fresh token from the page's function and one retry.

use crate::js::TokenFunction;
use crate::protocol::{self, Decode, DecodeError, ErrorBody, ErrorCode, WireIdentity};
use crate::text::decimal;
use crate::value::Value;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The request never got an answer: offline, server down, DNS. Worth retrying.
    Network(String),
    /// The server answered with an error body.
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// The page's token function failed or returned no token.
    TokenFunction(String),
    /// No device id yet (nothing was ever started here), so there is nothing to ask for.
    NoIdentity,
    Aborted,
    /// The answer was not what the API documents: a proxy page, or a server of another version.
    Unexpected(String),
}

impl ApiError {
    /// Worth sending again later: the message may still get through.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Server { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }

    /// The site's set-up is wrong (token, origin, user token): the widget cannot work until the site
    /// owner fixes it, so say it in the console.
    pub fn is_setup_error(&self) -> bool {
        matches!(
            self,
            ApiError::Server {
                status: 401 | 403,
                ..
            } | ApiError::TokenFunction(_)
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Network(detail) => {
                write!(f, "could not reach the Frontdesk server ({detail})")
            }
            ApiError::Server {
                status,
                code,
                message,
            } => {
                write!(
                    f,
                    "the Frontdesk server refused the request: {message} ({code}, HTTP {})",
                    decimal((*status).into())
                )
            }
            ApiError::TokenFunction(message) => f.write_str(message),
            ApiError::NoIdentity => f.write_str("no conversation has been started on this device"),
            ApiError::Aborted => f.write_str("the request was cancelled"),
            ApiError::Unexpected(detail) => {
                write!(f, "unexpected answer from the Frontdesk server: {detail}")
            }
        }
    }
}

/// How requests prove who is asking.
pub enum Auth {
    /// The current user token, and where a fresh one comes from.
    Verified {
        token: RefCell<Option<String>>,
        refresh: Option<TokenFunction>,
    },
    /// The device id, once one exists (it is created by the first send).
    Device(RefCell<Option<String>>),
}

fn decoded<T>(result: Result<T, DecodeError>) -> Result<T, ApiError> {
    result.map_err(|DecodeError(detail)| ApiError::Unexpected(detail))
}

pub struct Api {
    base: String,
    widget_token: String,
    external_id: Option<String>,
    pub auth: Auth,
}

const SETTINGS: &str = "/widget/v1/settings";

enum Method {
    Get,
    Post,
    /// A GET whose answer is a file: read as a `Blob`, not as JSON.
    Download,
    /// A POST of a form by `XMLHttpRequest`, the one browser API that reports upload progress: what hears
    /// the percentage sent.
    Upload(Rc<dyn Fn(u8)>),
}

/// A successful answer: JSON (`Value::Null` for 204), or a file's bytes.
pub enum Answer {
    Json(Value),
    Blob(web_sys::Blob),
}

impl Answer {
    pub fn json(self) -> Value {
        match self {
            Answer::Json(value) => value,
            Answer::Blob(_) => Value::Null,
        }
    }
}

impl Api {
    pub fn new(
        base: String,
        widget_token: String,
        external_id: Option<String>,
        auth: Auth,
    ) -> Rc<Api> {
        Rc::new(Api {
            base,
            widget_token,
            external_id,
            auth,
        })
    }

    /// Whether there is an identity to ask with (a device that never chatted has none).
    pub fn has_identity(&self) -> bool {
        match &self.auth {
            Auth::Verified { .. } => true,
            Auth::Device(id) => id.borrow().is_some(),
        }
    }

    pub async fn sessions(&self) -> Result<Vec<protocol::Session>, ApiError> {
        let body = self
            .call(Method::Get, "/widget/v1/sessions", None, None)
            .await?;
        decoded(protocol::decode_session_list(&body.json()))
    }

    pub async fn start_session(&self, body: String) -> Result<protocol::Session, ApiError> {
        let body = self
            .call(Method::Post, "/widget/v1/sessions", Some(body.into()), None)
            .await?;
        decoded(protocol::decode_session_envelope(&body.json()))
    }

    /// A page of a chat's history: its latest messages, or (`before`) those just below that id.
    pub async fn messages(
        &self,
        session_id: &str,
        before: Option<i64>,
    ) -> Result<protocol::MessagePage, ApiError> {
        // 30 a page: about three panels full, and what opening a chat decodes and draws (BENCHMARKS.md, memory).
        let mut path = format!("/widget/v1/sessions/{session_id}/messages?limit=30");
        if let Some(before) = before {
            path.push_str("&before=");
            path.push_str(&decimal(before));
        }
        let body = self.call(Method::Get, &path, None, None).await?;
        decoded(protocol::MessagePage::decode(&body.json()))
    }

    pub async fn send(
        &self,
        session_id: &str,
        client_id: &str,
        content: &str,
        attachments: &[protocol::Attachment],
    ) -> Result<protocol::Message, ApiError> {
        let body = protocol::send_message_body(client_id, content, attachments);
        let body = self
            .post(&session_path(session_id, "/messages"), body)
            .await?;
        decoded(protocol::decode_message_envelope(&body.json()))
    }

    /// `POST /widget/v1/sessions/{id}{action}`: `/typing` and `/seen` answer 204 (`Value::Null`), the others a
    /// body. A plain function around [`Api::call`], not an `async fn`: each async layer is a state machine of
    /// its own in the wasm.
    pub fn post<'a>(
        &'a self,
        path: &'a str,
        body: String,
    ) -> impl std::future::Future<Output = Result<Answer, ApiError>> + 'a {
        self.call(Method::Post, path, Some(body.into()), None)
    }

    /// `POST …/sessions/{id}/attachments`: `file` as the form's one part, `file`; `signal` cancels it;
    /// `progress` hears the percentage sent (0–100) as the bytes go.
    pub async fn upload(
        &self,
        session_id: &str,
        file: &web_sys::File,
        signal: &AbortSignal,
        progress: impl Fn(u8) + 'static,
    ) -> Result<protocol::Attachment, ApiError> {
        // Unreachable failures: a new form, and a blob appended to it under a constant name.
        let form = web_sys::FormData::new().unwrap_throw();
        form.append_with_blob_and_filename("file", file, &file.name())
            .unwrap_throw();
        let path = session_path(session_id, "/attachments");
        let body = self
            .call(
                Method::Upload(Rc::new(progress)),
                &path,
                Some(form.into()),
                Some(signal),
            )
            .await;
        decoded(protocol::decode_attachment_envelope(&body?.json()))
    }

    /// `GET /widget/v1/attachments/{id}` with the identity headers: the file's bytes, for a `blob:` URL (an
    /// `<img src>` cannot carry the headers).
    pub async fn download(&self, id: &str) -> Result<web_sys::Blob, ApiError> {
        let mut path = String::from("/widget/v1/attachments/");
        path.push_str(id);
        match self.call(Method::Download, &path, None, None).await? {
            Answer::Blob(blob) => Ok(blob),
            Answer::Json(_) => Err(ApiError::Unexpected(path)),
        }
    }

    /// `GET /widget/v1/settings`: what the org allows to be attached, its greeting, questions and office hours.
    pub async fn settings(&self) -> Result<protocol::WidgetSettings, ApiError> {
        let body = self.call(Method::Get, SETTINGS, None, None).await?;
        decoded(protocol::decode_settings(&body.json()))
    }

    /// Long-poll: answers when there is something after `after`, or after `wait_seconds` with nothing.
    /// Signals newer than `signals_after` come with it.
    pub async fn updates(
        &self,
        after: i64,
        signals_after: i64,
        wait_seconds: u32,
        signal: &AbortSignal,
    ) -> Result<protocol::Updates, ApiError> {
        let mut path = String::from("/widget/v1/updates?after=");
        path.push_str(&decimal(after));
        path.push_str("&signals_after=");
        path.push_str(&decimal(signals_after));
        path.push_str("&wait=");
        path.push_str(&decimal(wait_seconds.into()));
        let body = self.call(Method::Get, &path, None, Some(signal)).await?;
        decoded(protocol::Updates::decode(&body.json()))
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<JsValue>,
        signal: Option<&AbortSignal>,
    ) -> Result<Answer, ApiError> {
        let mut refreshed = false;
        loop {
            let result = self.call_once(&method, path, body.clone(), signal).await;
            match (&result, &self.auth) {
                (
                    Err(ApiError::Server { code, .. }),
                    Auth::Verified {
                        token,
                        refresh: Some(refresh),
                    },
                ) if code == ErrorCode::UserTokenExpired.as_str() && !refreshed => {
                    refreshed = true;
                    let fresh = refresh.call().await.map_err(ApiError::TokenFunction)?;
                    *token.borrow_mut() = Some(fresh);
                }
                _ => return result,
            }
        }
    }

    async fn user_token(&self) -> Result<Option<String>, ApiError> {
        let Auth::Verified { token, refresh } = &self.auth else {
            return Ok(None);
        };
        if let Some(current) = token.borrow().clone() {
            return Ok(Some(current));
        }
        let refresh = refresh.as_ref().ok_or(ApiError::NoIdentity)?;
        let fresh = refresh.call().await.map_err(ApiError::TokenFunction)?;
        *token.borrow_mut() = Some(fresh.clone());
        Ok(Some(fresh))
    }

    async fn call_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<JsValue>,
        signal: Option<&AbortSignal>,
    ) -> Result<Answer, ApiError> {
        let user_token = self.user_token().await?;
        let device = match &self.auth {
            Auth::Device(id) => id.borrow().clone(),
            Auth::Verified { .. } => None,
        };
        let identity = match (&user_token, &device) {
            (Some(user_token), _) => WireIdentity::Verified { user_token },
            (None, Some(device_id)) => WireIdentity::Device { device_id },
            // The org's settings need no visitor: a visitor who never wrote has no device id yet.
            (None, None) if path == SETTINGS => WireIdentity::Org,
            (None, None) => return Err(ApiError::NoIdentity),
        };
        let url = format!("{}{path}", self.base);
        let identity =
            protocol::identity_headers(&self.widget_token, &identity, self.external_id.as_deref());
        let network_error = |e: JsValue| {
            if signal.is_some_and(|s| s.aborted()) {
                ApiError::Aborted
            } else {
                ApiError::Network(error_text(&e))
            }
        };
        if let Method::Upload(progress) = method {
            let (status, text) = send_form(&url, &identity, body, signal, progress)
                .await
                .map_err(network_error)?;
            return answer(status, text);
        }
        let headers = js_sys::Object::new();
        for (name, value) in identity {
            set_header(&headers, name, &value);
        }
        let init = web_sys::RequestInit::new();
        init.set_method(match method {
            Method::Get | Method::Download => "GET",
            _ => "POST",
        });
        if let Some(body) = body {
            // A form (an upload) gets its multipart type and boundary from the browser.
            if body.is_string() {
                set_header(&headers, "Content-Type", "application/json");
            }
            init.set_body(&body);
        }
        init.set_headers(&headers);
        init.set_signal(signal);
        // Never through the HTTP cache: Chromium lets one request at a time fill a cache entry, so two widgets
        // in one browser (two identities whose long-polls have the same URL) would queue behind each other's
        // 25-second poll, and a live reply would arrive up to 20 s late.
        init.set_cache(web_sys::RequestCache::NoStore);
        let response: web_sys::Response = JsFuture::from(fetch(&url, &init))
            .await
            .map_err(network_error)?
            .unchecked_into();
        let status = response.status();
        if matches!(method, Method::Download) && status == 200 {
            return match response.blob() {
                Ok(promise) => Ok(Answer::Blob(
                    JsFuture::from(promise)
                        .await
                        .map_err(network_error)?
                        .unchecked_into(),
                )),
                Err(e) => Err(network_error(e)),
            };
        }
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise).await.map_err(network_error)?,
            Err(e) => return Err(network_error(e)),
        };
        answer(status, text.as_string().unwrap_or_default())
    }
}

/// The answer to a request, from its status and body: JSON (`Value::Null` for 204), or the server's error.
fn answer(status: u16, text: String) -> Result<Answer, ApiError> {
    // `/typing` and `/seen` answer 204 with no body.
    if status == 204 {
        return Ok(Answer::Json(Value::Null));
    }
    let parsed = js_sys::JSON::parse(&text)
        .map(|v| crate::js::to_response_value(&v))
        .map_err(|_| ApiError::Unexpected(format!("HTTP {}, not JSON", decimal(status.into()))));
    if !(200..300).contains(&status) {
        return Err(match parsed.as_ref().ok().map(ErrorBody::decode) {
            Some(Ok(error)) => ApiError::Server {
                status,
                code: error.code,
                message: error.message,
            },
            _ => ApiError::Server {
                status,
                code: ErrorCode::HttpError.as_str().into(),
                message: format!("HTTP {}", decimal(status.into())),
            },
        });
    }
    parsed.map(Answer::Json)
}

/// `POST url` of the form `body` by `XMLHttpRequest` with the identity headers: its status and body text once
/// it ended, or what it failed with (a network error, or `abort` when `signal` cancelled it). `progress` hears
/// the percentage sent as the bytes go.
async fn send_form(
    url: &str,
    headers: &[(&str, String)],
    body: Option<JsValue>,
    signal: Option<&AbortSignal>,
    progress: &Rc<dyn Fn(u8)>,
) -> Result<(u16, String), JsValue> {
    let xhr = web_sys::XmlHttpRequest::new()?;
    xhr.open("POST", url)?;
    for (name, value) in headers {
        xhr.set_request_header(name, value)?;
    }
    let upload = xhr.upload()?;
    let progress = progress.clone();
    // A gloo listener (the same code as the view's): removed when the request ended, as it goes out of scope.
    let _progress = gloo_events::EventListener::new(&upload, "progress", move |e| {
        let e: &web_sys::ProgressEvent = e.unchecked_ref();
        if e.length_computable() && e.total() > 0.0 {
            progress((e.loaded() * 100.0 / e.total()) as u8);
        }
    });
    let ended = js_sys::Promise::new(&mut |resolve, reject| {
        // Unreachable failures: listening with a function to an event target.
        for (event, then) in [("load", &resolve), ("error", &reject), ("abort", &reject)] {
            xhr.add_event_listener_with_callback(event, then)
                .unwrap_throw();
        }
    });
    if let Some(signal) = signal {
        // `xhr.abort` bound to this request: removing the chip cancels it as it cancelled a `fetch`.
        let abort: js_sys::Function = js_sys::Reflect::get(&xhr, &"abort".into())?.unchecked_into();
        signal.set_onabort(Some(&abort.bind0(&xhr)));
        if signal.aborted() {
            return Err(JsValue::NULL);
        }
    }
    xhr.send_with_opt_form_data(body.as_ref().map(|body| body.unchecked_ref()))?;
    let result = JsFuture::from(ended).await;
    if let Some(signal) = signal {
        signal.set_onabort(None);
    }
    result?;
    Ok((xhr.status()?, xhr.response_text()?.unwrap_or_default()))
}

/// `/widget/v1/sessions/{id}{action}`.
pub fn session_path(session_id: &str, action: &str) -> String {
    let mut path = String::from("/widget/v1/sessions/");
    path.push_str(session_id);
    path.push_str(action);
    path
}

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (a window's or a worker's).
    fn fetch(url: &str, init: &web_sys::RequestInit) -> js_sys::Promise;
}

/// Unreachable failure: setting a string property on a plain object.
fn set_header(headers: &js_sys::Object, name: &str, value: &str) {
    js_sys::Reflect::set(headers, &name.into(), &value.into()).unwrap_throw();
}

/// What `fetch` rejected with, as the browser prints it (`TypeError: Failed to fetch`).
fn error_text(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => error.to_string().into(),
        None => crate::js::describe(error),
    }
}
