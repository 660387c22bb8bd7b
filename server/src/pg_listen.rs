//! Hearing of messages stored by other instances, when several servers share one Postgres database.
//!
//! Every message insert notifies the channel `frontdesk_message` from the database itself (the trigger in
//! `migrations/postgres/`), with who can see the message; each instance listens on one dedicated connection and
//! wakes its own waiters for those audiences. Postgres delivers a notification at commit, so a woken long-poll
//! always finds the row. What a notification carries is only a hint: a waiter still reads from its cursor, so a
//! lost notification (the listening connection dropped) costs latency, never a message — and on every reconnect
//! all waiters re-read, in case one was missed while the connection was down.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgListener;

use crate::realtime::{Audience, Notifier};

/// The channel the trigger notifies.
pub const CHANNEL: &str = "frontdesk_message";
/// The channel typing and seen signals go through (`routes::send_signal`): they are not stored, so the database
/// only relays them, to every instance, the sender's included.
pub const SIGNAL_CHANNEL: &str = "frontdesk_signal";

/// A signal's notification: who sees its chat, as in [`Payload`], and the signal.
#[derive(Debug, Deserialize, serde::Serialize, PartialEq)]
struct SignalPayload {
    org: i64,
    contact: Option<i64>,
    device: Option<String>,
    scope: Option<String>,
    signal: frontdesk_protocol::wire::Signal,
}

/// The notification payload of `signal` in `session`.
pub fn signal_payload(
    session: &crate::chats::Session,
    signal: &frontdesk_protocol::wire::Signal,
) -> String {
    let payload = SignalPayload {
        org: session.org_id,
        contact: session.contact.as_ref().map(|c| c.id),
        device: session.device_hash.as_deref().map(crate::auth::hex),
        scope: session.external_id.clone(),
        signal: signal.clone(),
    };
    serde_json::to_string(&payload).unwrap_or_default()
}

/// A notification's payload: the chat's owner and org (`json_build_object` in the trigger).
#[derive(Debug, Deserialize, PartialEq)]
struct Payload {
    org: i64,
    contact: Option<i64>,
    /// The owner device's digest, in hex.
    device: Option<String>,
    scope: Option<String>,
}

impl Payload {
    fn audiences(self) -> Option<[Audience; 2]> {
        let owner = match (self.contact, self.device) {
            (Some(contact_id), _) => Audience::Contact {
                org_id: self.org,
                contact_id,
                scope: self.scope,
            },
            (None, Some(device)) => Audience::Device {
                org_id: self.org,
                device_hash: decode_hex(&device)?,
                scope: self.scope,
            },
            (None, None) => return None,
        };
        Some([owner, Audience::Org(self.org)])
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// How long to wait before reconnecting after the listening connection could not be opened.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Listens on `url` for as long as the task runs (the server aborts it at shutdown), reconnecting when the
/// connection drops.
pub async fn listen(url: String, notifier: Arc<Notifier>) {
    loop {
        let mut listener = match connect(&url).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!("cannot listen for other instances' messages (retrying): {e}");
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue;
            }
        };
        // Listening again: whatever was stored while not listening is found by re-reading.
        notifier.wake_all();
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) if notification.channel() == SIGNAL_CHANNEL => {
                    let parsed = serde_json::from_str::<SignalPayload>(notification.payload())
                        .ok()
                        .and_then(|p| {
                            let audiences = Payload {
                                org: p.org,
                                contact: p.contact,
                                device: p.device,
                                scope: p.scope,
                            }
                            .audiences()?;
                            Some((audiences, p.signal))
                        });
                    // A signal that cannot be read is dropped: it is only ever a hint of the moment.
                    if let Some((audiences, signal)) = parsed {
                        notifier.push_signal(audiences, signal);
                    }
                }
                Ok(Some(notification)) => {
                    match serde_json::from_str::<Payload>(notification.payload())
                        .ok()
                        .and_then(Payload::audiences)
                    {
                        Some(audiences) => notifier.publish(&audiences),
                        // Not one of ours (another program on the channel): wake everyone rather than guess.
                        None => notifier.wake_all(),
                    }
                }
                // The connection was lost. Reconnect here rather than in `try_recv`, so that the waiters re-read
                // only once the new connection is listening.
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(
                        "lost the connection that listens for other instances' messages: {e}"
                    );
                    break;
                }
            }
        }
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen_all([CHANNEL, SIGNAL_CHANNEL]).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_the_owner_and_the_org() {
        let device: Payload =
            serde_json::from_str(r#"{"org":3,"contact":null,"device":"00ff","scope":"ws"}"#)
                .unwrap();
        assert_eq!(
            device.audiences().unwrap(),
            [
                Audience::Device {
                    org_id: 3,
                    device_hash: vec![0, 255],
                    scope: Some("ws".into())
                },
                Audience::Org(3)
            ]
        );
        let contact: Payload =
            serde_json::from_str(r#"{"org":3,"contact":7,"device":null,"scope":null}"#).unwrap();
        assert_eq!(
            contact.audiences().unwrap()[0],
            Audience::Contact {
                org_id: 3,
                contact_id: 7,
                scope: None
            }
        );
        assert_eq!(
            decode_hex(&crate::auth::hex(&[0, 1, 171, 255])),
            Some(vec![0, 1, 171, 255])
        );
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex("abc"), None);
    }
}
