//! The signature of an event: the lowercase hex HMAC-SHA256 of the raw request body, keyed
//! with the endpoint's secret, sent in [`SIGNATURE_HEADER`] — what Voucherify documents for
//! its `x-voucherify-signature`, so a receiver written for Voucherify's webhooks verifies
//! Conveyor's the same way.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Voucherify-Signature";

fn mac(secret: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac
}

/// The signature of `body` under `secret`: 64 lowercase hex digits.
pub fn sign(secret: &str, body: &[u8]) -> String {
    hex::encode(mac(secret, body).finalize().into_bytes())
}

/// Whether `signature` (hex, either case) is the signature of `body` under `secret`, compared
/// in constant time.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    hex::decode(signature.trim())
        .is_ok_and(|expected| mac(secret, body).verify_slice(&expected).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test cases 1 and 2 (HMAC-SHA-256).
    #[test]
    fn signatures_match_the_rfc_4231_vectors() {
        let key = "\u{0b}".repeat(20);
        assert_eq!(
            sign(&key, b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verification_accepts_only_the_signature_of_the_exact_body() {
        let body = br#"{"id":"whs_0123456789abcdef01"}"#;
        let signature = sign("secret", body);
        assert!(verify("secret", body, &signature));
        assert!(verify("secret", body, &signature.to_uppercase()));
        assert!(!verify("other", body, &signature));
        assert!(!verify("secret", br#"{"id":"whs_0123456789abcdef02"}"#, &signature));
        assert!(!verify("secret", body, &signature[..62]));
        assert!(!verify("secret", body, "not hex"));
    }
}
