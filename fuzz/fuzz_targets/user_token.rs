//! The user-token check on any text: it never panics, and it accepts a token only if it is exactly one the
//! key signed — no altered payload, padding, or re-encoding gets through. The seed is a valid token for
//! org 1 signed with this key, so the fuzzer starts from the shape it has to break.
#![no_main]

use frontdesk_server::auth::{check_user_token, sign_user_token, SigningKey};
use libfuzzer_sys::fuzz_target;

const ORG: i64 = 1;
const NOW: i64 = 1_800_000_000;

fuzz_target!(|token: &str| {
    let key = SigningKey::from_parts(7, b"fuzz signing key, 32 bytes long!".to_vec());
    if let Ok(claims) = check_user_token(&key, token, ORG, NOW) {
        assert_eq!(
            sign_user_token(&key, &claims),
            token,
            "accepted a token the key did not sign"
        );
        assert_eq!(claims.org, ORG);
        assert!(claims.exp > NOW);
    }
});
