//! Target `code_config`: a voucher template's `code_config` as a campaign or add-vouchers body
//! carries it (`cv_api::wire::campaign::code_config`), validated into a `CodePattern`, and the
//! codes generated from it.
//!
//! Input: the JSON value of `code_config`.
//!
//! Properties: the wire parser and the domain type agree; a refused config is a 400 or a
//! `CodeConfigError` text; an accepted one serializes and deserializes to itself (it is
//! stored in the campaign), and its pattern has a de-duplicated, non-empty charset, at most
//! 64 random and 255 characters in all, and makes codes that it `matches`, that keep the
//! prefix and postfix, and (when `can_hold` says so) that are distinct.

use std::collections::HashSet;

use cv_api::wire::{campaign, validate::JsonPath};
use cv_domain::code_config::{
    CodeConfig, CodePattern, DEFAULT_CHARSET, DEFAULT_MAX_ATTEMPTS_PER_CODE, MAX_CODE_CHARS,
    MAX_RANDOM_CHARS, Slot,
};
use rand::{SeedableRng, rngs::StdRng};
use serde_json::{Map, Value};

use crate::shape::assert_voucherify_error;

/// Checks the `code_config` value `data`.
pub fn check(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let mut body = Map::new();
    body.insert("code_config".to_owned(), value.clone());
    let direct = serde_json::from_value::<CodeConfig>(value.clone());
    match campaign::code_config(&body, &JsonPath::root()) {
        Err(err) => {
            assert_voucherify_error(&err, 400, &["invalid_payload"]);
            assert!(
                !value.is_object() || direct.is_err(),
                "the wire refused a config the type reads"
            );
        }
        Ok(Ok(None)) => assert!(value.is_null(), "{value} read as no config"),
        Ok(Err(reason)) => {
            let config = direct.expect("a config the wire validated deserializes");
            let err = config.validate().expect_err("the wire refused a valid config");
            assert_eq!(err.to_string(), reason);
        }
        Ok(Ok(Some(config))) => {
            assert_eq!(direct.ok().as_ref(), Some(&config), "the wire and the type disagree");
            let stored = serde_json::to_value(&config).expect("a config serializes");
            let read: CodeConfig = serde_json::from_value(stored).expect("a stored config reads");
            assert_eq!(read, config, "the config changes through the store");
            let pattern = config.validate().expect("the wire accepted it");
            check_pattern(&config, &pattern, seed(data));
        }
    }
}

fn check_pattern(config: &CodeConfig, pattern: &CodePattern, seed: u64) {
    let charset = pattern.charset();
    assert!(!charset.is_empty());
    let unique: HashSet<char> = charset.iter().copied().collect();
    assert_eq!(unique.len(), charset.len(), "the charset repeats a character");
    let given: HashSet<char> =
        config.charset.as_deref().unwrap_or(DEFAULT_CHARSET).chars().collect();
    assert_eq!(unique, given, "the charset lost or gained characters");
    assert!((1..=MAX_RANDOM_CHARS).contains(&pattern.random_slots()));
    assert!(pattern.code_chars() <= MAX_CODE_CHARS);
    let random = pattern.slots().iter().filter(|s| **s == Slot::Random).count();
    assert_eq!(random, pattern.random_slots() as usize);
    let expected_space = (charset.len() as u128).checked_pow(pattern.random_slots());
    assert_eq!(pattern.space(), expected_space.unwrap_or(u128::MAX));

    let prefix = config.prefix.as_deref().unwrap_or_default();
    let postfix = config.postfix.as_deref().unwrap_or_default();
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..8 {
        let code = pattern.generate(&mut rng);
        assert!(pattern.matches(&code), "{code:?} does not match its own pattern");
        assert_eq!(code.chars().count(), pattern.code_chars());
        assert!(code.starts_with(prefix) && code.ends_with(postfix), "{code:?}");
    }
    let wanted = usize::try_from(pattern.space() / 2).unwrap_or(usize::MAX).min(16);
    if pattern.can_hold(0, wanted as u64) {
        let codes = pattern
            .generate_unique(&mut rng, wanted, |_| false, DEFAULT_MAX_ATTEMPTS_PER_CODE)
            .expect("can_hold allowed the batch");
        let distinct: HashSet<&String> = codes.iter().collect();
        assert_eq!((codes.len(), distinct.len()), (wanted, wanted));
        assert!(codes.iter().all(|c| pattern.matches(c)));
    }
}

/// A seed for the generator, fixed by the input (FNV-1a), so a failure replays.
fn seed(data: &[u8]) -> u64 {
    data.iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}
