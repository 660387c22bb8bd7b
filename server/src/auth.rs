//! Secrets: generating keys, hashing and comparing them, signing and checking user tokens.
//!
//! **Invariant:** this is the only module that signs or checks a user token, signs a webhook delivery, hashes or
//! compares a secret key, an agent key or a device id. Everything else receives the outcome (an org id, a contact id, a hash).
//!
//! User token: `fdu1.<payload>.<signature>`; payload is base64url(JSON `{"org","sub","exp","kid"}`), signature is
//! base64url(HMAC-SHA256(signing key, `fdu1.<payload>`)). The signing key lives in the database (table
//! `signing_keys`), so tokens survive a restart and every server sharing the database accepts them. Slot 1 holds
//! the key that signs; a rotation moves it out of the slot with a `retires_at`, and until then it still checks the
//! tokens it signed (docs/operations.md, "Rotating keys").

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use subtle::ConstantTimeEq;

use crate::domain::DeviceId;
use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

const TOKEN_PREFIX: &str = "fdu1";

/// `n` random bytes from the operating system, as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// `bytes` as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The public token a site puts in its pages: `wt_` + 32 hex.
pub fn generate_widget_token() -> String {
    format!("wt_{}", random_hex(16))
}

/// The site's server-side key: `sk_` + 48 hex.
pub fn generate_secret_key() -> String {
    format!("sk_{}", random_hex(24))
}

/// A support agent's (or bot's) key: `ak_` + 48 hex.
pub fn generate_agent_key() -> String {
    format!("ak_{}", random_hex(24))
}

/// A webhook endpoint's signing secret: `whsec_` + 48 hex. Unlike the keys above it is stored as is: the server
/// signs every delivery with it (docs/api.md "Webhooks").
pub fn generate_webhook_secret() -> String {
    format!("whsec_{}", random_hex(24))
}

/// The `v1` of a delivery's `Frontdesk-Signature`: hex HMAC-SHA256, keyed with the endpoint's whole secret
/// (`whsec_…` as text), of `"<timestamp>.<body>"`: the recipe receivers repeat.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

/// SHA-256 of a secret. Keys are 192 random bits, so a plain fast hash is enough: there is nothing to brute-force,
/// and a stolen database yields no usable key.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// What the database stores instead of a device id.
pub fn device_hash(device: &DeviceId) -> Vec<u8> {
    hash_secret(device.as_str())
}

/// Constant-time equality, so a comparison's timing says nothing about how much of a secret matched.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Whether `authorization` (an `Authorization` header) carries the `/metrics` token whose SHA-256 digest is
/// `token_digest`. Digests of equal length are compared, so neither the token's length nor its content leaks.
pub fn metrics_token_matches(token_digest: &[u8], authorization: Option<&str>) -> bool {
    bearer(authorization).is_some_and(|presented| same(&hash_secret(presented), token_digest))
}

/// The bearer credential of an `Authorization` header, if it has that form.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, credential) = header?.trim().split_once(' ')?;
    let credential = credential.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !credential.is_empty()).then_some(credential)
}

/// The org whose secret key (current, or previous within its grace) this is, and the key's id.
pub async fn org_for_secret_key(
    db: &AnyPool,
    key: &str,
) -> Result<Option<SecretKeyOrg>, sqlx::Error> {
    if !key.starts_with("sk_") {
        return Ok(None);
    }
    let presented = hash_secret(key);
    // The lookup by hash is an index search whose timing depends on the stored values; that leaks nothing
    // useful because the attacker controls only the input of SHA-256, not its output. The final compare is
    // constant-time anyway so that correctness does not rest on that argument.
    let row: Option<(i64, Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT id, secret_key_hash, previous_secret_key_hash FROM orgs
         WHERE secret_key_hash = $1 OR (previous_secret_key_hash = $1 AND previous_secret_key_retires_at > $2)",
    )
    .bind(&presented)
    .bind(now_unix())
    .fetch_optional(db)
    .await?;
    Ok(row
        .filter(|(_, current, previous)| {
            same(current, &presented) || previous.as_deref().is_some_and(|p| same(p, &presented))
        })
        .map(|(org_id, ..)| SecretKeyOrg {
            org_id,
            key_id: key_id(&presented),
        }))
}

/// An org found by its secret key, and which of its keys it was (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyOrg {
    pub org_id: i64,
    pub key_id: String,
}

/// A secret key's public name: the first 6 bytes of its SHA-256 digest, in hex. It tells keys apart in `org
/// show` and the audit log and says nothing usable about the key (the digest is one-way, and 48 bits of it do
/// not even identify the digest).
pub fn key_id(digest: &[u8]) -> String {
    hex(&digest[..digest.len().min(6)])
}

/// A new secret key and the digest the database stores: what a rotation writes.
pub fn new_secret_key() -> (String, Vec<u8>) {
    let key = generate_secret_key();
    let digest = hash_secret(&key);
    (key, digest)
}

/// Who is calling the agent API.
#[derive(Debug, Clone)]
pub struct Agent {
    pub org_id: i64,
    /// Shown to visitors as the author of replies.
    pub name: String,
    /// Shown to visitors beside the name, when the agent has one.
    pub avatar_url: Option<String>,
}

/// The name replies carry when they are sent with the org's secret key rather than an agent key.
pub const SECRET_KEY_AGENT_NAME: &str = "Support";

/// Checks an agent API credential: the org's secret key or one of its agent keys.
pub async fn agent_for_key(db: &AnyPool, key: &str) -> Result<Option<Agent>, sqlx::Error> {
    if key.starts_with("sk_") {
        let org = org_for_secret_key(db, key).await?;
        return Ok(org.map(|org| Agent {
            org_id: org.org_id,
            name: SECRET_KEY_AGENT_NAME.to_owned(),
            avatar_url: None,
        }));
    }
    if !key.starts_with("ak_") {
        return Ok(None);
    }
    let presented = hash_secret(key);
    let row: Option<(i64, String, Vec<u8>, Option<String>)> =
        // Read per request, never cached: a revoked key is refused at once by every instance.
        sqlx::query_as(
            "SELECT org_id, name, key_hash, avatar_url FROM agents WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(&presented)
        .fetch_optional(db)
        .await?;
    Ok(row
        .filter(|(_, _, stored, _)| same(stored, &presented))
        .map(|(org_id, name, _, avatar_url)| Agent {
            org_id,
            name,
            avatar_url,
        }))
}

/// The key that signs user tokens. `id` goes into each token as `kid`.
#[derive(Clone)]
pub struct SigningKey {
    pub id: i64,
    secret: Vec<u8>,
}

impl SigningKey {
    /// A key from its parts: for tests and the fuzz targets, which have no database to keep one in.
    pub fn from_parts(id: i64, secret: Vec<u8>) -> Self {
        SigningKey { id, secret }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The current signing key, created on first use.
pub async fn current_signing_key(db: &AnyPool) -> Result<SigningKey, sqlx::Error> {
    // Two servers starting at once on a new database both try; `slot` is UNIQUE, so one insert wins and
    // both then read the same key.
    sqlx::query("INSERT INTO signing_keys (slot, secret, created_at) VALUES (1, $1, $2) ON CONFLICT (slot) DO NOTHING")
        .bind(new_secret())
        .bind(now_unix())
        .execute(db)
        .await?;
    let (id, secret) = sqlx::query_as("SELECT id, secret FROM signing_keys WHERE slot = 1")
        .fetch_one(db)
        .await?;
    Ok(SigningKey { id, secret })
}

/// Makes a new key the one that signs. With a `grace`, the previous key still checks the tokens it signed until
/// the grace ends (or it is retired); without one (`--now`), it and every earlier key are deleted, so every token
/// signed before is refused from now on, by every server on this database.
pub async fn rotate_signing_key(
    db: &AnyPool,
    grace: Option<std::time::Duration>,
) -> Result<SigningKey, sqlx::Error> {
    let secret = new_secret();
    let now = now_unix();
    // In one transaction: the new row takes a never-used id (AUTOINCREMENT on SQLite, an identity on Postgres),
    // and no server ever sees the slot empty.
    let mut tx = db.begin().await?;
    match grace {
        Some(grace) => {
            sqlx::query("UPDATE signing_keys SET slot = NULL, retires_at = $1 WHERE slot = 1")
                .bind(now.saturating_add(i64::try_from(grace.as_secs()).unwrap_or(i64::MAX)))
                .execute(&mut *tx)
                .await?;
        }
        None => {
            sqlx::query("DELETE FROM signing_keys")
                .execute(&mut *tx)
                .await?;
        }
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO signing_keys (slot, secret, created_at) VALUES (1, $1, $2) RETURNING id",
    )
    .bind(&secret)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(SigningKey { id, secret })
}

/// Deletes every key but the one that signs (and any whose grace has ended): the tokens they signed are refused
/// from now on. Returns the ids of the keys retired.
pub async fn retire_signing_keys(db: &AnyPool) -> Result<Vec<i64>, sqlx::Error> {
    let retired: Vec<(i64,)> =
        sqlx::query_as("DELETE FROM signing_keys WHERE slot IS NULL RETURNING id")
            .fetch_all(db)
            .await?;
    Ok(retired.into_iter().map(|(id,)| id).collect())
}

/// Deletes the earlier keys whose grace has ended (they already check nothing): the retention sweep's chore.
pub async fn delete_expired_signing_keys(db: &AnyPool) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM signing_keys WHERE slot IS NULL AND retires_at <= $1")
        .bind(now_unix())
        .execute(db)
        .await
        .map(|done| done.rows_affected())
}

/// A signing key as `signing-key list` shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigningKeyInfo {
    pub id: i64,
    /// Whether it signs new tokens (otherwise it only checks the ones it signed, until `retires_at`).
    pub current: bool,
    pub created_at: i64,
    pub retires_at: Option<i64>,
}

/// The keys that check tokens now: the current one first, then the earlier ones still in their grace.
pub async fn signing_keys(db: &AnyPool) -> Result<Vec<SigningKeyInfo>, sqlx::Error> {
    let rows: Vec<(i64, Option<i64>, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, slot, created_at, retires_at FROM signing_keys
         WHERE retires_at IS NULL OR retires_at > $1 ORDER BY id DESC",
    )
    .bind(now_unix())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, slot, created_at, retires_at)| SigningKeyInfo {
            id,
            current: slot.is_some(),
            created_at,
            retires_at,
        })
        .collect())
}

fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 32];
    OsRng.fill_bytes(&mut secret);
    secret
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// What a user token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserClaims {
    /// The org (site) the token was issued for.
    pub org: i64,
    /// The contact.
    pub sub: i64,
    /// Expiry, unix seconds.
    pub exp: i64,
    /// The signing key's id.
    pub kid: i64,
}

/// Signs `claims` with `key`. `claims.kid` is overwritten with the key's id.
pub fn sign_user_token(key: &SigningKey, claims: &UserClaims) -> String {
    let claims = UserClaims {
        kid: key.id,
        ..claims.clone()
    };
    let payload =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims are plain integers"));
    let signed = format!("{TOKEN_PREFIX}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(mac(&key.secret, &signed).finalize().into_bytes());
    format!("{signed}.{signature}")
}

fn mac(secret: &[u8], signed: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(signed.as_bytes());
    mac
}

/// Why a user token was refused. The messages are for the site owner reading the error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    #[error("not a Frontdesk user token (expected fdu1.<payload>.<signature>)")]
    Malformed,
    #[error("its signature does not match (the token was altered)")]
    BadSignature,
    #[error("it was signed with a key that has since been rotated and retired")]
    RotatedKey,
    #[error("its user has been deleted (contact delete)")]
    ContactDeleted,
    #[error("it was issued for another site (another widget token)")]
    OtherOrg,
}

/// Checks a user token presented with `org_id`'s widget token, at `now` (unix seconds).
///
/// Nothing in the payload is believed before the signature is checked (except the key id, which only selects the
/// key to check it with), and the expiry is checked last, so that `user_token_expired` (which tells the widget to
/// fetch a fresh token) is only ever said of a token this server issued.
pub async fn verify_user_token(
    db: &AnyPool,
    token: &str,
    org_id: i64,
    now: i64,
) -> Result<UserClaims, ApiError> {
    let kid = decode_claims(token)
        .ok_or(ApiError::InvalidUserToken(TokenRejection::Malformed))?
        .kid;
    let secret: Option<(Vec<u8>,)> = sqlx::query_as(
        "SELECT secret FROM signing_keys WHERE id = $1 AND (retires_at IS NULL OR retires_at > $2)",
    )
    .bind(kid)
    .bind(now)
    .fetch_optional(db)
    .await?;
    // Read per request rather than cached: `signing-key rotate` and `retire` may run while servers are up, and
    // must take effect on all of them at once. It is a primary-key read of one small row.
    let Some((secret,)) = secret else {
        return Err(ApiError::InvalidUserToken(TokenRejection::RotatedKey));
    };
    check_user_token(&SigningKey { id: kid, secret }, token, org_id, now)
}

/// The pure half of [`verify_user_token`]: checks `token` against `key` (the key its `kid` names), for
/// `org_id` at `now`. Apart from the database read, so that it can be fuzzed.
pub fn check_user_token(
    key: &SigningKey,
    token: &str,
    org_id: i64,
    now: i64,
) -> Result<UserClaims, ApiError> {
    let claims =
        decode_claims(token).ok_or(ApiError::InvalidUserToken(TokenRejection::Malformed))?;
    if claims.kid != key.id {
        return Err(ApiError::InvalidUserToken(TokenRejection::RotatedKey));
    }
    let (signed, signature) = token
        .rsplit_once('.')
        .ok_or(ApiError::InvalidUserToken(TokenRejection::Malformed))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| ApiError::InvalidUserToken(TokenRejection::Malformed))?;
    mac(&key.secret, signed)
        .verify_slice(&signature)
        .map_err(|_| ApiError::InvalidUserToken(TokenRejection::BadSignature))?;
    if claims.org != org_id {
        return Err(ApiError::InvalidUserToken(TokenRejection::OtherOrg));
    }
    if claims.exp <= now {
        return Err(ApiError::UserTokenExpired);
    }
    Ok(claims)
}

fn decode_claims(token: &str) -> Option<UserClaims> {
    let mut parts = token.split('.');
    let (prefix, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if prefix != TOKEN_PREFIX || parts.next().is_some() {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: i64) -> SigningKey {
        SigningKey {
            id,
            secret: vec![7; 32],
        }
    }

    #[test]
    fn generated_keys_have_their_documented_shape() {
        let wt = generate_widget_token();
        let sk = generate_secret_key();
        let ak = generate_agent_key();
        assert!(wt.starts_with("wt_") && wt.len() == 3 + 32);
        assert!(sk.starts_with("sk_") && sk.len() == 3 + 48);
        assert!(ak.starts_with("ak_") && ak.len() == 3 + 48);
        assert_ne!(generate_secret_key(), sk);
    }

    #[test]
    fn bearer_takes_the_credential_of_a_bearer_header_only() {
        assert_eq!(bearer(Some("Bearer sk_1")), Some("sk_1"));
        assert_eq!(bearer(Some("bearer   sk_1 ")), Some("sk_1"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(Some("sk_1")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn a_signed_token_decodes_to_its_claims_with_the_key_id() {
        let token = sign_user_token(
            &key(9),
            &UserClaims {
                org: 1,
                sub: 2,
                exp: 3,
                kid: 0,
            },
        );
        assert!(token.starts_with("fdu1."));
        assert_eq!(
            decode_claims(&token),
            Some(UserClaims {
                org: 1,
                sub: 2,
                exp: 3,
                kid: 9
            })
        );
    }

    #[test]
    fn malformed_tokens_do_not_decode() {
        for bad in [
            "",
            "fdu1",
            "fdu1..",
            "fdu2.e30.x",
            "fdu1.!!!.x",
            "fdu1.e30.x.y",
            "a.b.c",
        ] {
            assert_eq!(decode_claims(bad), None, "{bad}");
        }
    }

    #[test]
    fn check_user_token_accepts_only_an_untouched_unexpired_token_of_its_org() {
        let claims = UserClaims {
            org: 1,
            sub: 2,
            exp: 100,
            kid: 0,
        };
        let token = sign_user_token(&key(9), &claims);
        let valid = check_user_token(&key(9), &token, 1, 99).expect("a fresh token is valid");
        assert_eq!((valid.org, valid.sub, valid.kid), (1, 2, 9));
        let rejection = |key: &SigningKey, token: &str, org, now| {
            check_user_token(key, token, org, now)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            rejection(&key(9), &token, 1, 100),
            ApiError::UserTokenExpired.to_string()
        );
        assert_eq!(
            rejection(&key(9), &token, 2, 99),
            ApiError::InvalidUserToken(TokenRejection::OtherOrg).to_string()
        );
        assert_eq!(
            rejection(&key(10), &token, 1, 99),
            ApiError::InvalidUserToken(TokenRejection::RotatedKey).to_string()
        );
        let other_secret = SigningKey::from_parts(9, vec![8; 32]);
        assert_eq!(
            rejection(&other_secret, &token, 1, 99),
            ApiError::InvalidUserToken(TokenRejection::BadSignature).to_string()
        );
        let mut altered = token.clone();
        altered.push('A');
        assert!(check_user_token(&key(9), &altered, 1, 99).is_err());
    }

    #[test]
    fn signing_key_debug_hides_the_secret() {
        assert!(!format!("{:?}", key(1)).contains('7'));
    }
}
