//! Real answers decoded with the protocol crate's types, the ones the widget decodes into: a field renamed or
//! retyped on the server fails here, not in a visitor's browser.

use frontdesk_protocol::wire::{
    ErrorEnvelope, MessageEnvelope, MessagePage, Session, SessionEnvelope, SessionList, Updates,
    UserToken,
};
use frontdesk_protocol::{Author, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::helpers::{spawn_app, Reply};

impl Reply {
    /// The body as the protocol type `T`, after checking the status.
    #[track_caller]
    pub fn decode<T: DeserializeOwned>(&self, status: u16) -> T {
        let body = self.assert_status(status);
        serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("not the documented shape ({e}): {body:#}"))
    }
}

#[tokio::test]
async fn widget_answers_decode_into_the_protocol_types() {
    let app = spawn_app().await;
    let visitor = app.device().in_scope("ws_1");

    let started = app
        .start_session_with(&visitor, json!({ "client_id": "c_start_0001" }))
        .await;
    let SessionEnvelope { session } = started.decode::<SessionEnvelope>(201);
    assert_eq!(started.body["session"]["external_id"], "ws_1");
    assert!(!session.verified && session.last_message.is_none());
    assert!(session.created_at.ends_with('Z'), "{}", session.created_at);

    let body = json!({ "client_id": "c_message_01", "content": "Hello" });
    let sent = app
        .send_with(&visitor, &session.id, body.clone())
        .await
        .decode::<MessageEnvelope>(201)
        .message;
    assert_eq!(
        (
            sent.author.clone(),
            sent.client_id.as_deref(),
            sent.content.as_str(),
            sent.author_name.as_deref()
        ),
        (Author::Visitor, Some("c_message_01"), "Hello", None)
    );
    let again = app.send_with(&visitor, &session.id, body).await;
    assert_eq!(again.decode::<MessageEnvelope>(200).message, sent);

    let MessagePage { messages, .. } = app
        .messages(&visitor, &session.id)
        .await
        .decode::<MessagePage>(200);
    assert_eq!(messages, vec![sent.clone()]);

    let SessionList { sessions } = app.sessions(&visitor).await.decode::<SessionList>(200);
    let listed: &Session = &sessions[0];
    assert_eq!(
        (listed.id.as_str(), listed.last_message.as_ref()),
        (session.id.as_str(), Some(&sent))
    );

    let updates = app.updates(&visitor, 0, 0).await.decode::<Updates>(200);
    assert_eq!(
        (updates.messages, updates.cursor),
        (vec![sent.clone()], sent.id)
    );
}

#[tokio::test]
async fn agent_and_server_to_server_answers_decode_too() {
    let app = spawn_app().await;
    let token = app
        .authenticate_user(json!({ "email": "ann@example.com" }))
        .await
        .decode::<UserToken>(200);
    assert!(token.token.starts_with("fdu1.") && token.expires_at.ends_with('Z'));

    let visitor = app.user(&token.token);
    let session = app.start_session(&visitor).await;
    let reply = app
        .agent_reply(&app.org.secret_key, &session, "Hi Ann")
        .await
        .decode::<MessageEnvelope>(201)
        .message;
    assert_eq!(
        (reply.author.clone(), reply.author_name.as_deref()),
        (Author::Agent, Some("Support"))
    );
    // An agent's session is the visitor's `Session` and more: the shared fields decode alike.
    let SessionList { sessions } = app
        .agent_sessions(&app.org.secret_key, None)
        .await
        .decode::<SessionList>(200);
    assert_eq!(
        (sessions[0].verified, sessions[0].last_message.as_ref()),
        (true, Some(&reply))
    );
    let agent_updates = app
        .agent_updates(&app.org.secret_key, 0, 0)
        .await
        .decode::<Updates>(200);
    assert_eq!(agent_updates.messages, vec![reply]);
}

#[tokio::test]
async fn every_error_answer_carries_a_code_of_the_protocol() {
    let app = spawn_app().await;
    let mut no_token = app.device();
    no_token.widget_token = None;
    let mut replies = vec![
        app.sessions(&no_token).await,
        app.messages(&app.device(), "0123456789abcdef0123456789abcdef")
            .await,
        app.authenticate_user(json!({ "email": "john" })).await,
        app.request(reqwest::Method::GET, "/nowhere").await,
        app.request(reqwest::Method::DELETE, "/widget/v1/sessions")
            .await,
    ];
    replies.push(app.agent_sessions("sk_wrong", None).await);
    let codes: Vec<ErrorCode> = replies
        .iter()
        .map(|reply| {
            let ErrorEnvelope { error } = reply.decode(reply.status.as_u16());
            error
                .code
                .parse()
                .unwrap_or_else(|_| panic!("{} is not a protocol code", error.code))
        })
        .collect();
    assert_eq!(
        codes,
        [
            ErrorCode::InvalidWidgetToken,
            ErrorCode::SessionNotFound,
            ErrorCode::InvalidBody,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::InvalidApiKey,
        ]
    );
}
