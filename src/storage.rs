//! What the widget keeps on this device, and where.
//!
//! Keys are namespaced `frontdesk:v1:{widget token}:{external id or "-"}:{name}`, so two sites on one
//! origin, or two workspaces of one site, never read each other's device id or outbox.
//! [`Store`] has a memory implementation (native tests) and a localStorage one (the browser).

use crate::protocol::Attachment;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A string key-value store: localStorage's shape, without its `JsValue`s.
pub trait Store {
    fn get(&self, key: &str) -> Option<String>;
    /// `false` when the browser refused (quota, private mode): the caller keeps going in memory.
    fn set(&self, key: &str, value: &str) -> bool;
    fn remove(&self, key: &str);
}

#[derive(Default)]
pub struct MemoryStore(RefCell<BTreeMap<String, String>>);

impl MemoryStore {
    pub fn keys(&self) -> Vec<String> {
        self.0.borrow().keys().cloned().collect()
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Option<String> {
        self.0.borrow().get(key).cloned()
    }
    fn set(&self, key: &str, value: &str) -> bool {
        self.0.borrow_mut().insert(key.to_owned(), value.to_owned());
        true
    }
    fn remove(&self, key: &str) {
        self.0.borrow_mut().remove(key);
    }
}

/// The page's localStorage. Every call can fail (storage disabled, quota); failures read as absent.
pub struct LocalStore;

impl LocalStore {
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }
}

impl Store for LocalStore {
    fn get(&self, key: &str) -> Option<String> {
        Self::storage()?.get_item(key).ok()?
    }
    fn set(&self, key: &str, value: &str) -> bool {
        Self::storage().is_some_and(|s| s.set_item(key, value).is_ok())
    }
    fn remove(&self, key: &str) {
        if let Some(storage) = Self::storage() {
            storage.remove_item(key).ok();
        }
    }
}

/// A message written while it could not be sent yet; kept until the server has stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The idempotency key: a resend with the same id is stored once.
    pub client_id: String,
    /// `None` while its conversation has not been created on the server yet.
    pub session_id: Option<String>,
    pub content: String,
    /// Set once a send was refused for good (too long, rate limited…): shown with a retry action.
    pub failed: Option<String>,
    /// Files already uploaded that go with it (the server keeps an unsent upload 24 hours); `content` is then
    /// their caption. A file not uploaded yet is never here: it waits in memory (`app`) and, up to
    /// `held::HELD_MAX_BYTES`, under the `files` key ([`DeviceState::held`]).
    pub attachments: Vec<Attachment>,
}

/// This device's state for one (widget token, external id) namespace.
pub struct DeviceState<S: Store> {
    store: S,
    prefix: String,
}

impl<S: Store> DeviceState<S> {
    pub fn new(store: S, widget_token: &str, external_id: Option<&str>) -> Self {
        DeviceState {
            store,
            prefix: format!(
                "frontdesk:v1:{widget_token}:{}:",
                external_id.unwrap_or("-")
            ),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The device id, if this device already has one here.
    pub fn device_id(&self) -> Option<String> {
        self.store
            .get(&self.key("device"))
            .filter(|id| is_device_id(id))
    }

    /// The device id, created from `random_hex` on first use.
    pub fn device_id_or_create(&self, random_hex: impl FnOnce() -> String) -> String {
        if let Some(id) = self.device_id() {
            return id;
        }
        let id = random_hex();
        self.store.set(&self.key("device"), &id);
        id
    }

    pub fn outbox(&self) -> Vec<Pending> {
        self.store
            .get(&self.key("outbox"))
            .map(|text| decode_outbox(&text))
            .unwrap_or_default()
    }

    pub fn save_outbox(&self, outbox: &[Pending]) -> bool {
        if outbox.is_empty() {
            self.store.remove(&self.key("outbox"));
            true
        } else {
            self.store.set(&self.key("outbox"), &encode_outbox(outbox))
        }
    }

    /// The highest message id the visitor has seen, for the unread count across reloads.
    pub fn last_read(&self) -> i64 {
        self.store
            .get(&self.key("read"))
            .and_then(|s| crate::text::parse_decimal(&s))
            .unwrap_or(0)
    }

    pub fn set_last_read(&self, id: i64) {
        if id > self.last_read() {
            self.store.set(&self.key("read"), &crate::text::decimal(id));
        }
    }

    /// Files chosen but not uploaded yet (`held`), kept beside the outbox.
    pub fn held(&self) -> Option<crate::held::Held> {
        crate::held::decode(&self.store.get(&self.key("files"))?)
    }

    /// `false` when the browser refused (quota): the files then live in memory only.
    pub fn save_held(&self, held: &crate::held::Held) -> bool {
        if held.files.is_empty() {
            self.store.remove(&self.key("files"));
            true
        } else {
            self.store
                .set(&self.key("files"), &crate::held::encode(held))
        }
    }

    /// `logout()`: this namespace's device id, outbox, read marker and kept files are forgotten.
    pub fn forget(&self) {
        for name in ["device", "outbox", "read", "files"] {
            self.store.remove(&self.key(name));
        }
    }

    pub fn is_outbox_key(&self, key: &str) -> bool {
        key == self.key("outbox")
    }
}

/// 32 lowercase hex characters: 128 bits.
pub fn is_device_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// The outbox is stored as text the widget writes and reads itself, so no JSON parser is compiled in:
// per entry a header line `client_id \t session_id or - \t failed-flag \t content length in bytes`,
// then the content bytes, then the failure text line when flagged.
fn encode_outbox(outbox: &[Pending]) -> String {
    let mut out = String::from("v1\n");
    for p in outbox {
        let failed = p.failed.as_deref().unwrap_or("");
        out.push_str(&format!(
            "{}\t{}\t{}\t{}",
            p.client_id,
            p.session_id.as_deref().unwrap_or("-"),
            crate::text::decimal(failed.len() as i64),
            crate::text::decimal(p.content.len() as i64),
        ));
        // One more field per file, `id size type name`: the server refuses a name with a tab or a newline,
        // and the name goes last, so its spaces are its own.
        for a in &p.attachments {
            for part in [
                "\t",
                &a.id,
                " ",
                &crate::text::decimal(a.size),
                " ",
                &a.media_type,
                " ",
                &a.name,
            ] {
                out.push_str(part);
            }
        }
        out.push('\n');
        out.push_str(&p.content);
        out.push_str(failed);
        out.push('\n');
    }
    out
}

/// `text` before the first `byte` (ASCII) and after it. A byte search: `split_once(char)` would bring
/// core's `char` searcher into the wasm (0.6 KB) for this one use.
fn split_at(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((&text[..at], &text[at + 1..]))
}

/// `id size type name`, as [`encode_outbox`] writes a file.
fn decode_attachment(text: &str) -> Option<Attachment> {
    let (id, rest) = split_at(text, b' ')?;
    let (size, rest) = split_at(rest, b' ')?;
    let (media_type, name) = split_at(rest, b' ')?;
    Some(Attachment {
        id: id.to_owned(),
        name: name.to_owned(),
        media_type: media_type.to_owned(),
        size: crate::text::parse_decimal(size)?,
    })
}

fn decode_outbox(text: &str) -> Vec<Pending> {
    let mut entries = Vec::new();
    let Some(mut rest) = text.strip_prefix("v1\n") else {
        return entries;
    };
    while !rest.is_empty() {
        let Some((header, after)) = split_at(rest, b'\n') else {
            break;
        };
        // Four fields: a tab left in the last one makes it no number, and the entry is dropped.
        let Some((client_id, fields)) = split_at(header, b'\t') else {
            break;
        };
        let Some((session_id, fields)) = split_at(fields, b'\t') else {
            break;
        };
        let Some((failed_len, mut files)) = split_at(fields, b'\t') else {
            break;
        };
        let content_len;
        let mut attachments = Vec::new();
        match split_at(files, b'\t') {
            None => content_len = files,
            Some((len, rest)) => {
                content_len = len;
                files = rest;
                loop {
                    let (file, rest) = split_at(files, b'\t').unwrap_or((files, ""));
                    let Some(attachment) = decode_attachment(file) else {
                        break;
                    };
                    attachments.push(attachment);
                    if rest.is_empty() {
                        break;
                    }
                    files = rest;
                }
                if attachments.is_empty() {
                    break;
                }
            }
        }
        let length = |text| crate::text::parse_decimal(text).and_then(|n| usize::try_from(n).ok());
        let (Some(failed_len), Some(content_len)) = (length(failed_len), length(content_len))
        else {
            break;
        };
        let (Some(content), Some(failed)) = (
            after.get(..content_len),
            after.get(content_len..content_len + failed_len),
        ) else {
            break;
        };
        entries.push(Pending {
            client_id: client_id.to_owned(),
            session_id: (session_id != "-").then(|| session_id.to_owned()),
            content: content.to_owned(),
            failed: (failed_len > 0).then(|| failed.to_owned()),
            attachments,
        });
        rest = after
            .get(content_len + failed_len..)
            .and_then(|r| r.strip_prefix('\n'))
            .unwrap_or("");
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(client_id: &str, session: Option<&str>, content: &str) -> Pending {
        Pending {
            client_id: client_id.into(),
            session_id: session.map(Into::into),
            content: content.into(),
            failed: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn keys_are_namespaced_by_widget_token_and_external_id() {
        let a = DeviceState::new(MemoryStore::default(), "wt_a", Some("ws_1"));
        a.device_id_or_create(|| "0".repeat(32));
        assert_eq!(a.store().keys(), vec!["frontdesk:v1:wt_a:ws_1:device"]);

        let shared = MemoryStore::default();
        shared.set("frontdesk:v1:wt_a:ws_1:device", &"1".repeat(32));
        let other_workspace = DeviceState::new(shared, "wt_a", Some("ws_2"));
        assert_eq!(other_workspace.device_id(), None);
        let default_scope = DeviceState::new(MemoryStore::default(), "wt_a", None);
        assert_eq!(default_scope.key("device"), "frontdesk:v1:wt_a:-:device");
    }

    #[test]
    fn device_id_is_created_once() {
        let state = DeviceState::new(MemoryStore::default(), "wt_a", None);
        let first = state.device_id_or_create(|| "ab".repeat(16));
        let second = state.device_id_or_create(|| panic!("must not create a second id"));
        assert_eq!(first, second);
    }

    #[test]
    fn a_corrupted_device_id_is_replaced() {
        let store = MemoryStore::default();
        store.set("frontdesk:v1:wt_a:-:device", "not-hex");
        let state = DeviceState::new(store, "wt_a", None);
        assert_eq!(state.device_id(), None);
        assert!(is_device_id(&state.device_id_or_create(|| "c".repeat(32))));
    }

    #[test]
    fn outbox_round_trips_any_content() {
        let state = DeviceState::new(MemoryStore::default(), "wt_a", None);
        let mut failed = pending("c_2", None, "");
        failed.failed = Some("too long".into());
        let mut files = pending("c_4", Some("s1"), "");
        for (id, name, media_type, size) in [
            ("a1", "my screen shot.png", "image/png", 48_213),
            ("b2", "<b>bill</b>.pdf", "application/pdf", 1),
        ] {
            files.attachments.push(Attachment {
                id: id.into(),
                name: name.into(),
                media_type: media_type.into(),
                size,
            });
        }
        let outbox = vec![
            pending("c_1", Some("s1"), "hello\n\tworld ✓\nv1\n"),
            failed,
            pending("c_3", Some("s1"), "<img src=x onerror=alert(1)>"),
            files,
        ];
        assert!(state.save_outbox(&outbox));
        assert_eq!(state.outbox(), outbox);
        state.save_outbox(&[]);
        assert!(state.store().keys().is_empty());
    }

    #[test]
    fn a_damaged_outbox_keeps_what_it_can() {
        let store = MemoryStore::default();
        store.set(
            "frontdesk:v1:wt_a:-:outbox",
            "v1\nc_1\t-\t0\t2\nhi\nc_2\tbroken",
        );
        let state = DeviceState::new(store, "wt_a", None);
        assert_eq!(state.outbox(), vec![pending("c_1", None, "hi")]);
        // A header whose fifth field is not a file is not one this widget wrote: it and what follows are dropped.
        let store = MemoryStore::default();
        store.set(
            "frontdesk:v1:wt_a:-:outbox",
            "v1\nc_1\t-\t0\t2\nhi\nc_2\t-\t0\t2\t9\nho\n",
        );
        let state = DeviceState::new(store, "wt_a", None);
        assert_eq!(state.outbox(), vec![pending("c_1", None, "hi")]);
    }

    #[test]
    fn forget_removes_only_this_namespace() {
        let store = MemoryStore::default();
        store.set("frontdesk:v1:wt_a:ws_2:device", &"2".repeat(32));
        store.set("unrelated", "x");
        let state = DeviceState::new(store, "wt_a", Some("ws_1"));
        state.device_id_or_create(|| "1".repeat(32));
        state.save_outbox(&[pending("c_1", None, "hi")]);
        state.set_last_read(9);
        state.forget();
        assert_eq!(
            state.store().keys(),
            vec!["frontdesk:v1:wt_a:ws_2:device", "unrelated"]
        );
    }

    #[test]
    fn held_files_live_under_the_namespaced_files_key_and_leave_when_none_remain() {
        use crate::held::{Held, HeldFile};
        let state = DeviceState::new(MemoryStore::default(), "wt_a", Some("ws_1"));
        assert_eq!(state.held(), None);
        let held = Held {
            session_id: None,
            caption: Some("bill".into()),
            client_id: Some("c_0123456789abcdef".into()),
            files: vec![HeldFile {
                name: "bill.pdf".into(),
                media_type: "application/pdf".into(),
                bytes: b"%PDF".to_vec(),
            }],
        };
        assert!(state.save_held(&held));
        assert_eq!(state.store().keys(), vec!["frontdesk:v1:wt_a:ws_1:files"]);
        assert_eq!(state.held(), Some(held));
        state.save_held(&Held::default());
        assert!(state.store().keys().is_empty());
    }

    #[test]
    fn last_read_only_moves_forward() {
        let state = DeviceState::new(MemoryStore::default(), "wt_a", None);
        state.set_last_read(5);
        state.set_last_read(3);
        assert_eq!(state.last_read(), 5);
    }
}
