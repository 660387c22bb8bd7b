//! What the widget shows before a chat's first message (greeting, suggested questions, office hours), the greeting
//! stored when the visitor answers, and the email a visitor leaves outside office hours.

use frontdesk_server::domain::office_hours::OfficeHoursSpec;
use frontdesk_server::orgs::{self, AdminError, OrgUpdate};
use serde_json::json;

use crate::helpers::spawn_app;

fn spec(zone: &str, weekly: &[&str]) -> OfficeHoursSpec {
    OfficeHoursSpec {
        time_zone: zone.into(),
        weekly: weekly.iter().map(|s| s.to_string()).collect(),
    }
}

#[tokio::test]
async fn settings_carry_the_orgs_greeting_questions_and_office_hours() {
    let app = spawn_app().await;
    let visitor = app.device();
    // None set: empty lists, and no office hours (always in).
    let settings = app.widget_get(&visitor, "/widget/v1/settings").await;
    let settings = settings.assert_status(200);
    assert_eq!(settings["greeting"], json!([]));
    assert_eq!(settings["suggested_questions"], json!([]));
    assert_eq!(settings["office_hours"], json!(null));

    orgs::update_org(
        &app.db,
        &app.org.widget_token,
        &OrgUpdate {
            greeting: Some(vec![
                "  Hi! How can we help?  ".into(),
                "We read everything.".into(),
            ]),
            suggested_questions: Some(vec!["Where is my order?".into()]),
            // Every minute of every day: open whenever the test runs.
            office_hours: Some(Some(spec("Asia/Tokyo", &["mon-sun 00:00-24:00"]))),
            ..OrgUpdate::default()
        },
    )
    .await
    .unwrap();
    let settings = app.widget_get(&visitor, "/widget/v1/settings").await;
    let settings = settings.assert_status(200);
    assert_eq!(
        settings["greeting"],
        json!(["Hi! How can we help?", "We read everything."])
    );
    assert_eq!(
        settings["suggested_questions"],
        json!(["Where is my order?"])
    );
    assert_eq!(settings["office_hours"]["open"], json!(true));
    assert_eq!(settings["office_hours"]["time_zone"], json!("Asia/Tokyo"));
    assert_eq!(settings["office_hours"]["next_open_at"], json!(null));
    // Open all week: the next close is more than a fortnight away, so none is named.
    assert_eq!(settings["office_hours"]["next_close_at"], json!(null));

    // A single minute a week: closed (but for one minute in 10,080), with the next opening named in UTC.
    orgs::update_org(
        &app.db,
        &app.org.widget_token,
        &OrgUpdate {
            office_hours: Some(Some(spec("UTC", &["sun 03:00-03:01"]))),
            ..OrgUpdate::default()
        },
    )
    .await
    .unwrap();
    let settings = app.widget_get(&visitor, "/widget/v1/settings").await;
    let hours = &settings.assert_status(200)["office_hours"];
    if hours["open"] == json!(false) {
        let next = hours["next_open_at"].as_str().unwrap();
        assert!(next.ends_with("T03:00:00Z"), "{next}");
    }

    // Removed: lists empty again, hours gone; the other settings kept.
    let (_, texts) = orgs::update_org(
        &app.db,
        &app.org.widget_token,
        &OrgUpdate {
            greeting: Some(vec![]),
            office_hours: Some(None),
            ..OrgUpdate::default()
        },
    )
    .await
    .unwrap();
    assert!(texts.greeting.is_empty());
    assert!(texts.office_hours.is_none());
    assert_eq!(texts.suggested_questions, vec!["Where is my order?"]);
}

#[tokio::test]
async fn update_refuses_bad_texts_and_hours_and_stores_nothing_of_them() {
    let app = spawn_app().await;
    let refused = |update: OrgUpdate| {
        let app = &app;
        async move {
            match orgs::update_org(&app.db, &app.org.widget_token, &update).await {
                Err(AdminError::InvalidWidgetText(e)) => e.to_string(),
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
    };
    let too_many = refused(OrgUpdate {
        greeting: Some(vec!["hi".into(); 6]),
        ..OrgUpdate::default()
    })
    .await;
    assert_eq!(too_many, "greeting: at most 5");
    let long = refused(OrgUpdate {
        suggested_questions: Some(vec!["ok".into(), "x".repeat(201)]),
        ..OrgUpdate::default()
    })
    .await;
    assert!(long.starts_with("suggested question 2: "), "{long}");
    let blank = refused(OrgUpdate {
        greeting: Some(vec!["\u{200b} ".into()]),
        ..OrgUpdate::default()
    })
    .await;
    assert!(blank.starts_with("greeting 1: "), "{blank}");
    // A valid greeting beside bad hours: neither is stored.
    let zone = refused(OrgUpdate {
        greeting: Some(vec!["Hello".into()]),
        office_hours: Some(Some(spec("Mars/Olympus", &["mon 09:00-17:00"]))),
        ..OrgUpdate::default()
    })
    .await;
    assert!(
        zone.starts_with("office hours: unknown time zone"),
        "{zone}"
    );
    let texts = orgs::widget_texts(&app.db, app.org.id).await.unwrap();
    assert!(texts.greeting.is_empty());
    assert!(texts.office_hours.is_none());
}

#[tokio::test]
async fn a_greeting_is_stored_ahead_of_the_first_message_only_when_the_visitor_answers() {
    let app = spawn_app().await;
    let visitor = app.device();
    let started = app
        .start_session_with(
            &visitor,
            json!({ "client_id": "c_greeting_1", "greeting": ["Hi there!", "Ask us anything."] }),
        )
        .await;
    let session = started.assert_status(201)["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.send(&visitor, &session, "Where is my order?")
        .await
        .assert_status(201);
    for (who, reply) in [
        ("visitor", app.messages(&visitor, &session).await),
        (
            "agent",
            app.agent_messages(&app.org.secret_key, &session).await,
        ),
    ] {
        let messages = reply.assert_status(200)["messages"]
            .as_array()
            .unwrap()
            .clone();
        let seen: Vec<(String, String, Option<String>)> = messages
            .iter()
            .map(|m| {
                (
                    m["kind"].as_str().unwrap().to_owned(),
                    m["content"].as_str().unwrap().to_owned(),
                    m["author_name"].as_str().map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("greeting".into(), "Hi there!".into(), None),
                ("greeting".into(), "Ask us anything.".into(), None),
                ("text".into(), "Where is my order?".into(), None),
            ],
            "as the {who} sees it"
        );
        assert_eq!(messages[0]["author"], "agent");
    }
    // A retried start stores no second greeting.
    app.start_session_with(
        &visitor,
        json!({ "client_id": "c_greeting_1", "greeting": ["Hi there!"] }),
    )
    .await
    .assert_status(200);
    assert_eq!(app.contents(&visitor, &session).await.len(), 3);

    // Refused whole, with the reason: nothing of the chat is stored.
    let before = app.session_ids(&visitor).await.len();
    let reply = app
        .start_session_with(&visitor, json!({ "greeting": ["ok", ""] }))
        .await;
    assert!(reply
        .assert_error(422, "invalid_body")
        .starts_with("greeting 2: "));
    let reply = app
        .start_session_with(
            &visitor,
            json!({ "greeting": ["1", "2", "3", "4", "5", "6"] }),
        )
        .await;
    assert_eq!(
        reply.assert_error(422, "invalid_body"),
        "greeting: at most 5"
    );
    assert_eq!(app.session_ids(&visitor).await.len(), before);
}

#[tokio::test]
async fn a_visitor_leaves_an_email_that_agents_see_as_unverified() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "Anyone there?")
        .await
        .assert_status(201);
    let path = format!("/widget/v1/sessions/{session}/email");
    let bad = app
        .widget_post(&visitor, &path, json!({ "email": "not-an-email" }))
        .await;
    assert!(bad.assert_error(422, "invalid_body").starts_with("email: "));
    app.widget_post(&visitor, &path, json!({}))
        .await
        .assert_error(422, "invalid_body");
    let stored = app
        .widget_post(&visitor, &path, json!({ "email": "jane@example.com" }))
        .await;
    assert_eq!(stored.status.as_u16(), 204);
    let seen = app.agent_session(&session).await;
    assert_eq!(seen["contact"]["email"], "jane@example.com");
    assert_eq!(seen["verified"], false);
    assert_eq!(seen["contact"]["custom_data"], json!(null));

    // Another device cannot write on this chat; a verified visitor has nothing to leave.
    app.widget_post(&app.device(), &path, json!({ "email": "eve@example.com" }))
        .await
        .assert_error(404, "session_not_found");
    assert_eq!(
        app.agent_session(&session).await["contact"]["email"],
        "jane@example.com"
    );
    let user = app.verified("ver@example.com").await;
    let theirs = app.start_session(&user).await;
    let reply = app
        .widget_post(
            &user,
            &format!("/widget/v1/sessions/{theirs}/email"),
            json!({ "email": "other@example.com" }),
        )
        .await;
    assert!(reply
        .assert_error(422, "invalid_body")
        .starts_with("email: a verified visitor"));
    assert_eq!(
        app.agent_session(&theirs).await["contact"]["email"],
        "ver@example.com"
    );
}
