//! Orgs (sites), their agents and their verified contacts: the rows that the CLI and `authenticate-user` write.

use sqlx::AnyPool;

use crate::auth;
use crate::domain::attachment::AttachmentRules;
use crate::domain::office_hours::{InvalidOfficeHours, OfficeHours, OfficeHoursSpec};
use crate::domain::{AllowedOrigin, Label};
use frontdesk_protocol::limits;

/// What `org create` hands to the site owner. The secret key is not stored (only its hash), so this is the only
/// time it can be shown.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub id: i64,
    pub widget_token: String,
    pub secret_key: String,
}

/// Failures of the admin commands, worded for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no org has the widget token {0:?}; use the `widget token` printed by `frontdesk-server org create`")]
    UnknownWidgetToken(String),
    #[error("{0}")]
    InvalidWidgetText(#[from] InvalidWidgetText),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

pub async fn create_org(
    db: &AnyPool,
    name: &Label,
    allowed_origins: &[AllowedOrigin],
) -> Result<NewOrg, sqlx::Error> {
    let widget_token = auth::generate_widget_token();
    let secret_key = auth::generate_secret_key();
    let mut tx = db.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO orgs (name, widget_token, secret_key_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name.as_str())
    .bind(&widget_token)
    .bind(auth::hash_secret(&secret_key))
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    for origin in allowed_origins {
        sqlx::query("INSERT INTO org_allowed_origins (org_id, origin) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(origin.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(NewOrg {
        id,
        widget_token,
        secret_key,
    })
}

/// Creates an agent of the org that owns `widget_token`; returns its key (`ak_…`), which is not stored.
pub async fn create_agent(
    db: &AnyPool,
    widget_token: &str,
    name: &Label,
    avatar_url: Option<&crate::domain::AvatarUrl>,
) -> Result<String, AdminError> {
    let org = org_for_widget_token(db, widget_token)
        .await?
        .ok_or_else(|| AdminError::UnknownWidgetToken(widget_token.to_owned()))?;
    let key = auth::generate_agent_key();
    sqlx::query(
        "INSERT INTO agents (org_id, name, key_hash, created_at, avatar_url) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org.id)
    .bind(name.as_str())
    .bind(auth::hash_secret(&key))
    .bind(now())
    .bind(avatar_url.map(|u| u.as_str().to_owned()))
    .execute(db)
    .await?;
    Ok(key)
}

/// An org as the widget API sees it.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: i64,
    /// Normalised origins; empty = the widget token works from any origin.
    pub allowed_origins: Vec<String>,
    pub attachments: AttachmentRules,
}

impl Org {
    /// The Origin rule: a request that names an origin must name an allowed one (when the org has any). A request
    /// without `Origin` passes: the rule keeps other sites from embedding the token, it is not authentication.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        let (Some(origin), false) = (origin, self.allowed_origins.is_empty()) else {
            return true;
        };
        AllowedOrigin::parse(origin)
            .is_ok_and(|o| self.allowed_origins.iter().any(|a| a == o.as_str()))
    }
}

/// The org of a widget token: its current one, or the one before the last rotation while in its grace (sites'
/// cached pages still carry it).
pub async fn org_for_widget_token(
    db: &AnyPool,
    widget_token: &str,
) -> Result<Option<Org>, sqlx::Error> {
    let rows: Vec<(i64, Option<String>, i64, i64, String)> = sqlx::query_as(
        "SELECT o.id, a.origin, o.attachment_max_bytes, o.attachments_per_message, o.attachment_types
         FROM orgs o LEFT JOIN org_allowed_origins a ON a.org_id = o.id
         WHERE o.widget_token = $1 OR (o.previous_widget_token = $1 AND o.previous_widget_token_retires_at > $2)",
    )
    .bind(widget_token)
    .bind(now())
    .fetch_all(db)
    .await?;
    let Some((id, _, max_bytes, per_message, types)) = rows.first().cloned() else {
        return Ok(None);
    };
    Ok(Some(Org {
        id,
        allowed_origins: rows
            .into_iter()
            .filter_map(|(_, origin, ..)| origin)
            .collect(),
        attachments: AttachmentRules::from_columns(max_bytes, per_message, &types),
    }))
}

/// What the site's backend says about a user. `None` fields leave the stored value as it is.
#[derive(Debug, Clone, Default)]
pub struct ContactUpdate {
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    /// Trusted custom data, as JSON text; replaces the stored object when given.
    pub custom_data: Option<String>,
}

/// A contact's profile as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct ProfileRow {
    id: i64,
    name: Option<String>,
    avatar_url: Option<String>,
    phone: Option<String>,
    language: Option<String>,
    custom_data: String,
}

impl ProfileRow {
    /// The profile after `update`, and the names of the fields it changes.
    fn updated(&self, update: &ContactUpdate) -> (Self, Vec<&'static str>) {
        let mut after = self.clone();
        let mut changed = Vec::new();
        let fields: [(&'static str, &mut Option<String>, &Option<String>); 4] = [
            ("name", &mut after.name, &update.name),
            ("avatar_url", &mut after.avatar_url, &update.avatar_url),
            ("phone", &mut after.phone, &update.phone),
            ("language", &mut after.language, &update.language),
        ];
        for (field, stored, given) in fields {
            if given.is_some() && *stored != *given {
                stored.clone_from(given);
                changed.push(field);
            }
        }
        // Both sides are serde_json's text of an object (keys sorted), so equal data is equal text.
        if let Some(custom_data) = &update.custom_data {
            if *custom_data != after.custom_data {
                after.custom_data.clone_from(custom_data);
                changed.push("custom_data");
            }
        }
        (after, changed)
    }

    fn profile(self, email: &crate::domain::Email) -> crate::webhooks::ContactProfile {
        crate::webhooks::ContactProfile {
            id: self.id,
            email: email.as_str().to_owned(),
            name: self.name,
            avatar_url: self.avatar_url,
            phone: self.phone,
            language: self.language,
            custom_data: crate::chats::json_object(Some(&self.custom_data)),
        }
    }
}

/// Creates or updates the contact `email` of `org_id`; returns its id. Its creation, or a change to its profile,
/// queues `contact.updated` in the same transaction; a login that changes nothing queues nothing.
pub async fn upsert_contact(
    db: &AnyPool,
    org_id: i64,
    email: &crate::domain::Email,
    update: &ContactUpdate,
) -> Result<i64, sqlx::Error> {
    let now = now();
    // Twice at most: a first login racing ours may insert the contact between our update and our insert.
    for _ in 0..2 {
        let mut tx = db.begin().await?;
        // A write first: on SQLite it takes the write lock at once (a read first could not upgrade while another
        // connection writes), on Postgres it locks the row; and it returns the profile as it was.
        let before: Option<ProfileRow> = sqlx::query_as(
            "UPDATE contacts SET updated_at = $3 WHERE org_id = $1 AND email = $2
             RETURNING id, name, avatar_url, phone, language, custom_data",
        )
        .bind(org_id)
        .bind(email.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let (profile, created, changed) = match before {
            Some(before) => {
                let (after, changed) = before.updated(update);
                if !changed.is_empty() {
                    sqlx::query(
                        "UPDATE contacts SET name = $2, avatar_url = $3, phone = $4, language = $5, custom_data = $6
                         WHERE id = $1",
                    )
                    .bind(after.id)
                    .bind(&after.name)
                    .bind(&after.avatar_url)
                    .bind(&after.phone)
                    .bind(&after.language)
                    .bind(&after.custom_data)
                    .execute(&mut *tx)
                    .await?;
                }
                (after, false, changed)
            }
            None => {
                let inserted: Option<ProfileRow> = sqlx::query_as(
                    "INSERT INTO contacts (org_id, email, name, avatar_url, phone, language, custom_data, created_at,
                                           updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'), $8, $8)
                     ON CONFLICT (org_id, email) DO NOTHING
                     RETURNING id, name, avatar_url, phone, language, custom_data",
                )
                .bind(org_id)
                .bind(email.as_str())
                .bind(&update.name)
                .bind(&update.avatar_url)
                .bind(&update.phone)
                .bind(&update.language)
                .bind(&update.custom_data)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(inserted) = inserted else {
                    tx.rollback().await?;
                    continue;
                };
                let mut given = vec!["email"];
                for (field, value) in [
                    ("name", &update.name),
                    ("avatar_url", &update.avatar_url),
                    ("phone", &update.phone),
                    ("language", &update.language),
                    ("custom_data", &update.custom_data),
                ] {
                    if value.is_some() {
                        given.push(field);
                    }
                }
                (inserted, true, given)
            }
        };
        let id = profile.id;
        let queued = if changed.is_empty() {
            0
        } else {
            let event =
                crate::webhooks::Event::contact_updated(profile.profile(email), created, changed);
            crate::webhooks::enqueue(&mut tx, org_id, event).await?
        };
        tx.commit().await?;
        crate::webhooks::wake(queued);
        return Ok(id);
    }
    Err(sqlx::Error::RowNotFound)
}

/// Unix seconds now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_rule() {
        let open = Org {
            id: 1,
            allowed_origins: vec![],
            attachments: AttachmentRules::default(),
        };
        assert!(open.allows_origin(Some("https://anywhere.example")));
        assert!(open.allows_origin(None));

        let closed = Org {
            id: 1,
            allowed_origins: vec!["https://shop.example".into()],
            attachments: AttachmentRules::default(),
        };
        assert!(closed.allows_origin(Some("https://shop.example")));
        assert!(closed.allows_origin(Some("https://SHOP.example:443")));
        assert!(closed.allows_origin(None));
        assert!(!closed.allows_origin(Some("https://evil.example")));
        assert!(!closed.allows_origin(Some("http://shop.example")));
        assert!(!closed.allows_origin(Some("null")));
    }
}

/// An org's attachment rules, by id (the agent API knows the org from its key).
pub async fn attachment_rules(db: &AnyPool, org_id: i64) -> Result<AttachmentRules, sqlx::Error> {
    let (max_bytes, per_message, types): (i64, i64, String) = sqlx::query_as(
        "SELECT attachment_max_bytes, attachments_per_message, attachment_types FROM orgs WHERE id = $1",
    )
    .bind(org_id)
    .fetch_one(db)
    .await?;
    Ok(AttachmentRules::from_columns(
        max_bytes,
        per_message,
        &types,
    ))
}

/// What `org update` changes; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct OrgUpdate {
    pub max_attachment_bytes: Option<i64>,
    pub max_attachments_per_message: Option<i64>,
    pub attachment_types: Option<Vec<String>>,
    /// The greeting bubbles (checked by [`WidgetTexts::parse_lines`]); an empty list removes them.
    pub greeting: Option<Vec<String>>,
    /// The suggested first questions; an empty list removes them.
    pub suggested_questions: Option<Vec<String>>,
    /// `Some(None)` removes the office hours (always in).
    pub office_hours: Option<Option<OfficeHoursSpec>>,
}

/// What the widget shows before a chat's first message, and the org's office hours.
#[derive(Debug, Clone, Default)]
pub struct WidgetTexts {
    pub greeting: Vec<String>,
    pub suggested_questions: Vec<String>,
    pub office_hours: Option<OfficeHours>,
}

/// Why `org update` refused a greeting, a question or office hours.
#[derive(Debug, thiserror::Error)]
pub enum InvalidWidgetText {
    #[error("{what}: at most {max}")]
    TooMany { what: &'static str, max: usize },
    #[error("{what} {index}: {problem}")]
    Line {
        what: &'static str,
        index: usize,
        problem: frontdesk_protocol::Invalid,
    },
    #[error("office hours: {0}")]
    OfficeHours(#[from] InvalidOfficeHours),
}

impl WidgetTexts {
    /// Greeting bubbles: at most `limits::GREETING_MAX_MESSAGES` of at most `limits::GREETING_MAX_CHARS`.
    pub fn parse_greeting(lines: &[String]) -> Result<Vec<String>, InvalidWidgetText> {
        parse_lines(
            "greeting",
            lines,
            limits::GREETING_MAX_MESSAGES,
            limits::GREETING_MAX_CHARS,
        )
    }

    pub fn parse_questions(lines: &[String]) -> Result<Vec<String>, InvalidWidgetText> {
        parse_lines(
            "suggested question",
            lines,
            limits::SUGGESTED_QUESTIONS_MAX,
            limits::SUGGESTED_QUESTION_MAX_CHARS,
        )
    }
}

fn parse_lines(
    what: &'static str,
    lines: &[String],
    max: usize,
    max_chars: usize,
) -> Result<Vec<String>, InvalidWidgetText> {
    if lines.len() > max {
        return Err(InvalidWidgetText::TooMany { what, max });
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            frontdesk_protocol::rules::short_text(line, max_chars)
                .map(str::to_owned)
                .map_err(|problem| InvalidWidgetText::Line {
                    what,
                    index: i + 1,
                    problem,
                })
        })
        .collect()
}

/// Reads a JSON list column; a value this server did not write reads as none.
pub fn json_lines(column: Option<String>) -> Vec<String> {
    column
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// The org's greeting, suggested questions and office hours (`GET /widget/v1/settings`).
pub async fn widget_texts(db: &AnyPool, org_id: i64) -> Result<WidgetTexts, sqlx::Error> {
    let (greeting, questions, hours): (Option<String>, Option<String>, Option<String>) =
        sqlx::query_as(
            "SELECT greeting, suggested_questions, office_hours FROM orgs WHERE id = $1",
        )
        .bind(org_id)
        .fetch_one(db)
        .await?;
    Ok(WidgetTexts {
        greeting: json_lines(greeting),
        suggested_questions: json_lines(questions),
        office_hours: hours
            .and_then(|text| serde_json::from_str::<OfficeHoursSpec>(&text).ok())
            .and_then(|spec| OfficeHours::parse(&spec).ok()),
    })
}

/// Stores what `update` says of the greeting, questions and office hours, all checked before any is written.
async fn update_widget_texts(
    db: &AnyPool,
    org_id: i64,
    update: &OrgUpdate,
) -> Result<(), AdminError> {
    let column = |lines: Vec<String>| {
        (!lines.is_empty()).then(|| serde_json::to_string(&lines).unwrap_or_default())
    };
    let greeting = update
        .greeting
        .as_deref()
        .map(WidgetTexts::parse_greeting)
        .transpose()?
        .map(column);
    let questions = update
        .suggested_questions
        .as_deref()
        .map(WidgetTexts::parse_questions)
        .transpose()?
        .map(column);
    if let Some(Some(spec)) = &update.office_hours {
        OfficeHours::parse(spec).map_err(InvalidWidgetText::from)?;
    }
    let hours = update.office_hours.as_ref().map(|hours| {
        hours
            .as_ref()
            .map(|spec| serde_json::to_string(spec).unwrap_or_default())
    });
    // One statement: a CASE keeps each column whose flag was not given.
    sqlx::query(
        "UPDATE orgs SET
             greeting = CASE WHEN $2 = 1 THEN $3 ELSE greeting END,
             suggested_questions = CASE WHEN $4 = 1 THEN $5 ELSE suggested_questions END,
             office_hours = CASE WHEN $6 = 1 THEN $7 ELSE office_hours END
         WHERE id = $1",
    )
    .bind(org_id)
    .bind(i64::from(greeting.is_some()))
    .bind(greeting.flatten())
    .bind(i64::from(questions.is_some()))
    .bind(questions.flatten())
    .bind(i64::from(hours.is_some()))
    .bind(hours.flatten())
    .execute(db)
    .await?;
    Ok(())
}

/// Applies `update` to the org of `widget_token`; returns its rules and texts after.
pub async fn update_org(
    db: &AnyPool,
    widget_token: &str,
    update: &OrgUpdate,
) -> Result<(AttachmentRules, WidgetTexts), AdminError> {
    let org = org_for_widget_token(db, widget_token)
        .await?
        .ok_or_else(|| AdminError::UnknownWidgetToken(widget_token.to_owned()))?;
    update_widget_texts(db, org.id, update).await?;
    let rules = org.attachments;
    let max_bytes = update.max_attachment_bytes.unwrap_or(rules.max_bytes);
    let per_message = update
        .max_attachments_per_message
        .unwrap_or(rules.max_per_message);
    let types = update
        .attachment_types
        .clone()
        .unwrap_or(rules.types)
        .join(",");
    sqlx::query(
        "UPDATE orgs SET attachment_max_bytes = $2, attachments_per_message = $3, attachment_types = $4 WHERE id = $1",
    )
    .bind(org.id)
    .bind(max_bytes)
    .bind(per_message)
    .bind(&types)
    .execute(db)
    .await?;
    Ok((
        AttachmentRules::from_columns(max_bytes, per_message, &types),
        widget_texts(db, org.id).await?,
    ))
}
