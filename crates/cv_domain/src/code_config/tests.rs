use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

use super::*;

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn config(
    length: Option<u32>,
    charset: Option<&str>,
    prefix: Option<&str>,
    postfix: Option<&str>,
    pattern: Option<&str>,
) -> CodeConfig {
    CodeConfig {
        length,
        charset: charset.map(str::to_owned),
        prefix: prefix.map(str::to_owned),
        postfix: postfix.map(str::to_owned),
        pattern: pattern.map(str::to_owned),
    }
}

fn valid(c: &CodeConfig) -> CodePattern {
    c.validate().expect("a valid code_config")
}

/// Every code the pattern can make, by brute force.
fn enumerate(p: &CodePattern) -> BTreeSet<String> {
    let mut codes = vec![String::new()];
    for slot in p.slots() {
        codes = codes
            .into_iter()
            .flat_map(|code| {
                let options: Vec<char> = match *slot {
                    Slot::Literal(c) => vec![c],
                    Slot::Random => p.charset().to_vec(),
                };
                options.into_iter().map(move |c| format!("{code}{c}"))
            })
            .collect();
    }
    codes.into_iter().collect()
}

/// Checks a code against the config directly, independently of `CodePattern::matches`.
fn fits(c: &CodeConfig, code: &str) -> bool {
    let prefix = c.prefix.as_deref().unwrap_or("");
    let postfix = c.postfix.as_deref().unwrap_or("");
    let charset = c.charset.as_deref().unwrap_or(DEFAULT_CHARSET);
    let Some(body) = code.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(postfix)) else {
        return false;
    };
    let body: Vec<char> = body.chars().collect();
    match &c.pattern {
        Some(pattern) => {
            let pattern: Vec<char> = pattern.chars().collect();
            pattern.len() == body.len()
                && pattern
                    .iter()
                    .zip(&body)
                    .all(|(p, b)| if *p == PLACEHOLDER { charset.contains(*b) } else { p == b })
        }
        None => {
            body.len() == c.length.unwrap_or(DEFAULT_LENGTH) as usize
                && body.iter().all(|b| charset.contains(*b))
        }
    }
}

#[test]
fn defaults_are_eight_alphanumerics() {
    let p = valid(&CodeConfig::default());
    assert_eq!(p, CodePattern::default());
    assert_eq!(p.random_slots(), 8);
    assert_eq!(p.code_chars(), 8);
    assert_eq!(p.slots(), &[Slot::Random; 8]);
    let expected: Vec<char> = ('0'..='9').chain('a'..='z').chain('A'..='Z').collect();
    assert_eq!(p.charset(), expected.as_slice());
    assert_eq!(p.space(), 62u128.pow(8));
    let mut r = rng(1);
    for _ in 0..200 {
        let code = p.generate(&mut r);
        assert_eq!(code.len(), 8, "{code}");
        assert!(code.bytes().all(|b| b.is_ascii_alphanumeric()), "{code}");
        assert!(p.matches(&code));
    }
}

#[test]
fn the_thread_rng_is_accepted_and_codes_differ() {
    let p = CodePattern::default();
    let codes: HashSet<String> = (0..100).map(|_| p.generate(&mut rand::rng())).collect();
    assert_eq!(codes.len(), 100);
}

#[test]
fn prefix_and_postfix_wrap_the_random_part() {
    let c = config(Some(4), Some("AB"), Some("PRE-"), Some("-END"), None);
    let p = valid(&c);
    assert_eq!(p.code_chars(), 12);
    assert_eq!(p.random_slots(), 4);
    assert_eq!(p.space(), 16);
    let mut r = rng(2);
    for _ in 0..100 {
        let code = p.generate(&mut r);
        assert!(code.starts_with("PRE-") && code.ends_with("-END"), "{code}");
        assert!(code[4..8].chars().all(|ch| ch == 'A' || ch == 'B'), "{code}");
    }
}

#[test]
fn a_hash_in_prefix_or_postfix_is_literal() {
    let p = valid(&config(Some(2), Some("x"), Some("#"), Some("##"), None));
    assert_eq!(p.random_slots(), 2);
    assert_eq!(p.generate(&mut rng(3)), "#xx##");
}

#[test]
fn pattern_hashes_become_random_and_other_characters_stay() {
    let c = config(None, Some("0123456789"), Some("X"), Some("Y"), Some("AB-##-#c"));
    let p = valid(&c);
    use Slot::{Literal as L, Random as R};
    assert_eq!(p.slots(), &[L('X'), L('A'), L('B'), L('-'), R, R, L('-'), R, L('c'), L('Y')]);
    assert_eq!(p.random_slots(), 3);
    assert_eq!(p.space(), 1000);
    let code = p.generate(&mut rng(4));
    assert!(fits(&c, &code), "{code}");
    assert!(code.starts_with("XAB-") && code.ends_with("cY"), "{code}");
}

#[test]
fn a_pattern_overrides_any_length() {
    for length in [None, Some(0), Some(2), Some(30), Some(u32::MAX)] {
        let p = valid(&config(length, None, None, None, Some("##")));
        assert_eq!(p.random_slots(), 2, "{length:?}");
        assert_eq!(p.code_chars(), 2);
    }
}

#[test]
fn the_charset_is_deduplicated_keeping_first_occurrences() {
    let p = valid(&config(Some(3), Some("aabbaacb"), None, None, None));
    assert_eq!(p.charset(), &['a', 'b', 'c']);
    assert_eq!(p.space(), 27);
}

/// Regression (fuzz corpus `code_config/regression-charset-deduplication`): de-duplicating a charset of every
/// Unicode character (about 3.4 MB of JSON, well within a request) used to compare each
/// character with all kept ones, minutes of work for one request; it is linear now.
#[test]
fn a_charset_of_every_unicode_character_is_deduplicated_quickly() {
    let every: String = ('\0'..=char::MAX).collect();
    let twice = format!("{every}{every}");
    let p = valid(&config(Some(2), Some(&twice), None, None, None));
    assert_eq!(p.charset().len(), every.chars().count());
    assert_eq!(p.charset()[..3], ['\0', '\u{1}', '\u{2}']);
    assert!(p.matches("\u{10ffff}\u{10fffe}") && !p.matches("\u{10ffff}"));
}

#[test]
fn non_ascii_charsets_and_literals_count_characters() {
    let c = config(None, Some("äöü"), Some("€"), None, Some("#-#"));
    let p = valid(&c);
    assert_eq!(p.code_chars(), 4);
    assert_eq!(p.space(), 9);
    let code = p.generate(&mut rng(5));
    assert_eq!(code.chars().count(), 4);
    assert!(fits(&c, &code) && p.matches(&code), "{code}");
}

#[test]
fn the_maximum_length_and_placeholder_count_are_accepted() {
    let p = valid(&config(Some(MAX_RANDOM_CHARS), None, None, None, None));
    assert_eq!(p.random_slots(), 64);
    assert_eq!(p.space(), u128::MAX, "62^64 saturates");
    let p = valid(&config(None, Some("01"), None, None, Some(&"#-".repeat(64))));
    assert_eq!(p.random_slots(), 64);
    assert_eq!(p.space(), 1 << 64);
    let literal = "x".repeat(MAX_CODE_CHARS - 64);
    let p = valid(&config(Some(64), None, Some(&literal), None, None));
    assert_eq!(p.code_chars(), MAX_CODE_CHARS);
}

#[test]
fn an_empty_charset_is_rejected() {
    let err = config(None, Some(""), None, None, None).validate();
    assert_eq!(err, Err(CodeConfigError::EmptyCharset));
    assert_eq!(CodeConfigError::EmptyCharset.to_string(), "code_config.charset must not be empty");
}

#[test]
fn lengths_outside_one_to_sixty_four_are_rejected() {
    for length in [0, 65, u32::MAX] {
        let err = config(Some(length), None, None, None, None).validate();
        assert_eq!(err, Err(CodeConfigError::LengthOutOfRange { length, max: 64 }));
    }
    assert_eq!(
        CodeConfigError::LengthOutOfRange { length: 0, max: 64 }.to_string(),
        "code_config.length must be between 1 and 64 (got 0)"
    );
}

#[test]
fn a_pattern_without_a_hash_is_rejected() {
    for pattern in ["", "ABC", "AB-CD"] {
        let err = config(Some(8), None, Some("#"), Some("#"), Some(pattern)).validate();
        assert_eq!(err, Err(CodeConfigError::PatternWithoutPlaceholder), "{pattern:?}");
    }
    assert!(
        CodeConfigError::PatternWithoutPlaceholder
            .to_string()
            .starts_with("code_config.pattern must contain at least one '#'")
    );
}

#[test]
fn a_pattern_with_too_many_hashes_is_rejected() {
    let pattern = "#-".repeat(65);
    let err = config(None, None, None, None, Some(&pattern)).validate();
    assert_eq!(err, Err(CodeConfigError::PatternTooManyPlaceholders { count: 65, max: 64 }));
    assert_eq!(
        err.map(|_| ()).expect_err("too many").to_string(),
        "code_config.pattern must contain at most 64 '#' characters (got 65)"
    );
}

#[test]
fn a_code_too_long_in_total_is_rejected() {
    let long = "x".repeat(200);
    let err = config(None, None, Some(&long), Some(&long), Some("#")).validate();
    assert_eq!(err, Err(CodeConfigError::CodeTooLong { chars: 401, max: MAX_CODE_CHARS }));
    let err = config(None, None, None, None, Some(&format!("#{long}{long}"))).validate();
    assert_eq!(err, Err(CodeConfigError::CodeTooLong { chars: 401, max: MAX_CODE_CHARS }));
    assert_eq!(
        CodeConfigError::CodeTooLong { chars: 401, max: 255 }.to_string(),
        "codes made from code_config would be 401 characters long; the maximum is 255"
    );
}

#[test]
fn generation_error_texts_give_the_reason() {
    let small = CodeConfigError::SpaceTooSmall { space: 4, existing: 1, wanted: 10 };
    assert_eq!(
        small.to_string(),
        "code_config can make only 4 distinct codes, too few for 10 more with 1 already taken; \
         use a longer length or pattern, or a larger charset"
    );
    let exhausted = CodeConfigError::Exhausted { generated: 3, wanted: 5, attempts: 64 };
    assert!(
        exhausted.to_string().starts_with(
            "could not find an unused code after 64 attempts (3 of 5 codes generated)"
        )
    );
}

#[test]
fn initial_count_is_accepted_and_ignored() {
    let c: CodeConfig = serde_json::from_value(json!({
        "length": 6, "charset": "AB", "prefix": "P-", "postfix": "-S", "pattern": null,
        "initial_count": 42,
    }))
    .expect("deserializes");
    assert_eq!(c, config(Some(6), Some("AB"), Some("P-"), Some("-S"), None));
    assert_eq!(
        serde_json::to_value(&c).expect("serializes"),
        json!({"length": 6, "charset": "AB", "prefix": "P-", "postfix": "-S"})
    );
    let empty: CodeConfig = serde_json::from_value(json!({})).expect("deserializes");
    assert_eq!(empty, CodeConfig::default());
    assert_eq!(serde_json::to_value(&empty).expect("serializes"), json!({}));
}

#[test]
fn can_hold_allows_at_most_half_the_space() {
    let p = valid(&config(Some(2), Some("abcd"), None, None, None));
    assert_eq!(p.space(), 16);
    assert!(p.can_hold(0, 8));
    assert!(p.can_hold(3, 5));
    assert!(!p.can_hold(0, 9));
    assert!(!p.can_hold(8, 1));
    assert!(p.can_hold(16, 0), "asking for nothing always fits");
    assert!(!p.can_hold(u64::MAX, u64::MAX));
    assert!(!CodePattern::default().can_hold(u64::MAX, 1), "62^8 is below 2^64");
    let huge = valid(&config(Some(64), None, None, None, None));
    assert!(huge.can_hold(u64::MAX, u64::MAX), "62^64 saturates far above 2^65");
}

#[test]
fn a_too_small_space_fails_quickly_with_a_reason() {
    let p = valid(&config(Some(2), Some("ab"), None, None, None));
    assert_eq!(p.space(), 4);
    assert!(!p.can_hold(0, 10));
    let started = Instant::now();
    let err = p.generate_unique(&mut rng(6), 10, |_| false, u32::MAX);
    assert_eq!(err, Err(CodeConfigError::SpaceTooSmall { space: 4, existing: 0, wanted: 10 }));
    // Fits the space, but everything is taken: attempts run out instead of looping.
    let err = p.generate_unique(&mut rng(7), 1, |_| true, 1000);
    assert_eq!(err, Err(CodeConfigError::Exhausted { generated: 0, wanted: 1, attempts: 1000 }));
    // Two free codes, three wanted: the third never comes.
    let err = p.generate_unique(&mut rng(8), 3, |c| c.starts_with('a'), 1000);
    assert_eq!(err, Err(CodeConfigError::Exhausted { generated: 2, wanted: 3, attempts: 1000 }));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn the_whole_space_can_be_filled_with_enough_attempts() {
    let p = valid(&config(Some(2), Some("ab"), None, None, None));
    let codes = p.generate_unique(&mut rng(9), 4, |_| false, 1000).expect("4 of 4");
    let set: BTreeSet<String> = codes.into_iter().collect();
    assert_eq!(set, enumerate(&p));
}

#[test]
fn zero_codes_or_zero_attempts_are_handled() {
    let p = CodePattern::default();
    assert_eq!(p.generate_unique(&mut rng(10), 0, |_| true, 0), Ok(vec![]));
    let codes = p.generate_unique(&mut rng(10), 5, |_| false, 0).expect("one attempt each");
    assert_eq!(codes.len(), 5);
    let err = p.generate_unique(&mut rng(10), 1, |_| true, 0);
    assert_eq!(err, Err(CodeConfigError::Exhausted { generated: 0, wanted: 1, attempts: 1 }));
}

#[test]
fn matches_rejects_codes_the_pattern_cannot_make() {
    let p = valid(&config(None, Some("ab"), Some("P"), None, Some("#-#")));
    assert!(p.matches("Pa-b"));
    for code in ["", "P", "Pa-", "Pa-bb", "Qa-b", "Pc-a", "Pa_b", "Pa-b "] {
        assert!(!p.matches(code), "{code:?}");
    }
}

#[test]
fn each_random_position_is_close_to_uniform() {
    let p = valid(&config(None, Some("abcd"), None, None, Some("#")));
    let mut r = rng(11);
    let mut counts = [0u32; 4];
    for _ in 0..40_000 {
        let code = p.generate(&mut r);
        counts[usize::from(code.as_bytes()[0] - b'a')] += 1;
    }
    for n in counts {
        assert!((9_400..=10_600).contains(&n), "{counts:?}");
    }
}

fn small_text(chars: &'static str) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(proptest::string::string_regex(chars).expect("a valid regex"))
}

fn any_config() -> impl Strategy<Value = CodeConfig> {
    (
        proptest::option::of(0u32..70),
        small_text("[a-zA-Z0-9#äß-]{0,12}"),
        small_text("[A-Z0-9#-]{0,5}"),
        small_text("[A-Z0-9#-]{0,5}"),
        small_text("[A-Z#-]{0,10}"),
    )
        .prop_map(|(length, charset, prefix, postfix, pattern)| CodeConfig {
            length,
            charset,
            prefix,
            postfix,
            pattern,
        })
}

fn tiny_pattern() -> impl Strategy<Value = CodePattern> {
    ("[a-d]{1,4}", "[A-C#]{0,3}#[A-C#]{0,2}", "[x-z]{0,2}").prop_filter_map(
        "at most 4 random positions",
        |(charset, pattern, prefix)| {
            let p = config(None, Some(&charset), Some(&prefix), None, Some(&pattern))
                .validate()
                .ok()?;
            (p.random_slots() <= 4).then_some(p)
        },
    )
}

proptest! {
    #[test]
    fn generated_codes_always_fit_their_config(c in any_config(), seed in any::<u64>()) {
        let Ok(p) = c.validate() else { return Ok(()) };
        let mut r = rng(seed);
        for _ in 0..8 {
            let code = p.generate(&mut r);
            prop_assert!(fits(&c, &code), "{:?} -> {:?}", c, code);
            prop_assert!(p.matches(&code), "{:?} -> {:?}", c, code);
            prop_assert_eq!(code.chars().count(), p.code_chars());
        }
    }

    #[test]
    fn validation_accepts_exactly_the_documented_configs(c in any_config()) {
        let charset_empty = c.charset.as_deref() == Some("");
        let hashes = c.pattern.as_deref().map(|p| p.matches('#').count());
        let length = c.length.unwrap_or(DEFAULT_LENGTH);
        let ok = !charset_empty
            && match hashes {
                Some(n) => (1..=64).contains(&n),
                None => (1..=64).contains(&length),
            };
        prop_assert_eq!(c.validate().is_ok(), ok, "{:?}", c);
    }

    #[test]
    fn generate_unique_returns_distinct_untaken_codes(
        p in tiny_pattern(),
        taken_picks in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        count in 0usize..40,
        seed in any::<u64>(),
    ) {
        let all: Vec<String> = enumerate(&p).into_iter().collect();
        let taken: HashSet<String> = taken_picks.iter().map(|i| i.get(&all).clone()).collect();
        let result = p.generate_unique(&mut rng(seed), count, |c| taken.contains(c), 64);
        if p.can_hold(taken.len() as u64, count as u64) {
            let codes = result.expect("can_hold promised room");
            prop_assert_eq!(codes.len(), count);
            let distinct: HashSet<&String> = codes.iter().collect();
            prop_assert_eq!(distinct.len(), count);
            for code in &codes {
                prop_assert!(!taken.contains(code), "{} was taken", code);
                prop_assert!(p.matches(code), "{}", code);
            }
        } else if let Ok(codes) = result {
            // Allowed to succeed by luck, but then still correct.
            let distinct: HashSet<&String> = codes.iter().collect();
            prop_assert_eq!(distinct.len(), count);
            prop_assert!(codes.iter().all(|c| !taken.contains(c)));
        }
    }

    #[test]
    fn more_codes_than_the_space_fail_without_drawing(p in tiny_pattern(), extra in 1usize..10) {
        let wanted = p.space() as usize + extra;
        prop_assert!(!p.can_hold(0, wanted as u64));
        let result = p.generate_unique(&mut rng(0), wanted, |_| false, u32::MAX);
        prop_assert_eq!(
            result,
            Err(CodeConfigError::SpaceTooSmall {
                space: p.space(),
                existing: 0,
                wanted: wanted as u64,
            })
        );
    }

    #[test]
    fn space_matches_brute_force_enumeration(p in tiny_pattern(), seed in any::<u64>()) {
        let all = enumerate(&p);
        prop_assert_eq!(p.space(), all.len() as u128);
        let mut r = rng(seed);
        for _ in 0..16 {
            prop_assert!(all.contains(&p.generate(&mut r)));
        }
    }
}
